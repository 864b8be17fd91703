"""The references this site sends to Stancer, and the rule that says a payment is ours.

Several sites may share one Stancer account (a staging copy, a second site, a restored
backup), and their Payment Requests may bear the same names. So the `unique_id` of an attempt
carries a digest keyed on a secret of this site and on the request's own creation time: stable
for this site, different on another. A payment Stancer holds is taken as an attempt's only when
its unique_id, amount, currency and order all match what this site sent.
"""

import hashlib
import hmac

from stancer_integration.stancer.validation import MAX_ID_LENGTH, stable_reference

DIGEST_LENGTH = 12


def site_digest(site_secret, *parts):
	"""A short keyed digest of `parts` (HMAC-SHA256 with this site's secret)."""
	if not site_secret:
		raise ValueError("A site secret is needed to make Stancer references")
	key = site_secret.encode() if isinstance(site_secret, str) else site_secret
	message = "\x1f".join(str(part) for part in parts).encode()
	return hmac.new(key, message, hashlib.sha256).hexdigest()[:DIGEST_LENGTH]


def attempt_unique_id(site_secret, payment_request, created, attempt):
	"""The unique_id of attempt number `attempt` (1, 2, …) at paying `payment_request`.

	Reads as the request's name followed by the attempt number and this site's digest, within
	Stancer's 36 characters (a long name keeps its start and a hash of the whole).
	"""
	digest = site_digest(site_secret, "attempt", payment_request, created)
	reference = stable_reference(f"{payment_request}-{attempt}-{digest}")
	assert len(reference) <= MAX_ID_LENGTH
	return reference


def renewal_unique_id(site_secret, invoice, created):
	"""The unique_id of the one charge of a saved card for `invoice` (a subscription renewal):
	the same on every run of the renewal on this site, so Stancer refuses a second charge
	(409) and a retry finds the first; another site makes another."""
	digest = site_digest(site_secret, "renewal", invoice, created)
	reference = stable_reference(f"{invoice}-R-{digest}")
	assert len(reference) <= MAX_ID_LENGTH
	return reference


def keyed_reference(site_secret, kind, name, created):
	"""A reference for an object of this site (a customer, say): its name and this site's
	digest, within Stancer's 36 characters."""
	return stable_reference(f"{name}~{site_digest(site_secret, kind, name, created)}")


def is_same_attempt(obj, *, unique_id, amount, currency, order_id=None):
	"""True only when a payment (or intent) Stancer holds is the attempt we made.

	Payments carry the `unique_id` we sent; intents have none, so it travels in their metadata.
	"""
	if not isinstance(obj, dict) or not unique_id:
		return False
	metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
	found_unique_id = obj.get("unique_id") or metadata.get("unique_id")
	if found_unique_id != unique_id:
		return False
	if obj.get("amount") != amount or isinstance(obj.get("amount"), bool):
		return False
	if str(obj.get("currency") or "").lower() != str(currency or "").lower():
		return False
	return order_id is None or obj.get("order_id") == order_id
