"""The references this site sends to Stancer, and the rule that says a payment is ours."""

import pytest

from stancer_integration.stancer import references

SITE = "shop.example.org\x1fkey-one"
OTHER_SITE = "staging.example.org\x1fkey-two"
CREATED = "2026-11-27 10:00:00.123456"


def test_unique_id_is_stable_for_a_site():
	first = references.attempt_unique_id(SITE, "ACC-PRQ-2026-00001", CREATED, 1)
	assert first == references.attempt_unique_id(SITE, "ACC-PRQ-2026-00001", CREATED, 1)
	assert first.startswith("ACC-PRQ-2026-00001-1-")
	assert len(first) <= 36


def test_another_site_or_a_recreated_request_makes_other_references():
	ours = references.attempt_unique_id(SITE, "ACC-PRQ-2026-00001", CREATED, 1)
	assert ours != references.attempt_unique_id(OTHER_SITE, "ACC-PRQ-2026-00001", CREATED, 1)
	# A site restored from an older backup names a new request like an old one: its creation
	# time differs, and so does the reference.
	assert ours != references.attempt_unique_id(SITE, "ACC-PRQ-2026-00001", "2026-12-01 09:00:00", 1)
	assert ours != references.attempt_unique_id(SITE, "ACC-PRQ-2026-00001", CREATED, 2)


def test_long_names_stay_within_36_characters_and_distinct():
	name = "ACC-PAYMENT-REQUEST-WITH-A-VERY-LONG-NAME-2026-000001"
	ids = {references.attempt_unique_id(SITE, name, CREATED, n) for n in range(1, 11)}
	assert len(ids) == 10
	assert all(len(i) <= 36 for i in ids)


def test_a_site_secret_is_required():
	with pytest.raises(ValueError):
		references.attempt_unique_id("", "PR-1", CREATED, 1)


OURS = {"id": "paym_x", "unique_id": "U-1", "amount": 3100, "currency": "eur", "order_id": "PR-1"}


def test_same_attempt_needs_every_part_to_match():
	expected = dict(unique_id="U-1", amount=3100, currency="EUR", order_id="PR-1")
	assert references.is_same_attempt(OURS, **expected)
	for change in (
		{"unique_id": "U-2"},
		{"amount": 99999},
		{"amount": True},
		{"currency": "usd"},
		{"order_id": "PR-2"},
		{"unique_id": None},
	):
		assert not references.is_same_attempt(dict(OURS, **change), **expected), change
	assert not references.is_same_attempt(None, **expected)
	assert not references.is_same_attempt(OURS, **dict(expected, unique_id=""))


def test_an_intent_carries_its_unique_id_in_metadata():
	intent = {
		"id": "pi_x",
		"amount": 3100,
		"currency": "eur",
		"order_id": "PR-1",
		"metadata": {"unique_id": "U-1"},
	}
	assert references.is_same_attempt(intent, unique_id="U-1", amount=3100, currency="eur", order_id="PR-1")
	assert not references.is_same_attempt(
		dict(intent, metadata={"unique_id": "U-9"}), unique_id="U-1", amount=3100, currency="eur"
	)
