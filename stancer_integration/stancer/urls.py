"""URL helpers: loopback detection and the hosted payment page address."""

import ipaddress
from urllib.parse import quote, urlsplit

STANCER_API_HOST = "api.stancer.com"
LANG_REGIONS = {"fr": "FR", "en": "GB", "de": "DE", "es": "ES", "it": "IT", "nl": "NL", "pt": "PT"}


def split_url(url):
	"""(scheme, host, port) of a URL, lowercased; ('', '', None) when it cannot be parsed."""
	try:
		parts = urlsplit(url)
		return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
	except ValueError:
		return "", "", None


def is_loopback_host(host):
	"""localhost, *.localhost, 127.0.0.0/8 and ::1: where plain http may serve a local sandbox."""
	host = (host or "").strip("[]").lower().rstrip(".")
	if host == "localhost" or host.endswith(".localhost"):
		return True
	try:
		return ipaddress.ip_address(host).is_loopback
	except ValueError:
		return False


def is_loopback_url(url):
	return is_loopback_host(split_url(url)[1])


def page_lang(lang):
	"""'fr', 'fr_FR', 'fr-fr' → 'fr-FR'; empty → None (Stancer then picks)."""
	if not lang:
		return None
	code = str(lang).replace("_", "-").strip()
	base, _, region = code.partition("-")
	base = base.lower()[:2]
	if not base.isalpha():
		return None
	region = (region or LANG_REGIONS.get(base, base)).upper()[:2]
	return f"{base}-{region}"


def page_base(api_base):
	"""Where hosted pages live: payment.stancer.com for the real API, the same host otherwise."""
	parts = urlsplit(api_base.rstrip("/"))
	host = parts.netloc
	if parts.hostname == STANCER_API_HOST or (parts.hostname or "").startswith("api."):
		host = "payment." + host[len("api.") :]
	return f"{parts.scheme}://{host}"


def payment_page_url(api_base, public_key, payment_id, lang=None):
	"""`https://payment.stancer.com/{public_key}/{payment_id}?lang=xx-XX` for a `paym_` payment."""
	url = f"{page_base(api_base)}/{quote(public_key, safe='')}/{quote(payment_id, safe='')}"
	lang = page_lang(lang)
	return f"{url}?lang={lang}" if lang else url
