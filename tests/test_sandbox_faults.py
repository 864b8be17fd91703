"""Faults: latency, failing answers (unprocessed), lost answers (processed), stuck payments, 404 lists."""

import time

import pytest
import requests

from stancer_sandbox import cards as test_cards

BODY = {"amount": 2599, "currency": "eur", "description": "Fault test"}


@pytest.fixture
def faults(sandbox_url, account):
	"""Set faults scoped to the test's account; reset them afterwards."""

	def set_faults(**values):
		answer = requests.post(
			f"{sandbox_url}/_sandbox/faults", json={**values, "account": account["account_id"]}, timeout=5
		)
		assert answer.status_code == 200, answer.text
		return answer.json()

	yield set_faults
	requests.delete(f"{sandbox_url}/_sandbox/faults", params={"account": account["account_id"]}, timeout=5)


def test_latency(api, faults):
	faults(latency_ms=150)
	started = time.monotonic()
	assert api.get("/v2/payments/").status_code == 200
	assert time.monotonic() - started >= 0.15


def test_fail_next_answers_without_processing(api, account, faults):
	state = faults(fail_next=2)
	assert state["accounts"][account["account_id"]]["fail_next"] == 2
	for _ in range(2):
		answer = api.post("/v2/payments/", json={**BODY, "order_id": "F-1"})
		assert answer.status_code == 503
		assert answer.json()["error"]["type"] == "invalid_request_error"
	assert api.get("/v2/payments/", params={"order_id": "F-1"}).json()["payments"] == []


def test_fail_next_429(api, faults):
	faults(fail_next=1, fail_status=429)
	answer = api.get("/v2/payments/")
	assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
	assert api.get("/v2/payments/").status_code == 200


def test_faults_are_additive(api, faults):
	faults(fail_next=1)
	faults(fail_next=1)
	assert [api.get("/v2/payments/").status_code for _ in range(3)] == [503, 503, 200]


def test_fail_after_processing_loses_the_answer(api, faults):
	faults(fail_after_processing_next=1)
	answer = api.post("/v2/payments/", json={**BODY, "unique_id": "LOST-1"})
	assert answer.status_code == 503
	# The payment exists: a client recovers it by its unique_id.
	found = api.get("/v2/payments/", params={"unique_id": "LOST-1"}).json()["payments"]
	assert len(found) == 1
	again = api.post("/v2/payments/", json={**BODY, "unique_id": "LOST-1"})
	assert again.status_code == 409 and again.json()["error"]["message"]["id"] == found[0]["id"]


def test_stick_next_payment_stays_pending(sandbox, account, api, faults, pay_page):
	faults(stick_next_payment=1)
	payment = api.post("/v2/payments/", json={**BODY, "return_url": "https://shop.example.org/r"}).json()
	url = f"{sandbox.url}/{account['public_key']}/{payment['id']}"
	result = pay_page(url, test_cards.VISA_SUCCESS)
	assert result.location == "https://shop.example.org/r"
	sandbox.advance_clock(3600)
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] is None
	assert "being processed" in requests.get(url, timeout=5).text
	other = api.post("/v2/payments/", json={**BODY, "return_url": "https://shop.example.org/r"}).json()
	pay_page(f"{sandbox.url}/{account['public_key']}/{other['id']}", test_cards.VISA_SUCCESS)
	assert api.get(f"/v2/payments/{other['id']}").json()["status"] == "to_capture"


def test_empty_lists_404(api, faults):
	assert api.get("/v2/payments/", params={"order_id": "none"}).status_code == 200
	faults(empty_lists_404=True)
	answer = api.get("/v2/payments/", params={"order_id": "none"})
	assert answer.status_code == 404 and answer.json()["error"]["type"] == "invalid_request_error"
	api.post("/v2/payments/", json={**BODY, "order_id": "some"})
	assert api.get("/v2/payments/", params={"order_id": "some"}).status_code == 200


def test_scoped_faults_leave_other_accounts_alone(sandbox, api, faults):
	faults(fail_next=1)
	other = sandbox.create_account()
	assert (
		requests.get(f"{sandbox.url}/v2/payments/", auth=(other["secret_key"], ""), timeout=5).status_code
		== 200
	)
	assert api.get("/v2/payments/").status_code == 503


