"""/stancer_paid: where a customer lands after paying, in their language (`_lang`).

Guest page: the customer may not be logged in. It shows no amount and reads nothing of the
request (its address is not a secret); it only says the payment went through and, when there is
somewhere to go on (a logged-in shopper's order page, the redirect set in Stancer Settings),
offers it. A guest is never offered a page that asks them to log in.
"""

import frappe
from frappe import _
from frappe.utils import get_url

from stancer_integration.payment_links import is_same_site_path

no_cache = 1


def get_context(context):
	context.no_cache = 1
	context.title = _("Payment received")
	context.message = _("Thank you: your payment was accepted.")
	redirect_to = frappe.form_dict.get("redirect_to")
	context.continue_to = redirect_to if continues(redirect_to) else None


def continues(url):
	"""Somewhere on this site (a path, or its own address: a shop names its order page so), or
	an https address (the settings' redirect)."""
	if not url or not isinstance(url, str):
		return False
	return is_same_site_path(url) or url.startswith((get_url() + "/", "https://"))
