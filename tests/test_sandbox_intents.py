"""Payment intents: own page `url`, statuses through the page, capture endpoint, list."""

import re

import requests

from stancer_sandbox import cards as test_cards

RETURN_URL = "https://shop.example.org/return?pr=PR-1"


def _intent(api, **extra):
	body = {
		"amount": 300,
		"currency": "eur",
		"description": "Invoice 12",
		"order_id": "PR-1",
		"return_url": RETURN_URL,
		"metadata": {"payment_request": "PR-1"},
		**extra,
	}
	answer = api.post("/v2/payment_intents/", json=body)
	assert answer.status_code == 200, answer.text
	return answer.json()


def test_intent_shape_and_url(sandbox, api):
	intent = _intent(api)
	assert re.fullmatch(r"pi_[A-Za-z0-9]{24}", intent["id"])
	assert intent["url"] == f"{sandbox.url}/test_{intent['id']}"
	assert intent["status"] == "require_payment_method"
	assert intent["payment"] is None and intent["card"] is None
	assert intent["metadata"] == {"payment_request": "PR-1"} and intent["threeds"] == "none"
	assert isinstance(intent["created_at"], int) and intent["live_mode"] is False
	assert api.get(f"/v2/payment_intents/{intent['id']}").json() == intent


def test_live_intent_url_has_no_test_prefix(sandbox, account):
	live = sandbox.account_keys(account["account_id"], live=True)
	answer = requests.post(
		f"{sandbox.url}/v2/payment_intents/",
		json={"amount": 300, "currency": "eur"},
		auth=(live["secret_key"], ""),
		timeout=5,
	).json()
	assert answer["url"] == f"{sandbox.url}/{answer['id']}" and answer["live_mode"] is True
	# The test-mode URL of a live intent does not exist.
	assert requests.get(f"{sandbox.url}/test_{answer['id']}", timeout=5).status_code == 404


def test_paying_an_intent_captures_it(api, pay_page):
	intent = _intent(api)
	result = pay_page(intent["url"], test_cards.VISA_SUCCESS)
	assert result.status_code == 303 and result.location == RETURN_URL
	after = api.get(f"/v2/payment_intents/{intent['id']}").json()
	assert after["status"] == "captured"
	assert after["payment"].startswith("paym_") and after["card"].startswith("card_")
	payment = api.get(f"/v2/payments/{after['payment']}").json()
	assert payment["status"] == "to_capture" and payment["amount"] == 300 and payment["order_id"] == "PR-1"
	listed = api.get(f"/v2/payment_intents/{intent['id']}/payments").json()
	assert [p["id"] for p in listed["payments"]] == [after["payment"]]


def test_intent_authorized_then_captured(api, pay_page):
	intent = _intent(api, capture=False)
	pay_page(intent["url"], test_cards.MASTERCARD_SUCCESS)
	assert api.get(f"/v2/payment_intents/{intent['id']}").json()["status"] == "authorized"
	captured = api.post(f"/v2/payment_intents/{intent['id']}/capture", json={})
	assert captured.status_code == 200 and captured.json()["status"] == "captured"


def test_capture_of_an_open_intent_is_409(api):
	intent = _intent(api)
	assert api.post(f"/v2/payment_intents/{intent['id']}/capture", json={}).status_code == 409


def test_refused_intent_is_unpaid(api, pay_page):
	intent = _intent(api)
	pay_page(intent["url"], test_cards.REFUSED_DO_NOT_HONOR)
	assert api.get(f"/v2/payment_intents/{intent['id']}").json()["status"] == "unpaid"


def test_intent_threeds_challenge(sandbox, api):
	intent = _intent(api, threeds="required")
	with requests.Session() as browser:
		answer = browser.post(
			intent["url"],
			data={"number": test_cards.THREEDS_CHALLENGE_SUCCESS, "exp": "12/34", "cvc": "123"},
			allow_redirects=False,
		)
		assert answer.headers["Location"].endswith("/3ds")
		assert api.get(f"/v2/payment_intents/{intent['id']}").json()["status"] == "require_authentication"
		browser.post(
			sandbox.url + answer.headers["Location"], data={"action": "authenticate"}, allow_redirects=False
		)
	assert api.get(f"/v2/payment_intents/{intent['id']}").json()["status"] == "captured"


def test_intent_expiry_cancels(sandbox, api, pay_page):
	intent = _intent(api, capture=False)
	pay_page(intent["url"], test_cards.VISA_SUCCESS)
	sandbox.advance_clock(7 * 24 * 3600 + 1)
	assert api.get(f"/v2/payment_intents/{intent['id']}").json()["status"] == "canceled"


def test_patch_and_list_intents(api):
	intent = _intent(api)
	patched = api.patch(
		f"/v2/payment_intents/{intent['id']}",
		json={"return_url": "https://shop.example.org/new", "metadata": {"a": 1}},
	).json()
	assert patched["return_url"] == "https://shop.example.org/new" and patched["metadata"] == {"a": 1}
	_intent(api, order_id="PR-2")
	listed = api.get("/v2/payment_intents/", params={"order_id": "PR-1"}).json()
	assert [i["id"] for i in listed["payment_intents"]] == [intent["id"]]
	missing = api.get("/v2/payment_intents/pi_" + "x" * 24)
	assert missing.status_code == 404
	assert missing.json()["error"]["message"] == "Payment intent `pi_" + "x" * 24 + "` not found"
	assert (
		api.post(
			"/v2/payment_intents/", json={"amount": 300, "currency": "eur", "threeds": "maybe"}
		).status_code
		== 400
	)
