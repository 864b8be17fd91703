"""/stancer_return?ref=…: where Stancer sends the customer back.

Guest page: the customer comes back from Stancer's site, logged in or not. The query string is
only a pointer to our own record; the payment is always fetched again from Stancer.
"""

import frappe
from frappe import _

from stancer_integration.checkout import handle_return
from stancer_integration.page_limits import limited_page

no_cache = 1


def _context(context):
	result = handle_return(frappe.form_dict.get("ref"), frappe.form_dict.get("pr"))
	if result.state in ("paid", "redirect"):
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


get_context = limited_page("return", _context, scope=lambda form: (form.get("ref"),))
