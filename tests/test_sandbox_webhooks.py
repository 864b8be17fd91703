"""Webhooks: signed deliveries to a receiver started by the test, retries, drop/duplicate faults."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from stancer_integration.stancer import signatures
from stancer_sandbox import SandboxServer
from stancer_sandbox import cards as test_cards


class Receiver:
	"""A local HTTP server recording every POST; answers 500 to the first `fail_first` ones."""

	def __init__(self, fail_first=0):
		self.fail_first = fail_first
		self.received = []  # (headers, raw body) of deliveries answered 2xx
		self.attempts = 0
		self._lock = threading.Lock()
		receiver = self

		class Handler(BaseHTTPRequestHandler):
			def do_POST(self):
				body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
				with receiver._lock:
					receiver.attempts += 1
					failing = receiver.attempts <= receiver.fail_first
					if not failing:
						receiver.received.append((dict(self.headers), body))
				self.send_response(500 if failing else 204)
				self.end_headers()

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/stancer"
		threading.Thread(
			target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
		).start()

	def events(self):
		with self._lock:
			return [json.loads(body) for _, body in self.received]

	def wait_for(self, count, timeout=5.0):
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			if len(self.received) >= count:
				return self.events()
			time.sleep(0.01)
		raise AssertionError(
			f"expected {count} deliveries, got {len(self.received)} after {self.attempts} attempts"
		)

	def close(self):
		self.server.shutdown()
		self.server.server_close()


@pytest.fixture
def receiver():
	made = []

	def make(**kwargs):
		made.append(Receiver(**kwargs))
		return made[-1]

	yield make
	for item in made:
		item.close()


def _register(api, url, **extra):
	answer = api.post("/v2/webhooks/", json={"url": url, **extra})
	assert answer.status_code == 200, answer.text
	return answer.json()


def _pay(sandbox, account, api, pay_page, number=test_cards.VISA_SUCCESS, **extra):
	body = {"amount": 2599, "currency": "eur", "return_url": "https://shop.example.org/r", **extra}
	payment = api.post("/v2/payments/", json=body).json()
	pay_page(f"{sandbox.url}/{account['public_key']}/{payment['id']}", number)
	return payment


def test_webhook_registration(api):
	hook = _register(api, "https://erp.example.org/stancer/webhook")
	assert hook["id"].startswith("whk_") and len(hook["id"]) == 28
	assert hook["secret"].startswith("whsec_") and int(hook["secret"][6:], 16) >= 0
	assert hook["events"] == ["payment.updated", "payment_intent.updated"]
	assert hook["live_mode"] is False and isinstance(hook["created"], int)
	assert api.get(f"/v2/webhooks/{hook['id']}").json() == hook
	assert [h["id"] for h in api.get("/v2/webhooks/").json()["webhooks"]] == [hook["id"]]
	assert api.delete(f"/v2/webhooks/{hook['id']}").status_code == 200
	assert api.get(f"/v2/webhooks/{hook['id']}").status_code == 404
	assert api.post("/v2/webhooks/", json={"url": "ftp://x"}).status_code == 400
	assert api.post("/v2/webhooks/", json={"url": "https://x.org", "events": ["nope"]}).status_code == 400


def test_delivery_is_signed_and_carries_the_payment(sandbox, account, api, pay_page, receiver):
	hooks = receiver()
	hook = _register(api, hooks.url)
	payment = _pay(sandbox, account, api, pay_page)
	[event] = hooks.wait_for(1)
	headers, raw = hooks.received[0]
	assert signatures.verify(hook["secret"], raw, headers[signatures.HEADER])
	with pytest.raises(signatures.SignatureError):
		signatures.verify("whsec_" + "0" * 48, raw, headers[signatures.HEADER])
	assert event["id"].startswith("evt_") and event["type"] == "payment.updated"
	assert isinstance(event["created"], int)
	assert event["data"]["object"]["id"] == payment["id"]
	assert event["data"]["object"]["status"] == "to_capture"


def test_capture_refund_cancel_and_expiry_fire_events(sandbox, account, api, pay_page, receiver):
	hooks = receiver()
	_register(api, hooks.url, events=["payment.updated"])
	first = _pay(sandbox, account, api, pay_page, capture=False)
	api.patch(f"/v2/payments/{first['id']}", json={"status": "capture"})
	second = _pay(sandbox, account, api, pay_page, capture=False)
	api.post("/v1/refunds/", json={"payment": second["id"]})
	third = _pay(sandbox, account, api, pay_page, capture=False)
	sandbox.advance_clock(8 * 24 * 3600)  # the sweep notices the expiry without any read
	events = hooks.wait_for(6)
	seen = [(e["data"]["object"]["id"], e["data"]["object"]["status"]) for e in events]
	assert (first["id"], "authorized") in seen and (first["id"], "to_capture") in seen
	assert (second["id"], "canceled") in seen
	assert (third["id"], "expired") in seen


def test_dispute_fires_an_event(sandbox, account, api, pay_page, receiver):
	hooks = receiver()
	_register(api, hooks.url)
	payment = _pay(sandbox, account, api, pay_page, test_cards.DISPUTED_LATER)
	sandbox.advance_clock(120)
	events = hooks.wait_for(2)
	# Deliveries run in parallel, as real webhooks may: the order of arrival is not promised,
	# the order of the events' creation is.
	mine = sorted(
		(e for e in events if e["data"]["object"]["id"] == payment["id"]), key=lambda e: e["created"]
	)
	assert [e["data"]["object"]["status"] for e in mine] == ["to_capture", "disputed"]


def test_intent_events(api, pay_page, receiver):
	hooks = receiver()
	_register(api, hooks.url, events=["payment_intent.updated"])
	intent = api.post("/v2/payment_intents/", json={"amount": 300, "currency": "eur"}).json()
	pay_page(intent["url"], test_cards.VISA_SUCCESS)
	[event] = hooks.wait_for(1)
	assert event["type"] == "payment_intent.updated"
	assert event["data"]["object"]["id"] == intent["id"] and event["data"]["object"]["status"] == "captured"


def test_failing_receiver_gets_retries(sandbox, account, api, pay_page, receiver):
	hooks = receiver(fail_first=2)
	_register(api, hooks.url)
	_pay(sandbox, account, api, pay_page)
	[event] = hooks.wait_for(1)
	assert hooks.attempts == 3
	log = requests.get(f"{sandbox.url}/_sandbox/deliveries", timeout=5).json()["deliveries"]
	mine = [entry for entry in log if entry["event"] == event["id"]]
	assert [(e["attempt"], e["status"], e["delivered"]) for e in mine] == [
		(1, 500, False),
		(2, 500, False),
		(3, 204, True),
	]


def test_unreachable_receiver_does_not_block_the_api(sandbox, account, api, pay_page, receiver):
	gone = receiver()
	url = gone.url
	gone.close()
	_register(api, url)
	started = time.monotonic()
	_pay(sandbox, account, api, pay_page)
	assert time.monotonic() - started < 2


def test_other_accounts_hooks_get_nothing(sandbox, account, api, pay_page, receiver):
	hooks = receiver()
	other = sandbox.create_account()
	requests.post(
		f"{sandbox.url}/v2/webhooks/", json={"url": hooks.url}, auth=(other["secret_key"], ""), timeout=5
	)
	_pay(sandbox, account, api, pay_page)
	time.sleep(0.3)
	assert hooks.attempts == 0


def test_drop_fault(sandbox, account, api, pay_page, receiver):
	hooks = receiver()
	_register(api, hooks.url)
	requests.post(
		f"{sandbox.url}/_sandbox/faults",
		json={"webhooks": "drop", "account": account["account_id"]},
		timeout=5,
	)
	try:
		_pay(sandbox, account, api, pay_page)
		time.sleep(0.3)
		assert hooks.attempts == 0
	finally:
		requests.delete(
			f"{sandbox.url}/_sandbox/faults", params={"account": account["account_id"]}, timeout=5
		)
	_pay(sandbox, account, api, pay_page)
	hooks.wait_for(1)


def test_duplicate_fault(sandbox, account, api, pay_page, receiver):
	hooks = receiver()
	_register(api, hooks.url)
	requests.post(
		f"{sandbox.url}/_sandbox/faults",
		json={"webhooks": "duplicate", "account": account["account_id"]},
		timeout=5,
	)
	try:
		_pay(sandbox, account, api, pay_page)
		events = hooks.wait_for(2)
	finally:
		requests.delete(
			f"{sandbox.url}/_sandbox/faults", params={"account": account["account_id"]}, timeout=5
		)
	assert events[0]["id"] == events[1]["id"]


def test_sweep_thread_fires_a_dispute_without_any_read(pay_page, receiver):
	hooks = receiver()
	with SandboxServer(port=0, dispute_after=0.2, sweep_interval=0.05) as server:
		keys = server.create_account()
		auth = (keys["secret_key"], "")
		requests.post(f"{server.url}/v2/webhooks/", json={"url": hooks.url}, auth=auth, timeout=5)
		body = {"amount": 2599, "currency": "eur", "return_url": "https://shop.example.org/r"}
		payment = requests.post(f"{server.url}/v2/payments/", json=body, auth=auth, timeout=5).json()
		pay_page(f"{server.url}/{keys['public_key']}/{payment['id']}", test_cards.DISPUTED_LATER)
		events = hooks.wait_for(2)
	assert [e["data"]["object"]["status"] for e in events] == ["to_capture", "disputed"]
