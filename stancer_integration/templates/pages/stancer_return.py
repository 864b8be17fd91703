"""/stancer_return?ref=…: where Stancer sends the customer back.

Guest page: the customer comes back from Stancer's site, logged in or not. The query string is
only a pointer to our own record; the payment is always fetched again from Stancer.
"""

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit

from stancer_integration.checkout import handle_return

no_cache = 1


def _limit():
	# One budget per visitor IP for both Stancer pages (Frappe keys page limits by IP only).
	return frappe.conf.get("stancer_rate_limit") or 60


def get_context(context):
	# Frappe inspects get_context's own arguments, which a decorator would hide.
	return _context(context)


@rate_limit(limit=_limit, seconds=600)
def _context(context):
	result = handle_return(frappe.form_dict.get("ref"))
	if result.state in ("paid", "redirect"):
		frappe.flags.redirect_location = result.location
		raise frappe.Redirect(302)
	context.no_cache = 1
	context.title = _("Payment failed") if result.state == "failed" else _("Payment")
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
