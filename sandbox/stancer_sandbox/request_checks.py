"""Server-side checks on request fields, as strict as the real API; each names field and rule."""

import ipaddress
import re
from urllib.parse import urlsplit

from stancer_sandbox.api_errors import ApiError, bad_request

CURRENCIES = ("aud", "cad", "chf", "dkk", "eur", "gbp", "jpy", "nok", "pln", "sek", "usd")
METHODS = ("card", "sepa")
MIN_AMOUNT = 50
MAX_URL = 2048
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE = re.compile(r"^\+?[0-9]{8,16}$")


def reject_unknown(body, allowed):
	for name in body:
		if name not in allowed:
			raise ApiError(400, f"Unknown field `{name}`")


def amount(value, capture=True, field="amount"):
	if isinstance(value, bool) or not isinstance(value, int):
		raise bad_request(field, "must be an integer amount in minor units (2599 for 25.99)")
	if value == 0 and capture is False:
		return value  # card verification: 0 only when not captured
	if value < MIN_AMOUNT:
		raise bad_request(field, f"must be at least {MIN_AMOUNT} (0 is allowed only with `capture: false`)")
	return value


def currency(value):
	if value not in CURRENCIES:
		raise bad_request("currency", f"must be one of {', '.join(CURRENCIES)} (lowercase)")
	return value


def text(value, field, minimum, maximum):
	if not isinstance(value, str):
		raise bad_request(field, "must be a string")
	if not minimum <= len(value) <= maximum:
		raise bad_request(field, f"must be {minimum} to {maximum} characters long (got {len(value)})")
	return value


def optional_text(body, field, minimum, maximum):
	value = body.get(field)
	return None if value is None else text(value, field, minimum, maximum)


def boolean(value, field):
	if not isinstance(value, bool):
		raise bad_request(field, "must be true or false")
	return value


def url(value, field, max_length=MAX_URL):
	if not isinstance(value, str) or not value:
		raise bad_request(field, "must be a URL string")
	if len(value) > max_length:
		raise bad_request(field, f"must be at most {max_length} characters long")
	try:
		parts = urlsplit(value)
		host = parts.hostname
	except ValueError:
		raise bad_request(field, "is not a valid URL") from None
	if not host:
		raise bad_request(field, "must be an absolute URL with a host")
	if parts.scheme == "https" or (parts.scheme == "http" and _on_this_machine(host)):
		return value
	raise bad_request(field, "must use https (plain http only for localhost or 127.0.0.1)")


def _on_this_machine(host):
	"""localhost, *.localhost, 127.0.0.0/8, ::1 (`host` as urlsplit gives it: lowercase, no brackets)."""
	name = host.rstrip(".")
	try:
		return ipaddress.ip_address(name).is_loopback
	except ValueError:  # a name, not an address
		return name == "localhost" or name.endswith(".localhost")


def methods_allowed(value, currency_code=None):
	if not isinstance(value, list) or not value or any(item not in METHODS for item in value):
		raise bad_request("methods_allowed", 'must be a non-empty list of "card" and/or "sepa"')
	if "sepa" in value and currency_code not in (None, "eur"):
		raise bad_request("methods_allowed", "sepa is only possible with eur")
	return tuple(dict.fromkeys(value))


def email(value):
	text(value, "email", 5, 64)
	if not _EMAIL.match(value):
		raise bad_request("email", "is not an email address")
	return value


def mobile(value):
	if not isinstance(value, str) or not _MOBILE.match(value):
		raise bad_request("mobile", "must be a phone number of 8 to 16 digits, E.164 style (+33612345678)")
	return value


def id_of(value, field, prefix):
	if not isinstance(value, str) or not value.startswith(prefix + "_"):
		raise bad_request(field, f"must be a `{prefix}_…` id")
	return value
