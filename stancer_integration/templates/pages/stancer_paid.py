"""/stancer_paid: where a customer lands after paying, in their language (`_lang`).

Guest page: the customer may not be logged in. It shows no amount and reads nothing of the
request (its address is not a secret); it only says the payment went through and, when there is
somewhere to go on (a logged-in shopper's order page, the redirect set in Stancer Settings),
offers it. A guest is never offered a page that asks them to log in.
"""

import frappe
from frappe import _
from frappe.utils import get_url

from stancer_integration.payment_links import configured_redirect, is_same_site_path
from stancer_integration.payment_request_info import settings_for_gateway

no_cache = 1


def get_context(context):
	context.no_cache = 1
	context.title = _("Payment received")
	context.message = _("Thank you: your payment was accepted.")
	redirect_to = frappe.form_dict.get("redirect_to")
	context.continue_to = redirect_to if continues(redirect_to, frappe.form_dict.get("pr")) else None


def continues(url, payment_request):
	"""Somewhere on this site (a path, or its own address: a shop names its order page so), or
	the redirect set in the Stancer Settings of `payment_request`: never any other address the
	query string names (this page is a guest's)."""
	if not url or not isinstance(url, str) or "\\" in url:
		return False
	if is_same_site_path(url) or url.startswith(get_url() + "/"):
		return True
	return bool(payment_request) and url == configured_redirect_of(payment_request)


def configured_redirect_of(payment_request):
	gateway = frappe.db.get_value("Payment Request", payment_request, "payment_gateway")
	settings = settings_for_gateway(gateway) if isinstance(payment_request, str) else None
	return configured_redirect(settings.redirect_url) if settings else None
