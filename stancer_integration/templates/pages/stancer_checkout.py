"""/stancer_checkout?token=…: the payment link of a Payment Request.

Guest page: the customers who pay are usually not users of the site. It creates at most one
Stancer payment per attempt, and is rate limited so a script cannot create them in bulk.
"""

import frappe
from frappe import _

from stancer_integration.checkout import open_link
from stancer_integration.page_limits import limited_page

no_cache = 1


def _context(context):
	result = open_link(frappe.form_dict.get("token"), lang=frappe.local.lang)
	if result.state in ("redirect", "paid") and result.location:
		frappe.flags.redirect_location = result.location
		raise frappe.Redirect(302)
	context.no_cache = 1
	context.title = _("Payment")
	context.state = result.state
	context.message = result.message
	context.retry_url = frappe.request.url if result.state == "unavailable" else None
	return context


get_context = limited_page("checkout", _context)
