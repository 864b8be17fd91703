"""The payments API: validation, unique_id, capture, lists, expiry and disputes on the clock, saved cards."""

import re
import threading

import pytest
import requests

from stancer_sandbox import cards as test_cards

RETURN_URL = "https://shop.example.org/return"


def _create(api, **extra):
	body = {"amount": 2599, "currency": "eur", "description": "Order 42", "return_url": RETURN_URL, **extra}
	answer = api.post("/v2/payments/", json=body)
	assert answer.status_code == 200, answer.text
	return answer.json()


def _paid(sandbox, account, api, pay_page, number=test_cards.VISA_SUCCESS, **extra):
	payment = _create(api, **extra)
	pay_page(f"{sandbox.url}/{account['public_key']}/{payment['id']}", number)
	return api.get(f"/v2/payments/{payment['id']}").json()


def test_created_payment_shape(api):
	payment = _create(api, order_id="ORD-1", unique_id="U-1", methods_allowed=["card"], customer=None)
	assert re.fullmatch(r"paym_[A-Za-z0-9]{24}", payment["id"])
	assert payment["status"] is None and payment["response"] is None and payment["card"] is None
	assert payment["capture"] is True and payment["auth"] is None and payment["live_mode"] is False
	assert payment["methods_allowed"] == ["card"]
	assert isinstance(payment["created"], int)
	for field in ("order_id", "unique_id", "customer", "method", "return_url", "date_paym", "currency"):
		assert field in payment


@pytest.mark.parametrize(
	("body", "field"),
	[
		({"amount": 49}, "amount"),
		({"amount": "2599"}, "amount"),
		({"amount": 25.99}, "amount"),
		({"amount": 0}, "amount"),
		({"currency": "EUR"}, "currency"),
		({"currency": "xyz"}, "currency"),
		({"description": "ab"}, "description"),
		({"description": "x" * 65}, "description"),
		({"order_id": "x" * 37}, "order_id"),
		({"unique_id": "x" * 37}, "unique_id"),
		({"return_url": "http://shop.example.org/return"}, "return_url"),
		({"return_url": "https://shop.example.org/" + "x" * 2048}, "return_url"),
		({"return_url": "ftp://x"}, "return_url"),
		({"auth": False}, "auth"),
		({"auth": {"status": "request"}}, "auth"),
		({"capture": "yes"}, "capture"),
		({"methods_allowed": ["cash"]}, "methods_allowed"),
		({"methods_allowed": ["sepa"], "currency": "usd"}, "methods_allowed"),
	],
)
def test_validation_names_the_field(api, body, field):
	full = {"amount": 2599, "currency": "eur", "description": "Order 42", **body}
	answer = api.post("/v2/payments/", json=full)
	assert answer.status_code == 400, answer.text
	error = answer.json()["error"]
	assert error["type"] == "invalid_request_error"
	assert f"`{field}`" in error["message"]


def test_missing_required_fields(api):
	assert "`amount`" in api.post("/v2/payments/", json={"currency": "eur"}).json()["error"]["message"]
	assert "`currency`" in api.post("/v2/payments/", json={"amount": 100}).json()["error"]["message"]


def test_unknown_field_and_bad_json(api):
	answer = api.post("/v2/payments/", json={"amount": 100, "currency": "eur", "amout": 1})
	assert answer.status_code == 400 and "`amout`" in answer.json()["error"]["message"]
	bad = api.post("/v2/payments/", data="{nope", headers={"Content-Type": "application/json"})
	assert bad.status_code == 400


@pytest.mark.parametrize(
	"url",
	["http://localhost:8000/r", "http://shop.localhost/r", "http://127.0.0.2:9/r", "http://[::1]:9/r"],
)
def test_local_http_return_url_is_accepted(api, url):
	assert _create(api, return_url=url)["return_url"] == url


def test_zero_amount_only_without_capture(api):
	assert _create(api, amount=0, capture=False)["amount"] == 0


def test_duplicate_unique_id_is_409_with_the_existing_id(api, sandbox):
	first = _create(api, unique_id="INV-0001")
	answer = api.post("/v2/payments/", json={"amount": 100, "currency": "eur", "unique_id": "INV-0001"})
	assert answer.status_code == 409
	assert answer.json()["error"]["message"] == {
		"error": "Payment already exists, duplicate unique_id",
		"id": first["id"],
	}
	# unique per account and mode: another account may reuse it.
	other = sandbox.create_account()
	reused = requests.post(
		f"{sandbox.url}/v2/payments/",
		json={"amount": 100, "currency": "eur", "unique_id": "INV-0001"},
		auth=(other["secret_key"], ""),
		timeout=5,
	)
	assert reused.status_code == 200


def test_unknown_payment_is_404_v2_wording(api):
	answer = api.get("/v2/payments/paym_" + "x" * 24)
	assert answer.status_code == 404
	assert answer.json()["error"]["message"] == "Payment `paym_" + "x" * 24 + "` not found"


def test_routing_errors(api):
	assert api.get("/v2/payments").status_code == 404  # collection URLs end with "/"
	assert api.delete("/v2/payments/paym_" + "x" * 24).status_code == 405
	assert api.get("/v2/nothing/").status_code == 404


