"""Opaque payment-link tokens.

A token names a Payment Request, encrypted and authenticated with the site's encryption key
(Fernet), so it carries no amount, cannot be forged, and needs no database write to make:
Dokos calls get_payment_url as Guest on every click of its Pay button.
"""

from urllib.parse import parse_qs, urlencode, urlsplit

import frappe
from cryptography.fernet import Fernet, InvalidToken
from frappe.utils import get_url
from frappe.utils.password import get_encryption_key

from stancer_integration.permissions import visitor

PURPOSE = "stancer-checkout:"
CHECKOUT_ROUTE = "stancer_checkout"
RETURN_ROUTE = "stancer_return"
PAID_ROUTE = "stancer_paid"


def _fernet():
	return Fernet(get_encryption_key().encode())


def make_token(payment_request):
	return _fernet().encrypt((PURPOSE + payment_request).encode()).decode()


def read_token(token):
	"""The Payment Request a token names, or None for an unknown, forged or garbled token."""
	if not token or not isinstance(token, str) or len(token) > 1000:
		return None
	try:
		text = _fernet().decrypt(token.encode()).decode()
	except (InvalidToken, ValueError, TypeError):
		return None
	return text[len(PURPOSE) :] if text.startswith(PURPOSE) else None


def read_link(url):
	"""The Payment Request a checkout link of this site names, or None."""
	parts = urlsplit(url or "")
	if not parts.path.endswith(f"/{CHECKOUT_ROUTE}"):
		return None
	return read_token((parse_qs(parts.query).get("token") or [None])[0])


def checkout_url(payment_request, token=None):
	return get_url(f"/{CHECKOUT_ROUTE}?" + urlencode({"token": token or make_token(payment_request)}))


def return_url(unique_id, payment_request):
	"""Where Stancer sends the customer back: the attempt's unique_id (its record's name) and
	its request, so the payment is found even if the record was lost."""
	return get_url(f"/{RETURN_ROUTE}?" + urlencode({"ref": unique_id, "pr": payment_request}))


def success_url(payment_request, redirect_to=None):
	"""The app's own success page (ERPNext's sends a guest on to a login page), in the language
	the customer's pages speak (a guest's page otherwise follows the browser's)."""
	params = {"pr": payment_request}
	if redirect_to:
		params["redirect_to"] = redirect_to
	lang = getattr(frappe.local, "lang", None)
	if lang:
		params["_lang"] = lang
	return get_url(f"/{PAID_ROUTE}?" + urlencode(params))


def redirect_for_visitor(redirect_to):
	"""Where another app's hook sends the customer after paying (a shop's order page, say): only
	for a logged-in visitor, as such pages ask a guest to log in."""
	return redirect_to if redirect_to and visitor() != "Guest" else None


def is_same_site_path(url):
	# "/\\host" is another site to browsers, as "//host" is.
	return bool(url) and url.startswith("/") and not url.startswith(("//", "/\\"))


def configured_redirect(url):
	"""A redirect set in Stancer Settings: a path on this site or an https URL, else None."""
	url = (url or "").strip()
	return url if is_same_site_path(url) or url.startswith("https://") else None
