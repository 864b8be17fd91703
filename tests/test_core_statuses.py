"""What Stancer statuses mean for the books (stancer-api.md §2.C, §3.1, §6, §10.7)."""

import itertools

import pytest

from stancer_integration.stancer import statuses
from stancer_integration.stancer.statuses import Outcome

O = Outcome  # noqa: E741 -- short alias keeps the tables readable

# Every payment status in stancer-api.md §2.C, including the request-only values, with what it
# means whatever the capture flag (the flag only matters to is_success).
PAYMENT_STATUSES = {
	None: O.PENDING,
	"authorize": O.PENDING,  # request value, never final
	"capture": O.PENDING,  # request value, never final
	"authorized": O.AUTHORIZED,
	"to_capture": O.PAID,
	"capture_sent": O.PAID,
	"captured": O.PAID,
	"refused": O.FAILED,
	"failed": O.FAILED,
	"expired": O.EXPIRED,
	"canceled": O.CANCELED,
	"disputed": O.DISPUTED,
}
# 3-D Secure statuses (payment.auth.status); with status null, these four mean it is over.
AUTH_STATUSES = [
	None,
	"request",
	"requested",
	"available",
	"attempted",
	"success",
	"declined",
	"failed",
	"expired",
	"unavailable",
]
FAILED_AUTH = {"declined", "failed", "expired", "unavailable"}


def expected_outcome(status, auth_status):
	if status is None and auth_status in FAILED_AUTH:
		return O.FAILED
	return PAYMENT_STATUSES[status]


@pytest.mark.parametrize(
	"status, capture, auth_status",
	list(itertools.product(PAYMENT_STATUSES, [True, False], AUTH_STATUSES)),
)
def test_every_combination(status, capture, auth_status):
	expected = expected_outcome(status, auth_status)
	assert statuses.outcome(status, capture=capture, auth_status=auth_status) is expected
	payment = {"status": status, "capture": capture, "amount": 2599}
	if auth_status is not None:
		payment["auth"] = {"status": auth_status, "redirect_url": None, "return_url": None}
	assert statuses.payment_outcome(payment) is expected


@pytest.mark.parametrize("status", sorted(PAYMENT_STATUSES, key=str))
@pytest.mark.parametrize("capture", [True, False, None])
def test_is_success_is_stancers_sdk_rule(status, capture):
	payment = {"status": status, "capture": capture}
	expected = status in ("to_capture", "capture_sent", "captured") or (
		status == "authorized" and capture is False
	)
	assert statuses.is_success(payment) is expected


def test_auth_status_not_an_object():
	# v1 shape / request shape: `auth: true` must not break the reading.
	assert statuses.payment_outcome({"status": None, "auth": True}) is O.PENDING
	assert statuses.auth_status_of({"auth": "declined"}) is None
	assert statuses.auth_status_of({}) is None


def test_unknown_status_is_pending_not_failed():
	assert statuses.outcome("something_new") is O.PENDING


class TestRefunds:
	def test_canceled_after_full_refund_is_refunded(self):
		# A full refund before capture cancels the payment: a refund, not a failure (WOO 503cf90).
		payment = {"status": "canceled", "capture": True, "amount": 2599}
		assert statuses.payment_outcome(payment, refunded_amount=2599) is O.REFUNDED

	def test_canceled_with_any_refund_is_refunded(self):
		assert statuses.outcome("canceled", amount=2599, refunded_amount=100) is O.REFUNDED

	def test_canceled_without_refund_is_canceled(self):
		assert statuses.payment_outcome({"status": "canceled", "amount": 2599}) is O.CANCELED

	@pytest.mark.parametrize("status", ["to_capture", "capture_sent", "captured", "disputed"])
	def test_full_refund_of_taken_payment(self, status):
		payment = {"status": status, "capture": True, "amount": 2599}
		assert statuses.payment_outcome(payment, refunded_amount=2599) is O.REFUNDED
		assert statuses.payment_outcome(payment, refunded_amount=3000) is O.REFUNDED

	@pytest.mark.parametrize("status", ["to_capture", "captured"])
	def test_partial_refund_stays_paid(self, status):
		payment = {"status": status, "capture": True, "amount": 2599}
		assert statuses.payment_outcome(payment, refunded_amount=599) is O.PAID

	def test_zero_amount_is_never_refunded(self):
		assert statuses.outcome("authorized", capture=False, amount=0, refunded_amount=0) is O.AUTHORIZED


