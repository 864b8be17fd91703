"""Refunds: full before capture cancels, partial before capture is 409, after capture `to_refund`."""

import re

import pytest
import requests

from stancer_sandbox import cards as test_cards


@pytest.fixture
def paid(sandbox, account, api, pay_page):
	def make(capture=True, amount=2599, number=test_cards.VISA_SUCCESS):
		body = {
			"amount": amount,
			"currency": "eur",
			"capture": capture,
			"return_url": "https://shop.example.org/r",
		}
		payment = api.post("/v2/payments/", json=body).json()
		pay_page(f"{sandbox.url}/{account['public_key']}/{payment['id']}", number)
		return api.get(f"/v2/payments/{payment['id']}").json()

	return make


def test_full_refund_before_capture_cancels(api, paid):
	payment = paid(capture=False)
	assert payment["status"] == "authorized"
	refund = api.post("/v1/refunds/", json={"payment": payment["id"]}).json()
	assert refund["status"] == "payment_canceled" and refund["amount"] == 2599
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "canceled"


def test_explicit_full_amount_before_capture_cancels(api, paid):
	payment = paid(capture=False)
	refund = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 2599}).json()
	assert refund["status"] == "payment_canceled"


def test_partial_refund_before_capture_is_409(api, paid):
	payment = paid(capture=False)
	answer = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 1000})
	assert answer.status_code == 409
	assert (
		answer.json()["error"]["message"]
		== "Payment cannot be partially refunded before it has been captured"
	)
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "authorized"


def test_refunds_after_capture(api, paid):
	payment = paid()
	first = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 1000})
	assert first.status_code == 200
	refund = first.json()
	assert re.fullmatch(r"refd_[A-Za-z0-9]{24}", refund["id"])
	assert (
		refund["status"] == "to_refund" and refund["currency"] == "eur" and refund["payment"] == payment["id"]
	)
	assert refund["live_mode"] is False and isinstance(refund["created"], int)
	too_much = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 1600})
	assert too_much.status_code == 400 and "`amount`" in too_much.json()["error"]["message"]
	too_small = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 49})
	assert too_small.status_code == 400
	rest = api.post("/v2/refunds/", json={"payment": payment["id"]}).json()
	assert rest["amount"] == 1599 and rest["status"] == "to_refund"
	assert api.post("/v1/refunds/", json={"payment": payment["id"]}).status_code == 409
	assert api.get(f"/v1/refunds/{refund['id']}").json() == refund
	assert api.get(f"/v2/refunds/{refund['id']}").json()["id"] == refund["id"]
	listed = api.get(f"/v2/payments/{payment['id']}/refunds").json()
	assert isinstance(listed, list) and [r["id"] for r in listed] == [refund["id"], rest["id"]]
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "to_capture"


def test_refund_of_unpaid_or_refused_payment_is_409(api, paid):
	refused = paid(number=test_cards.REFUSED_DO_NOT_HONOR)
	assert api.post("/v1/refunds/", json={"payment": refused["id"]}).status_code == 409
	open_payment = api.post("/v2/payments/", json={"amount": 500, "currency": "eur"}).json()
	assert api.post("/v1/refunds/", json={"payment": open_payment["id"]}).status_code == 409


def test_refund_validation_and_404(api):
	assert api.post("/v1/refunds/", json={}).status_code == 400
	missing = api.post("/v1/refunds/", json={"payment": "paym_" + "x" * 24})
	assert missing.status_code == 404
	assert api.get("/v1/refunds/refd_" + "x" * 24).status_code == 404


def advance(sandbox, seconds):
	assert requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance": seconds}, timeout=5).ok


def test_refund_moves_on_with_the_clock(sandbox, api, paid):
	payment = paid()
	refund = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 1000}).json()
	assert refund["status"] == "to_refund" and refund["date_refund"] is None
	advance(sandbox, 3601)
	sent = api.get(f"/v1/refunds/{refund['id']}").json()
	assert sent["status"] == "refund_sent" and sent["date_refund"] == refund["created"] + 3600
	assert sent["date_bank"] is None
	advance(sandbox, 3 * 24 * 3600)
	listed = api.get(f"/v2/payments/{payment['id']}/refunds").json()
	assert [(r["id"], r["status"]) for r in listed] == [(refund["id"], "refunded")]
	assert listed[0]["date_bank"] == refund["created"] + 3 * 24 * 3600


def test_a_refund_the_bank_rejects_fails_and_frees_its_amount(sandbox, api, account, paid):
	payment = paid()
	fault = {"account": account["account_id"], "fail_next_refund": 1}
	assert requests.post(f"{sandbox.url}/_sandbox/faults", json=fault, timeout=5).ok
	failing = api.post("/v1/refunds/", json={"payment": payment["id"]}).json()
	assert failing["status"] == "to_refund" and failing["amount"] == 2599
	# Everything is being refunded: nothing more can be.
	assert api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 100}).status_code == 409
	advance(sandbox, 3601)
	assert api.get(f"/v1/refunds/?payment={payment['id']}").json()["refunds"][0]["status"] == "failed"
	# Only the next refund fails; the amount given back is refundable again.
	again = api.post("/v1/refunds/", json={"payment": payment["id"], "amount": 2599}).json()
	assert again["status"] == "to_refund"
	advance(sandbox, 3601)
	assert api.get(f"/v1/refunds/{again['id']}").json()["status"] == "refund_sent"
