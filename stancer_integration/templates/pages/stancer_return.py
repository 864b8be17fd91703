"""/stancer_return?ref=…: where Stancer sends the customer back.

Guest page: the customer comes back from Stancer's site, logged in or not. The query string is
only a pointer to our own record; the payment is always fetched again from Stancer.
"""

import frappe
from frappe import _

from stancer_integration import rate_limits
from stancer_integration.payment_return import handle_return, read_record, speak_customers_language

no_cache = 1


def answer():
	"""What the return address answers (a Checkout); 404 for one that names no payment."""
	ref = frappe.form_dict.get("ref")
	record = read_record(ref)
	if record:
		rate_limits.hit("return", record.name)
	else:
		rate_limits.hit("return-unknown")
	speak_customers_language(record.payment_request if record else frappe.form_dict.get("pr"))
	return handle_return(ref, frappe.form_dict.get("pr"), record)


def is_redirect(result):
	return result.state in ("paid", "redirect") and bool(result.location)


def get_context(context):
	# The answer already made by fast_pages when it came that way; made here otherwise.
	result = frappe.flags.stancer_page_answer or answer()
	if is_redirect(result):
		frappe.flags.redirect_location = result.location
		raise frappe.Redirect(302)
	context.no_cache = 1
	context.title = {"failed": _("Payment failed"), "received": _("Payment received")}.get(
		result.state, _("Payment")
	)
	context.state = result.state
	context.message = result.message
	context.action_url = result.location
	context.action_label = {
		"failed": _("Try again"),
		"pending": _("Refresh"),
		"unavailable": _("Refresh"),
		"error": _("Try again"),
	}.get(result.state)
	return context
