"""Saved cards and charges made without the customer (subscription renewals), as pure rules on
what the API returns: whether a charge of a saved card succeeded, and whether the card can still
be used at all.

A card reported lost or stolen, or expired, will be refused again at every renewal: it stops being
the customer's default, and the customer is asked to pay (and so give a card) through the link.
"""

from datetime import date

from stancer_integration.stancer.client import object_id
from stancer_integration.stancer.statuses import Outcome, object_outcome

# Bank answers that say the card itself is finished (ISO 8583 and Stancer's own codes): pick up
# (04, 07), no such card (14, 15), expired (33, 54), lost (41), stolen (42 as Stancer's SDK names
# it, 43 in ISO 8583), Stancer's "stolen or lost card" (7840). A "do not honor" (05) or "no funds"
# (51) may pass next time: the card stays.
CARD_UNUSABLE_RESPONSES = frozenset({"04", "07", "14", "15", "33", "41", "42", "43", "54", "7840"})


def card_id_of(payment):
	"""The id of the card a payment was made with, or None."""
	return object_id(payment.get("card")) if payment.get("card") else None


def customer_id_of(payment):
	"""The id of the Stancer customer a payment was made for, or None."""
	return object_id(payment.get("customer")) if payment.get("customer") else None


def card_expired(card, today=None):
	"""True when a card (as Stancer returns it) is past the last day of its expiry month."""
	if not isinstance(card, dict):
		return False
	try:
		month, year = int(card.get("exp_month")), int(card.get("exp_year"))
	except (TypeError, ValueError):
		return False
	if year < 100:
		year += 2000
	today = today or date.today()
	return (year, month) < (today.year, today.month)


def card_unusable(payment, today=None):
	"""True when a refused payment says its card can no longer be used (lost, stolen, expired)."""
	if object_outcome(payment) is not Outcome.FAILED:
		return False
	if str(payment.get("response") or "") in CARD_UNUSABLE_RESPONSES:
		return True
	return card_expired(payment.get("card"), today)


def card_label(card):
	"""Brand and last 4 digits for a person: "VISA •••• 4242"."""
	brand = str(card.get("brand") or "").upper() or "CARD"
	return f"{brand} •••• {card.get('last4') or '????'}"