def test_global_fault_and_reset(sandbox_url, api):
	requests.post(f"{sandbox_url}/_sandbox/faults", json={"fail_next": 1, "fail_status": 500}, timeout=5)
	try:
		assert api.get("/v2/payments/").status_code == 500
	finally:
		state = requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=5).json()
	assert state["global"]["fail_next"] == 0 and state["accounts"] == {}


@pytest.mark.parametrize(
	"body",
	[{"fail_next": -1}, {"fail_status": 404}, {"webhooks": "eat"}, {"nope": 1}, {"account": "acct_missing"}],
)
def test_bad_fault_bodies(sandbox_url, body):
	assert requests.post(f"{sandbox_url}/_sandbox/faults", json=body, timeout=5).status_code in (400, 404)


def test_request_log_has_no_keys(sandbox_url, account, api):
	api.get("/v2/payments/")
	api.get("/v2/payments/paym_" + "x" * 24)
	log = requests.get(
		f"{sandbox_url}/_sandbox/requests", params={"account": account["account_id"]}, timeout=5
	)
	entries = log.json()["requests"]
	assert [(e["method"], e["path"], e["status"]) for e in entries] == [
		("GET", "/v2/payments/", 200),
		("GET", "/v2/payments/paym_" + "x" * 24, 404),
	]
	assert all(isinstance(e["time"], float) for e in entries)
	assert account["secret_key"] not in log.text and account["public_key"] not in log.text


def test_fail_status_does_not_leak_into_later_faults(api, faults):
	faults(fail_next=1, fail_status=429)
	assert api.get("/v2/payments/").status_code == 429
	faults(fail_next=1)
	assert api.get("/v2/payments/").status_code == 503


def test_payment_status_can_be_forced_even_to_an_unknown_one(sandbox_url, api):
	payment = api.post("/v2/payments/", json={"amount": 2599, "currency": "eur"}).json()
	forced = requests.post(
		f"{sandbox_url}/_sandbox/payment_status",
		json={"payment": payment["id"], "status": "on_hold_for_review"},
		timeout=10,
	)
	assert forced.status_code == 200
	assert api.get(f"/v2/payments/{payment['id']}").json()["status"] == "on_hold_for_review"
	missing = requests.post(
		f"{sandbox_url}/_sandbox/payment_status", json={"payment": "paym_nope", "status": "x"}, timeout=10
	)
	assert missing.status_code == 404


def test_webhooks_unavailable_answers_404(api, faults):
	faults(webhooks="unavailable")
	answer = api.post("/v2/webhooks/", json={"url": "https://example.org/hook"})
	assert answer.status_code == 404
	assert api.get("/v2/payments/").status_code in (200, 404)  # other calls unaffected


def test_only_method_spares_other_calls(api, faults):
	faults(fail_after_processing_next=1, only_method="POST")
	assert api.get("/v2/payments/").status_code == 200
	lost = api.post("/v2/payments/", json={**BODY, "unique_id": "LOST-POST"})
	assert lost.status_code == 503
	assert len(api.get("/v2/payments/", params={"unique_id": "LOST-POST"}).json()["payments"]) == 1
	assert api.post("/v2/payments/", json={**BODY, "unique_id": "NEXT-POST"}).status_code == 200


def test_only_method_is_checked(sandbox_url):
	answer = requests.post(f"{sandbox_url}/_sandbox/faults", json={"only_method": "PUT"}, timeout=5)
	assert answer.status_code == 400 and "only_method" in answer.text


def test_garbled_answer_is_processed(api, faults):
	faults(garble_after_processing_next=1, only_method="POST")
	garbled = api.post("/v2/payments/", json={**BODY, "unique_id": "GARBLED-1"})
	assert garbled.status_code == 200 and garbled.headers["Content-Type"].startswith("text/html")
	assert len(api.get("/v2/payments/", params={"unique_id": "GARBLED-1"}).json()["payments"]) == 1
