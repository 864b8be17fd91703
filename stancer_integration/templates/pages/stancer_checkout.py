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


def answer():
	"""What the link answers (a Checkout); 404 for a token that names no request."""
	token = frappe.form_dict.get("token")
	payment_request = payment_request_for_token(token)
	rate_limits.hit("checkout")
	browser = frappe.local.lang
	return open_link(payment_request, token, lang=speak_customers_language(payment_request) or browser)


def is_redirect(result):
	return result.state in ("redirect", "paid") and bool(result.location)


def get_context(context):
	# The answer already made by fast_pages when it came that way; made here otherwise.
	result = frappe.flags.stancer_page_answer or answer()
	if is_redirect(result):
		frappe.flags.redirect_location = result.location
		raise frappe.Redirect(302)
	context.no_cache = 1
	context.title = _("Payment")
	context.state = result.state
	context.message = result.message
	context.retry_url = frappe.request.url if result.state == "unavailable" else None
	return context
