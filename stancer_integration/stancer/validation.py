"""Stancer's request rules, checked before anything is sent, each with a clear message."""

import hashlib
import re

from stancer_integration.stancer.errors import ValidationError
from stancer_integration.stancer.urls import STANCER_API_HOST, is_loopback_host, split_url

CURRENCIES = frozenset({"aud", "cad", "chf", "dkk", "eur", "gbp", "jpy", "nok", "pln", "sek", "usd"})
MIN_AMOUNT = 50
MAX_ID_LENGTH = 36
MIN_DESCRIPTION, MAX_DESCRIPTION = 3, 64
MAX_RETURN_URL = 2048
DEFAULT_DESCRIPTION = "Payment"
MIN_CUSTOMER_NAME, MIN_CUSTOMER_EMAIL, MAX_CUSTOMER_FIELD = 3, 5, 64
MIN_CUSTOMER_MOBILE, MAX_CUSTOMER_MOBILE = 8, 16

KEY_PATTERN = re.compile(r"^(pprod|ptest|sprod|stest)_[A-Za-z0-9]{24}$")
MODES = {"test": "test", "prod": "live"}


def currency(value):
	"""Lowercase ISO code Stancer accepts, or ValidationError."""
	code = (value or "").strip().lower() if isinstance(value, str) else ""
	if code not in CURRENCIES:
		raise ValidationError(
			f"Stancer does not accept the currency {value!r} (accepted: {', '.join(sorted(CURRENCIES)).upper()})",
			field="currency",
			code="currency",
			params={"currency": value, "accepted": ", ".join(sorted(CURRENCIES)).upper()},
		)
	return code


def amount(value, capture=True):
	"""Minor units: at least 50; 0 only for a card check without capture."""
	if isinstance(value, bool) or not isinstance(value, int):
		raise ValidationError(
			f"The amount must be a whole number of minor units, not {value!r}",
			field="amount",
			code="amount_type",
		)
	if value == 0 and capture is False:
		return value
	if value < MIN_AMOUNT:
		raise ValidationError(
			f"The amount must be at least {MIN_AMOUNT} minor units (0 only without capture), not {value}",
			field="amount",
			code="amount_minimum",
			params={"minimum": MIN_AMOUNT, "amount": value},
		)
	return value


def description(value):
	text = value.strip() if isinstance(value, str) else ""
	if not MIN_DESCRIPTION <= len(text) <= MAX_DESCRIPTION:
		raise ValidationError(
			f"The description must be {MIN_DESCRIPTION} to {MAX_DESCRIPTION} characters long",
			field="description",
			code="description_length",
			params={"min": MIN_DESCRIPTION, "max": MAX_DESCRIPTION},
		)
	return text