@pytest.mark.parametrize(
	"status, expected",
	[
		("require_payment_method", O.PENDING),
		("require_authentication", O.PENDING),
		("processing", O.PENDING),
		("authorized", O.AUTHORIZED),
		("captured", O.PAID),
		("canceled", O.CANCELED),
		("unpaid", O.FAILED),
		(None, O.PENDING),
		("brand_new_status", O.PENDING),
	],
)
def test_intent_outcome(status, expected):
	assert statuses.intent_outcome({"status": status}) is expected


class TestNeedsCapture:
	@pytest.mark.parametrize("capture", [True, False])
	def test_authorized(self, capture):
		assert statuses.needs_capture({"status": "authorized", "capture": capture, "amount": 2599})

	@pytest.mark.parametrize("status", [s for s in PAYMENT_STATUSES if s != "authorized"])
	def test_not_authorized(self, status):
		assert not statuses.needs_capture({"status": status, "capture": False, "amount": 2599})

	def test_card_check_has_nothing_to_capture(self):
		# amount 0 + capture false is a card verification: authorized is its end.
		payment = {"status": "authorized", "capture": False, "amount": 0}
		assert not statuses.needs_capture(payment)
		assert statuses.is_success(payment)


def test_final_outcomes():
	assert not statuses.is_final(O.PENDING)
	assert not statuses.is_final(O.AUTHORIZED)
	assert not statuses.is_final("pending")
	for final in (O.PAID, O.FAILED, O.EXPIRED, O.CANCELED, O.REFUNDED, O.DISPUTED):
		assert statuses.is_final(final)
		assert statuses.is_final(final.value)


def test_outcome_is_a_string():
	# The Frappe layer stores it in a Select field.
	assert O.PAID == "paid"
	assert Outcome("refunded") is O.REFUNDED


@pytest.mark.parametrize(
	"obj, expected",
	[
		({"id": "paym_x", "status": "to_capture"}, Outcome.PAID),
		({"id": "paym_x", "status": None}, Outcome.PENDING),
		({"id": "pi_x", "status": "captured"}, Outcome.PAID),
		({"id": "pi_x", "status": "require_payment_method"}, Outcome.PENDING),
		({"id": "pi_x", "status": "authorized"}, Outcome.AUTHORIZED),
		({"id": "pi_x", "status": "unpaid"}, Outcome.FAILED),
	],
)
def test_object_outcome_reads_payments_and_intents(obj, expected):
	assert statuses.object_outcome(obj) is expected


def test_needs_capture_for_an_authorized_intent():
	assert statuses.needs_capture({"id": "pi_x", "status": "authorized", "amount": 300})
	assert not statuses.needs_capture({"id": "pi_x", "status": "captured", "amount": 300})


def test_unknown_statuses_are_named_known_ones_are_not():
	from stancer_integration.stancer.statuses import unknown_status

	for status in (
		None,
		"authorized",
		"to_capture",
		"capture_sent",
		"captured",
		"refused",
		"failed",
		"expired",
		"canceled",
		"disputed",
	):
		assert unknown_status({"id": "paym_x", "status": status}) is None, status
	assert unknown_status({"id": "paym_x", "status": "on_hold"}) == "on_hold"
	assert unknown_status({"id": "pi_x", "status": "captured"}) is None
	assert unknown_status({"id": "pi_x", "status": "to_capture"}) == "to_capture"
