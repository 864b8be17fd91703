"""/stancer_checkout?token=…: the payment link of a Payment Request.

Guest page: the customers who pay are usually not users of the site. It creates at most one
Stancer payment per attempt, and is rate limited so a script cannot create them in bulk.
"""

import frappe
from frappe import _

from stancer_integration import rate_limits
from stancer_integration.checkout import open_link, payment_request_for_token
from stancer_integration.payment_return import speak_customers_language

no_cache = 1


def get_context(context):
	token = frappe.form_dict.get("token")
	payment_request = payment_request_for_token(token)
	rate_limits.hit("checkout")
	browser = frappe.local.lang
	speak_customers_language(payment_request)
	result = open_link(payment_request, token, lang=browser)
	if result.state in ("redirect", "paid") and result.location:
		frappe.flags.redirect_location = result.location
		raise frappe.Redirect(302)
	context.no_cache = 1
	context.title = _("Payment")
	context.state = result.state
	context.message = result.message
	context.retry_url = frappe.request.url if result.state == "unavailable" else None
	return context
