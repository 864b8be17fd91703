"""Refund rules (stancer-api.md §6): what may be refunded, what statuses mean, which refund a
request with a lost answer made."""

import pytest

from stancer_integration.stancer import refunds
from stancer_integration.stancer.errors import ValidationError
from stancer_integration.stancer.refunds import RefundOutcome


@pytest.mark.parametrize(
	("status", "outcome", "settled"),
	[
		("to_refund", RefundOutcome.PENDING, False),
		("awaiting_approval", RefundOutcome.PENDING, False),
		("refund_sent", RefundOutcome.SENT, False),
		("refunded", RefundOutcome.REFUNDED, True),
		("failed", RefundOutcome.FAILED, True),
		("not_honored", RefundOutcome.FAILED, True),
		("payment_canceled", RefundOutcome.CANCELED, True),
		("something_new", None, False),
		(None, None, False),
	],
)
def test_refund_statuses(status, outcome, settled):
	assert refunds.refund_outcome(status) is outcome
	assert refunds.is_settled(status) is settled


def test_given_back_leaves_failed_refunds_out():
	listed = [
		{"amount": 1000, "status": "to_refund"},
		{"amount": 500, "status": "failed"},
		{"amount": 200, "status": "not_honored"},
		{"amount": 300, "status": "refunded"},
		"not a refund",
	]
	assert refunds.given_back(listed) == 1300
	assert refunds.given_back([]) == 0


def refused(amount, paid=2599, already=0, status="captured"):
	with pytest.raises(ValidationError) as caught:
		refunds.check_refund(amount, paid, already, status)
	return caught.value.code, caught.value.params


@pytest.mark.parametrize("status", ["to_capture", "capture_sent", "captured"])
def test_refunds_allowed_after_capture(status):
	refunds.check_refund(2599, 2599, 0, status)
	refunds.check_refund(50, 2599, 0, status)
	refunds.check_refund(1599, 2599, 1000, status)


def test_refund_rules():
	assert refused(2600) == ("too_much", {"left": 2599})
	assert refused(1600, already=1000) == ("too_much", {"left": 1599})
	assert refused(49) == ("too_small", {"minimum": 50})
	assert refused(0)[0] == "too_small"
	assert refused(100, already=2599)[0] == "nothing_left"
	assert refused(10.5)[0] == "amount"
	assert refused(True)[0] == "amount"
	for status in (None, "refused", "failed", "expired", "canceled", "disputed"):
		assert refused(100, status=status) == ("not_refundable", {"status": status})


def test_authorization_is_cancelled_whole_only():
	refunds.check_refund(2599, 2599, 0, "authorized")
	assert refused(1000, status="authorized")[0] == "partial_before_capture"


def test_unclaimed_finds_the_refund_a_lost_answer_made():
	listed = [
		{"id": "refd_old", "amount": 1000, "created": 1_000},
		{"id": "refd_mine", "amount": 1000, "created": 5_000},
		{"id": "refd_later", "amount": 1000, "created": 6_000},
		{"id": "refd_other_amount", "amount": 900, "created": 5_000},
	]
	assert refunds.unclaimed(listed, set(), 1000, 5_000)["id"] == "refd_mine"
	assert refunds.unclaimed(listed, {"refd_mine"}, 1000, 5_000)["id"] == "refd_later"
	assert refunds.unclaimed(listed, {"refd_mine", "refd_later"}, 1000, 5_000) is None
	assert refunds.unclaimed(listed, set(), 1234, 0) is None
	# Stancer's clock a little behind this server's still counts; an hour before does not.
	assert refunds.unclaimed(listed, set(), 1000, 5_200)["id"] == "refd_mine"
	assert refunds.unclaimed([{"id": "refd_x", "amount": 1000, "created": 1_000}], set(), 1000, 5_000) is None