def test_capture_an_authorized_payment(sandbox, account, api, pay_page):
	payment = _paid(sandbox, account, api, pay_page, capture=False)
	assert payment["status"] == "authorized"
	answer = api.patch(f"/v2/payments/{payment['id']}", json={"status": "capture"})
	assert answer.status_code == 200 and answer.json()["status"] == "to_capture"
	# Capturing again changes nothing.
	assert (
		api.patch(f"/v2/payments/{payment['id']}", json={"status": "capture"}).json()["status"]
		== "to_capture"
	)


def test_capture_of_an_unpaid_payment_is_409(api):
	payment = _create(api)
	answer = api.patch(f"/v2/payments/{payment['id']}", json={"status": "capture"})
	assert answer.status_code == 409


def test_patch_fields(api):
	payment = _create(api)
	answer = api.patch(
		f"/v2/payments/{payment['id']}", json={"description": "New text", "order_id": "O-2", "amount": 1234}
	)
	assert answer.status_code == 200, answer.text
	assert answer.json()["description"] == "New text" and answer.json()["amount"] == 1234
	assert [p["id"] for p in api.get("/v2/payments/", params={"order_id": "O-2"}).json()["payments"]] == [
		payment["id"]
	]
	assert api.patch(f"/v2/payments/{payment['id']}", json={"status": "nope"}).status_code == 400


def test_authorization_expires_on_the_clock(sandbox, account, api, pay_page):
	payment = _paid(sandbox, account, api, pay_page, capture=False)
	sandbox_clock = requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance": 6 * 24 * 3600}, timeout=5)
	assert sandbox_clock.status_code == 200
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "authorized"
	requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance": 2 * 24 * 3600}, timeout=5)
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "expired"
	assert api.patch(f"/v2/payments/{payment['id']}", json={"status": "capture"}).status_code == 409


def test_dispute_card_turns_disputed_on_the_clock(sandbox, account, api, pay_page):
	payment = _paid(sandbox, account, api, pay_page, test_cards.DISPUTED_LATER)
	assert payment["status"] == "to_capture"
	requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance": 61}, timeout=5)
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "disputed"


def test_clock_rejects_bad_values(sandbox_url):
	assert requests.post(f"{sandbox_url}/_sandbox/clock", json={"advance": -1}, timeout=5).status_code == 400
	assert requests.post(f"{sandbox_url}/_sandbox/clock", json={"advance": "1"}, timeout=5).status_code == 400


def test_list_envelope_newest_first_and_pages(api):
	ids = [_create(api, order_id="LIST-1")["id"] for _ in range(5)]
	_create(api, order_id="OTHER")
	first = api.get("/v2/payments/", params={"order_id": "LIST-1", "limit": 2}).json()
	assert first["live_mode"] is False
	assert [p["id"] for p in first["payments"]] == ids[::-1][:2]
	assert first["range"] == {"start": 0, "end": 1, "limit": 2, "has_more": True}
	last = api.get("/v2/payments/", params={"order_id": "LIST-1", "limit": 2, "start": 4}).json()
	assert [p["id"] for p in last["payments"]] == [ids[0]]
	assert last["range"]["has_more"] is False
	everything = api.get("/v2/payments/").json()
	assert len(everything["payments"]) == 6 and everything["range"]["limit"] == 10


def test_list_by_unique_id(api):
	payment = _create(api, unique_id="FIND-ME")
	found = api.get("/v2/payments/", params={"unique_id": "FIND-ME"}).json()["payments"]
	assert [p["id"] for p in found] == [payment["id"]]
	assert api.get("/v2/payments/", params={"unique_id": "NOPE"}).json()["payments"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"start": -1}])
def test_list_parameters_are_checked(api, params):
	assert api.get("/v2/payments/", params=params).status_code == 400


def test_saved_card_charge_is_decided_at_once(sandbox, account, api, pay_page):
	customer = api.post("/v2/customers/", json={"email": "jeanne@example.org", "name": "Jeanne"}).json()
	first = _paid(sandbox, account, api, pay_page, customer=customer["id"])
	card_id = first["card"]["id"]
	card = api.get(f"/v2/cards/{card_id}").json()
	assert card["last4"] == "4242" and card["tokenize"] is True and card["live_mode"] is False
	body = {
		"amount": 1990,
		"currency": "eur",
		"card": card_id,
		"customer": customer["id"],
		"unique_id": "SUB-1",
	}
	renewal = api.post("/v2/payments/", json=body).json()
	assert renewal["status"] == "to_capture" and renewal["response"] == "00"
	assert renewal["card"]["id"] == card_id and renewal["customer"] == customer["id"]
	authorized = api.post("/v2/payments/", json={**body, "unique_id": "SUB-2", "capture": False}).json()
	assert authorized["status"] == "authorized"


