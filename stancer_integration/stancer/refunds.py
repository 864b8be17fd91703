"""Refunds as pure rules over Stancer's answers: what may be refunded, what a refund's status
means, and which refund at Stancer is the one a request whose answer was lost made.

Stancer's refunds carry no `unique_id` (stancer-api.md §6), so a refund sent again after a lost
answer would give the money back twice: callers never re-send one; they read the payment's
refunds and claim the one that matches instead (`unclaimed`).
"""

from enum import Enum

from stancer_integration.stancer.errors import ValidationError

MIN_REFUND = 50  # minor units, Stancer's minimum for a refund


class RefundOutcome(str, Enum):
	PENDING = "pending"  # to_refund: Stancer sends it within the day
	SENT = "sent"  # refund_sent: on its way to the cardholder's bank
	REFUNDED = "refunded"  # credited to the cardholder
	FAILED = "failed"  # failed, not_honored: the money stayed with the merchant
	CANCELED = "canceled"  # payment_canceled: an authorization let go, no money moved


REFUND_STATUSES = {
	"to_refund": RefundOutcome.PENDING,
	"awaiting_approval": RefundOutcome.PENDING,
	"refund_sent": RefundOutcome.SENT,
	"refunded": RefundOutcome.REFUNDED,
	"failed": RefundOutcome.FAILED,
	"not_honored": RefundOutcome.FAILED,
	"payment_canceled": RefundOutcome.CANCELED,
}
FAILED_REFUND_STATUSES = frozenset(s for s, o in REFUND_STATUSES.items() if o is RefundOutcome.FAILED)
# Payment statuses a refund may be made from (what Stancer's WooCommerce plugin offers).
REFUNDABLE_STATUSES = frozenset({"to_capture", "capture_sent", "captured"})
# Seconds of clock difference allowed between this server and Stancer's when claiming a refund.
CLOCK_SLACK = 300


def refund_outcome(status):
	"""The outcome of a refund status; None for a status this app does not know."""
	return REFUND_STATUSES.get(status)


def is_settled(status):
	"""True once a refund will not change any more."""
	return refund_outcome(status) in (RefundOutcome.REFUNDED, RefundOutcome.FAILED, RefundOutcome.CANCELED)


def given_back(refunds):
	"""Minor units the refunds gave back, or are giving back (failed ones gave nothing)."""
	return sum(
		refund.get("amount") or 0
		for refund in refunds
		if isinstance(refund, dict) and refund.get("status") not in FAILED_REFUND_STATUSES
	)


def check_refund(amount, paid, already, status):
	"""Refuse, before anything is sent, a refund Stancer would refuse or that gives back more
	than was taken: `amount` asked, `paid` the payment's amount, `already` what earlier refunds
	gave back (all minor units), `status` the payment's Stancer status. Raises ValidationError
	whose `code` names the rule: not_refundable, partial_before_capture, nothing_left,
	too_small, too_much."""
	if isinstance(amount, bool) or not isinstance(amount, int):
		raise ValidationError("The refund amount must be whole minor units", field="amount", code="amount")
	left = paid - already
	if status == "authorized":
		if amount != paid:
			raise ValidationError(
				"An authorization can only be cancelled whole, before it is captured",
				field="amount",
				code="partial_before_capture",
			)
		return
	if status not in REFUNDABLE_STATUSES:
		raise ValidationError(
			f"A payment whose status is {status or 'null'} cannot be refunded",
			code="not_refundable",
			params={"status": status},
		)
	if left <= 0:
		raise ValidationError("Everything paid has been refunded already", code="nothing_left")
	if amount < MIN_REFUND:
		raise ValidationError(
			f"A refund must be at least {MIN_REFUND} minor units",
			field="amount",
			code="too_small",
			params={"minimum": MIN_REFUND},
		)
	if amount > left:
		raise ValidationError(
			f"At most {left} minor units are left to refund",
			field="amount",
			code="too_much",
			params={"left": left},
		)


def unclaimed(refunds, claimed, amount, not_before):
	"""The refund a request with a lost answer made: of `amount` minor units, made at
	`not_before` (a Unix time) or after, and not already `claimed` (ids) by another record; the
	oldest such one, or None when Stancer made none."""
	found = [
		refund
		for refund in refunds
		if isinstance(refund, dict)
		and refund.get("id") not in claimed
		and refund.get("amount") == amount
		and (refund.get("created") or 0) >= not_before - CLOCK_SLACK
	]
	return min(found, key=lambda refund: (refund.get("created") or 0, refund.get("id"))) if found else None
