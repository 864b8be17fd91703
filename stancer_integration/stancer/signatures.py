"""Webhook signatures: `Stancer-Signature: t=<unix>,v1=<hex>`.

The signature is HMAC-SHA256 over `"<t>.<raw body>"` keyed with the endpoint secret. Stancer's
own format is not authoritatively documented, so the app only ever treats a verified webhook as
a reason to re-fetch the object from the API; this module just proves who sent it.
"""

import hashlib
import hmac
import time

from stancer_integration.stancer.errors import SignatureError

HEADER = "Stancer-Signature"
DEFAULT_TOLERANCE = 300  # seconds; a replayed delivery older than this is refused


def _as_bytes(value):
	return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def compute(secret, timestamp, payload):
	"""Hex HMAC-SHA256 of `"<timestamp>.<payload>"` with `secret`."""
	signed = str(int(timestamp)).encode("ascii") + b"." + _as_bytes(payload)
	return hmac.new(_as_bytes(secret), signed, hashlib.sha256).hexdigest()


def sign(secret, payload, timestamp=None):
	"""The header value a sender puts on a delivery."""
	if not secret:
		raise SignatureError("A webhook secret is needed to sign")
	timestamp = int(time.time()) if timestamp is None else int(timestamp)
	return f"t={timestamp},v1={compute(secret, timestamp, payload)}"


def parse_header(header):
	"""Return (timestamp, [v1 signatures]) from a header value, or raise SignatureError."""
	if not header or not isinstance(header, str):
		raise SignatureError("The webhook has no signature header")
	timestamp = None
	signatures = []
	for part in header.split(","):
		key, sep, value = part.strip().partition("=")
		if not sep:
			continue
		if key == "t":
			try:
				timestamp = int(value)
			except ValueError:
				raise SignatureError("The signature timestamp is not a number") from None
		elif key == "v1" and value:
			signatures.append(value.strip().lower())
	if timestamp is None:
		raise SignatureError("The signature header has no timestamp")
	if not signatures:
		raise SignatureError("The signature header has no v1 signature")
	return timestamp, signatures


def _candidate_keys(secret):
	"""The secret as text, and hex-decoded when it is hex: sources disagree on which is used."""
	keys = [_as_bytes(secret)]
	text = secret.decode("ascii", "ignore") if isinstance(secret, bytes) else secret
	body = text.split("_", 1)[1] if text.startswith("whsec_") else text
	try:
		if body and len(body) % 2 == 0:
			keys.append(bytes.fromhex(body))
	except ValueError:
		pass
	return keys


def verify(secret, payload, header, tolerance=DEFAULT_TOLERANCE, now=None):
	"""Check a delivery; return its timestamp, or raise SignatureError saying why not."""
	if not secret:
		raise SignatureError("No webhook secret is configured")
	timestamp, signatures = parse_header(header)
	now = int(time.time()) if now is None else int(now)
	if tolerance and abs(now - timestamp) > tolerance:
		raise SignatureError("The webhook signature is too old or from the future")
	signed = str(timestamp).encode("ascii") + b"." + _as_bytes(payload)
	# Bytes, not str: compare_digest raises TypeError on non-ASCII text, and a forged header
	# must end in SignatureError, never in a crash.
	candidates = [candidate.encode("utf-8", "replace") for candidate in signatures]
	for key in _candidate_keys(secret):
		expected = hmac.new(key, signed, hashlib.sha256).hexdigest().encode("ascii")
		# compare_digest on every candidate: constant time whatever matches.
		if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
			return timestamp
	raise SignatureError("The webhook signature does not match")