def test_saved_refused_card_refuses(sandbox, account, api, pay_page):
	customer = api.post("/v2/customers/", json={"email": "r@example.org"}).json()
	first = _paid(
		sandbox, account, api, pay_page, test_cards.REFUSED_INSUFFICIENT_FUNDS, customer=customer["id"]
	)
	assert first["status"] == "refused"
	body = {"amount": 1990, "currency": "eur", "card": first["card"]["id"], "customer": customer["id"]}
	renewal = api.post("/v2/payments/", json=body).json()
	assert renewal["status"] == "refused" and renewal["response"] == "51"


def test_saved_card_behaviour_can_change_after_paying(sandbox, account, api, pay_page):
	"""A card that paid once is refused later (no funds, reported lost), then accepted again."""
	customer = api.post("/v2/customers/", json={"email": "c@example.org"}).json()
	first = _paid(sandbox, account, api, pay_page, customer=customer["id"])
	assert first["status"] == "to_capture"
	card_id = first["card"]["id"]
	body = {"amount": 1990, "currency": "eur", "card": card_id, "customer": customer["id"]}
	for response in ("51", "41"):
		changed = requests.post(
			f"{sandbox.url}/_sandbox/card_behaviour", json={"card": card_id, "response": response}, timeout=5
		)
		assert changed.status_code == 200 and changed.json()["id"] == card_id
		renewal = api.post("/v2/payments/", json=body).json()
		assert renewal["status"] == "refused" and renewal["response"] == response
	requests.post(
		f"{sandbox.url}/_sandbox/card_behaviour", json={"card": card_id, "response": "00"}, timeout=5
	)
	assert api.post("/v2/payments/", json=body).json()["status"] == "to_capture"
	unknown = requests.post(
		f"{sandbox.url}/_sandbox/card_behaviour", json={"card": "card_nope", "response": "51"}, timeout=5
	)
	assert unknown.status_code == 404
	bad = requests.post(
		f"{sandbox.url}/_sandbox/card_behaviour", json={"card": card_id, "response": 5}, timeout=5
	)
	assert bad.status_code == 400


def test_saved_card_needs_a_customer_and_the_right_account(sandbox, account, api, pay_page):
	first = _paid(sandbox, account, api, pay_page)
	card_id = first["card"]["id"]
	answer = api.post("/v2/payments/", json={"amount": 1990, "currency": "eur", "card": card_id})
	assert answer.status_code == 400 and "`customer`" in answer.json()["error"]["message"]
	other = sandbox.create_account()
	other_customer = requests.post(
		f"{sandbox.url}/v2/customers/",
		json={"email": "o@example.org"},
		auth=(other["secret_key"], ""),
		timeout=5,
	).json()
	stolen = requests.post(
		f"{sandbox.url}/v2/payments/",
		json={"amount": 1990, "currency": "eur", "card": card_id, "customer": other_customer["id"]},
		auth=(other["secret_key"], ""),
		timeout=5,
	)
	assert stolen.status_code == 404 and stolen.json()["error"]["message"] == f"Card `{card_id}` not found"
	assert (
		requests.get(
			f"{sandbox.url}/v2/cards/{card_id}", auth=(other["secret_key"], ""), timeout=5
		).status_code
		== 404
	)


def test_customers(api):
	assert api.post("/v2/customers/", json={"name": "No contact"}).status_code == 400
	assert api.post("/v2/customers/", json={"email": "a@b.c", "name": "Jo"}).status_code == 400
	customer = api.post(
		"/v2/customers/",
		json={"name": "Jeanne Martin", "email": "jeanne@example.org", "external_id": "CUST-42"},
	).json()
	assert re.fullmatch(r"cust_[A-Za-z0-9]{24}", customer["id"])
	assert customer["live_mode"] is False and isinstance(customer["created"], int)
	api.post("/v2/customers/", json={"mobile": "+33612345678"})
	found = api.get("/v2/customers/", params={"external_id": "CUST-42"}).json()
	assert [c["id"] for c in found["customers"]] == [customer["id"]]
	assert (
		api.get("/v2/customers/", params={"email": "jeanne@example.org"}).json()["customers"][0]["id"]
		== customer["id"]
	)
	updated = api.patch(f"/v2/customers/{customer['id']}", json={"name": "Jeanne Dupont"}).json()
	assert updated["name"] == "Jeanne Dupont"
	assert api.get(f"/v2/customers/{customer['id']}").json()["name"] == "Jeanne Dupont"
	missing = api.get("/v2/customers/cust_" + "x" * 24)
	assert missing.status_code == 404 and missing.json()["error"]["message"].startswith("Customer `cust_")
	unknown = api.post(
		"/v2/payments/", json={"amount": 100, "currency": "eur", "customer": "cust_" + "x" * 24}
	)
	assert unknown.status_code == 404


def test_concurrent_duplicates_make_one_payment(api):
	answers = []

	def post():
		answers.append(
			api.post("/v2/payments/", json={"amount": 100, "currency": "eur", "unique_id": "RACE-1"})
		)

	threads = [threading.Thread(target=post) for _ in range(8)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	assert sorted(answer.status_code for answer in answers) == [200] + [409] * 7
	created = next(answer.json()["id"] for answer in answers if answer.status_code == 200)
	assert all(
		answer.json()["error"]["message"]["id"] == created for answer in answers if answer.status_code == 409
	)