def shorten_description(title, fallback=DEFAULT_DESCRIPTION):
	"""A description Stancer accepts from any document title: whitespace folded, cut on a word."""
	if isinstance(title, bytes):
		title = title.decode("utf-8", "replace")
	text = " ".join(str(title or "").split())
	if len(text) > MAX_DESCRIPTION:
		cut = text[: MAX_DESCRIPTION - 1]
		space = cut.rfind(" ")
		text = (cut[:space] if space > MAX_DESCRIPTION // 2 else cut).rstrip(" ,;:-") + "…"
	if len(text) < MIN_DESCRIPTION:
		# The fallback obeys the same limits, so the result is always one Stancer accepts.
		text = " ".join(str(fallback or "").split())[:MAX_DESCRIPTION]
		if len(text) < MIN_DESCRIPTION:
			text = DEFAULT_DESCRIPTION
	return text


def reference(value, field):
	"""`order_id`, `unique_id`, `external_id`: 1 to 36 characters."""
	text = value if isinstance(value, str) else ""
	if not 1 <= len(text) <= MAX_ID_LENGTH:
		raise ValidationError(
			f"{field} must be 1 to {MAX_ID_LENGTH} characters long",
			field=field,
			code="reference_length",
			params={"field": field, "max": MAX_ID_LENGTH},
		)
	return text


def stable_reference(name):
	"""An ERP name as a Stancer reference of at most 36 characters, the same every time.

	Short names pass unchanged (they stay readable in Stancer's dashboard); a longer one keeps
	its start and gets a hash of the whole, so two long names never collide in practice.
	"""
	text = str(name)
	if 1 <= len(text) <= MAX_ID_LENGTH:
		return text
	digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
	return f"{text[: MAX_ID_LENGTH - 13]}~{digest}"


def return_url(value, allow_http=False, field="return_url"):
	"""https only; plain http is allowed for a loopback host when talking to a local sandbox."""
	if not isinstance(value, str) or len(value) > MAX_RETURN_URL:
		raise ValidationError(
			f"{field} must be a URL of at most {MAX_RETURN_URL} characters", field=field, code="url"
		)
	scheme, host, _port = split_url(value)
	if not host:
		raise ValidationError(f"{field} is not a URL: {value!r}", field=field, code="url")
	if scheme == "https":
		return value
	if scheme == "http" and allow_http and is_loopback_host(host):
		return value
	raise ValidationError(f"{field} must use https", field=field, code="url_https")


def customer_name(value):
	"""3 to 64 characters (Stancer's PHP SDK and API; shorter names are refused with a 400)."""
	return _length(value, "name", MIN_CUSTOMER_NAME, MAX_CUSTOMER_FIELD, "customer_name_length")


def customer_email(value):
	return _length(value, "email", MIN_CUSTOMER_EMAIL, MAX_CUSTOMER_FIELD, "customer_email_length")


def customer_mobile(value):
	"""8 to 16 characters, E.164 style (+33612345678): strip spaces before calling."""
	return _length(value, "mobile", MIN_CUSTOMER_MOBILE, MAX_CUSTOMER_MOBILE, "customer_mobile_length")


def _length(value, field, minimum, maximum, code):
	if not isinstance(value, str) or not minimum <= len(value) <= maximum:
		raise ValidationError(
			f"The customer {field} must be {minimum} to {maximum} characters long",
			field=field,
			code=code,
			params={"field": field, "min": minimum, "max": maximum},
		)
	return value


def key_mode(key, field="key"):
	"""'test' or 'live' from a key's prefix, or ValidationError (never echoing the key)."""
	# fullmatch: `$` alone would accept a key followed by a newline (a pasted key).
	if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
		raise ValidationError(
			"A Stancer key starts with stest_, sprod_, ptest_ or pprod_ followed by 24 letters or digits",
			field=field,
			code="key_format",
		)
	return MODES[key[1:5]]


def keys(public_key, secret_key):
	"""Check a key pair; return its mode ('test' or 'live')."""
	if not secret_key:
		raise ValidationError("The secret key is missing", field="secret_key", code="secret_key_missing")
	if not isinstance(secret_key, str) or not secret_key.startswith(("stest_", "sprod_")):
		raise ValidationError(
			"The secret key must start with stest_ or sprod_", field="secret_key", code="secret_key_prefix"
		)
	secret_mode = key_mode(secret_key, "secret_key")
	if public_key is None or public_key == "":
		return secret_mode
	if not isinstance(public_key, str) or not public_key.startswith(("ptest_", "pprod_")):
		raise ValidationError(
			"The public key must start with ptest_ or pprod_", field="public_key", code="public_key_prefix"
		)
	public_mode = key_mode(public_key, "public_key")
	if public_mode != secret_mode:
		raise ValidationError(
			f"The public key is a {public_mode} key but the secret key is a {secret_mode} key",
			field="public_key",
			code="key_mode_mismatch",
			params={"public_mode": public_mode, "secret_mode": secret_mode},
		)
	return secret_mode


def api_base(url, mode):
	"""Check where a key of `mode` may be sent; return the URL.

	A live key goes to Stancer's own API host only, over https. A test key may also go to
	another https host or, over plain http, to a sandbox on this machine (plain http would send
	the key in clear).
	"""
	scheme, host, port = split_url(url) if isinstance(url, str) else ("", "", None)
	if mode == "live":
		if scheme != "https" or host != STANCER_API_HOST or port not in (None, 443):
			raise ValidationError(
				f"A live key is only ever sent to https://{STANCER_API_HOST}",
				field="api_base",
				code="live_key_host",
				params={"host": STANCER_API_HOST},
			)
		return url
	if scheme == "https" and host:
		return url
	if scheme == "http" and is_loopback_host(host):
		return url
	raise ValidationError(
		"The API base URL must use https (http only for a local sandbox)", field="api_base", code="api_base"
	)
