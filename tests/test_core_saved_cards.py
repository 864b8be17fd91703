"""Saved cards: the renewal's reference, and when a refused card stops being the default."""

from datetime import date

from stancer_integration.stancer import references, saved_cards

SITE = "shop.example.org\x1fkey-one"
CREATED = "2026-11-27 10:00:00.123456"


def test_renewal_reference_is_the_invoices_on_this_site_only():
	first = references.renewal_unique_id(SITE, "ACC-SINV-2026-00001", CREATED)
	assert first == references.renewal_unique_id(SITE, "ACC-SINV-2026-00001", CREATED)
	assert first.startswith("ACC-SINV-2026-00001-R-") and len(first) <= 36
	assert first != references.renewal_unique_id("staging\x1fkey-two", "ACC-SINV-2026-00001", CREATED)
	assert first != references.renewal_unique_id(SITE, "ACC-SINV-2026-00002", CREATED)
	# Never an attempt's reference of a request of the same name.
	assert first != references.attempt_unique_id(SITE, "ACC-SINV-2026-00001", CREATED, 1)
	long_name = "ACC-SALES-INVOICE-WITH-A-VERY-LONG-NAME-2026-000001"
	assert len(references.renewal_unique_id(SITE, long_name, CREATED)) <= 36


def refused(response, card=None):
	return {"id": "paym_x", "status": "refused", "response": response, "card": card}


def test_lost_stolen_or_expired_cards_are_unusable():
	for code in ("41", "42", "43", "54", "33", "7840", "04"):
		assert saved_cards.card_unusable(refused(code)), code


def test_a_refusal_that_may_pass_next_time_keeps_the_card():
	for code in ("05", "51", None):
		assert not saved_cards.card_unusable(refused(code)), code
	# A paid or pending payment says nothing against its card.
	assert not saved_cards.card_unusable({"status": "to_capture", "response": "00"})
	assert not saved_cards.card_unusable({"status": None, "response": "41"})


def test_expiry_is_the_end_of_the_month():
	card = {"exp_month": 3, "exp_year": 2027}
	assert not saved_cards.card_expired(card, date(2027, 3, 31))
	assert saved_cards.card_expired(card, date(2027, 4, 1))
	assert saved_cards.card_expired({"exp_month": "12", "exp_year": "26"}, date(2027, 1, 1))
	assert not saved_cards.card_expired({"exp_month": None}, date(2027, 1, 1))
	assert not saved_cards.card_expired("card_abc", date(2027, 1, 1))
	# A refused payment whose card has expired, whatever the bank code says.
	assert saved_cards.card_unusable(refused("05", card), date(2027, 4, 1))
	assert not saved_cards.card_unusable(refused("05", card), date(2027, 3, 1))


def test_ids_and_label_from_what_stancer_returns():
	payment = {"card": {"id": "card_1", "brand": "visa", "last4": "4242"}, "customer": "cust_1"}
	assert saved_cards.card_id_of(payment) == "card_1"
	assert saved_cards.customer_id_of(payment) == "cust_1"
	assert saved_cards.card_id_of({"card": "card_2"}) == "card_2"
	assert saved_cards.customer_id_of({"customer": {"id": "cust_2"}}) == "cust_2"
	assert saved_cards.card_id_of({}) is None and saved_cards.customer_id_of({"customer": None}) is None
	assert saved_cards.card_label(payment["card"]) == "VISA •••• 4242"
