"""What a Stancer payment means for the books, as pure functions of what the API returns.

The rest of the app acts on these outcomes only; it never compares raw Stancer statuses.
"""

from enum import Enum


class Outcome(str, Enum):
	PENDING = "pending"  # nothing decided yet (customer on the page, 3-D Secure running)
	AUTHORIZED = "authorized"  # bank said yes, money not taken yet: capture is due
	PAID = "paid"  # captured or being captured: record it
	FAILED = "failed"  # refused, failed, 3-D Secure declined
	EXPIRED = "expired"  # authorization never captured in time
	CANCELED = "canceled"  # will not happen (and was not refunded)
	REFUNDED = "refunded"  # was taken, then given back in full
	DISPUTED = "disputed"  # was taken, the cardholder disputed it


PAID_STATUSES = frozenset({"to_capture", "capture_sent", "captured"})
FAILED_STATUSES = frozenset({"refused", "failed"})
# 3-D Secure ending in these leaves the payment status null, yet nothing more will happen.
FAILED_AUTH_STATUSES = frozenset({"declined", "failed", "expired", "unavailable"})
FINAL_OUTCOMES = frozenset(
	{Outcome.PAID, Outcome.FAILED, Outcome.EXPIRED, Outcome.CANCELED, Outcome.REFUNDED, Outcome.DISPUTED}
)
# Outcomes where money reached (or will reach) the merchant at some point.
MONEY_TAKEN = frozenset({Outcome.PAID, Outcome.REFUNDED, Outcome.DISPUTED})

INTENT_STATUSES = {
	"require_payment_method": Outcome.PENDING,
	"require_authentication": Outcome.PENDING,
	"processing": Outcome.PENDING,
	"authorized": Outcome.AUTHORIZED,
	"captured": Outcome.PAID,
	"canceled": Outcome.CANCELED,
	"unpaid": Outcome.FAILED,
}


def auth_status_of(payment):
	auth = payment.get("auth")
	return auth.get("status") if isinstance(auth, dict) else None


def outcome(status, capture=True, auth_status=None, amount=None, refunded_amount=0):
	"""The outcome of a payment from its `status`, `capture` flag, 3-D Secure status and refunds.

	`capture` is kept in the signature so callers pass what they have; an `authorized` payment
	needs a capture whatever it is (with capture=true Stancer normally captures itself).
	"""
	if amount and refunded_amount and refunded_amount >= amount:
		return Outcome.REFUNDED
	if status in PAID_STATUSES:
		return Outcome.PAID
	if status == "authorized":
		return Outcome.AUTHORIZED
	if status in FAILED_STATUSES:
		return Outcome.FAILED
	if status == "expired":
		return Outcome.EXPIRED
	if status == "canceled":
		# A full refund of an uncaptured payment cancels it: that is a refund, not a failure.
		return Outcome.REFUNDED if refunded_amount else Outcome.CANCELED
	if status == "disputed":
		return Outcome.DISPUTED
	if status is None and auth_status in FAILED_AUTH_STATUSES:
		return Outcome.FAILED
	return Outcome.PENDING


def payment_outcome(payment, refunded_amount=0):
	"""`outcome` for a payment object (dict) as the API returns it.

	Stancer's v2 payment does not carry its refunds: `refunded_amount` (minor units) is what
	the caller read from the payment's refunds, given here or as the payment's own
	`refunded_amount` key (see StancerClient.payments.with_refunds)."""
	refunded_amount = refunded_amount or payment.get("refunded_amount") or 0
	return outcome(
		payment.get("status"),
		capture=payment.get("capture", True),
		auth_status=auth_status_of(payment),
		amount=payment.get("amount"),
		refunded_amount=refunded_amount,
	)


def intent_outcome(intent):
	"""The outcome of a payment intent (`pi_…`) from its status."""
	return INTENT_STATUSES.get(intent.get("status"), Outcome.PENDING)


def is_intent(obj):
	return str(obj.get("id") or "").startswith("pi_")


def object_outcome(obj):
	"""The outcome of either kind of object the checkout may use: a payment or an intent."""
	return intent_outcome(obj) if is_intent(obj) else payment_outcome(obj)


def is_success(payment):
	"""Stancer's own success rule (SDKs): paid, or authorized when capture was not asked."""
	status = payment.get("status")
	return status in PAID_STATUSES or (status == "authorized" and payment.get("capture") is False)


def needs_capture(payment):
	"""True when an authorized payment (or intent) still has money to take.

	A 0-amount authorization (card check, `capture: false`) is complete as it is: there is
	nothing to capture.
	"""
	if payment.get("amount") == 0:
		return False
	return object_outcome(payment) is Outcome.AUTHORIZED


# Every payment status Stancer documents (null too: nothing decided yet).
KNOWN_PAYMENT_STATUSES = frozenset(
	{None, "authorized", "canceled", "disputed", "expired", "refused", "failed", "to_capture"} | PAID_STATUSES
)


def unknown_status(obj):
	"""The status of a payment or intent when it is none Stancer documents, else None.

	Such a payment is reported as pending by `object_outcome`; the caller flags it for a person
	rather than wait for ever.
	"""
	status = obj.get("status")
	known = INTENT_STATUSES if is_intent(obj) else KNOWN_PAYMENT_STATUSES
	return None if status in known else str(status)


def is_final(result):
	return Outcome(result) in FINAL_OUTCOMES
