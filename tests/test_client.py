"""StancerClient transport over real HTTP on loopback: errors, retries, timeouts, secrets.

No mock of `requests`: every call goes to the sandbox (fixtures `sandbox`, `account` in
conftest.py) or to a tiny `http.server` started here when the sandbox cannot misbehave the
right way (non-JSON answers, hanging, recording headers).
"""

import base64
import http.server
import json
import logging
import socket
import threading
import time
import traceback
import uuid

import pytest
import requests

from stancer_integration import __version__
from stancer_integration.stancer import StancerClient, errors
from stancer_integration.stancer.errors import (
	APIError,
	AuthenticationError,
	ConflictError,
	InvalidRequestError,
	NotFoundError,
	UnavailableError,
	ValidationError,
)

# -- helpers shared with test_client_resources.py ----------------------------------------------


def make_client(sandbox, account, **options):
	"""A client of `account` on the sandbox: no back-off sleeps, short timeouts."""
	options = {"backoff": 0, "connect_timeout": 2, "read_timeout": 5, **options}
	return StancerClient(account["secret_key"], account["public_key"], api_base=sandbox.url, **options)


def calls(sandbox, account, method=None, path=None):
	"""The sandbox's log of this account's API calls, optionally filtered."""
	answer = requests.get(
		f"{sandbox.url}/_sandbox/requests", params={"account": account["account_id"]}, timeout=5
	)
	answer.raise_for_status()
	return [
		entry
		for entry in answer.json()["requests"]
		if (method is None or entry["method"] == method) and (path is None or entry["path"] == path)
	]


def all_calls(sandbox, path):
	"""Calls to `path` whatever the account (unknown keys are logged without one)."""
	answer = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=5)
	answer.raise_for_status()
	return [entry for entry in answer.json()["requests"] if entry["path"] == path]


_FAULTED = []  # (sandbox url, account id) whose faults are reset after the test


def set_faults(sandbox, account, **faults):
	"""Faults scoped to `account`, reset after the test (see `reset_faults`)."""
	answer = requests.post(
		f"{sandbox.url}/_sandbox/faults", json={"account": account["account_id"], **faults}, timeout=5
	)
	answer.raise_for_status()
	_FAULTED.append((sandbox.url, account["account_id"]))


def reset_recorded_faults():
	while _FAULTED:
		url, account_id = _FAULTED.pop()
		requests.delete(
			f"{url}/_sandbox/faults", params={"account": account_id}, timeout=5
		).raise_for_status()


@pytest.fixture(autouse=True)
def reset_faults():
	# Leave the sandbox as found: other test files read the whole fault state.
	yield
	reset_recorded_faults()


def new_ref(prefix="T"):
	return f"{prefix}-{uuid.uuid4().hex[:20]}"


def free_port():
	"""A loopback port nobody listens on (bound, then released)."""
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


class TinyServer:
	"""A real HTTP server on loopback whose answers a test chooses; it records what it got."""

	def __init__(self, status=200, body=b"{}", content_type="application/json", hang=0.0, port=0):
		self.status, self.body, self.content_type, self.hang = status, body, content_type, hang
		self.received = []
		self.release = threading.Event()
		tiny = self

		class Handler(http.server.BaseHTTPRequestHandler):
			def _answer(self):
				length = int(self.headers.get("Content-Length") or 0)
				body = self.rfile.read(length) if length else b""
				tiny.received.append(
					{"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
				)
				if tiny.hang:
					tiny.release.wait(tiny.hang)
				try:
					self.send_response(tiny.status)
					self.send_header("Content-Type", tiny.content_type)
					self.send_header("Content-Length", str(len(tiny.body)))
					self.end_headers()
					self.wfile.write(tiny.body)
				except OSError:
					pass  # the client gave up (read timeout): nothing to answer to

			do_GET = do_POST = do_PATCH = do_DELETE = _answer

			def log_message(self, *args):
				pass

		self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
		self.server.daemon_threads = True
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
		self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

	def __enter__(self):
		self.thread.start()
		return self

	def __exit__(self, *exc):
		self.release.set()
		self.server.shutdown()
		self.server.server_close()


def tiny_client(url, **options):
	options = {"backoff": 0, "connect_timeout": 1, "read_timeout": 2, "max_retries": 0, **options}
	return StancerClient(SECRET, PUBLIC, api_base=url, **options)


SECRET = "stest_" + "S3cr3tK3yS3cr3tK3yS3cr3t"
PUBLIC = "ptest_" + "Publ1cK3yPubl1cK3yPubl1c"
assert len(SECRET) == len(PUBLIC) == 30


def payment_body(**extra):
	return {"amount": 2599, "currency": "eur", "description": "Order 42", **extra}


@pytest.fixture
def client(sandbox, account):
	with make_client(sandbox, account) as client:
		yield client


# -- every error class from a real answer ------------------------------------------------------


class TestErrors:
	def test_authentication_error_for_an_unknown_key(self, sandbox):
		path = f"/v2/payments/paym_{uuid.uuid4().hex[:24]}"
		with StancerClient(SECRET, PUBLIC, api_base=sandbox.url, backoff=0) as stranger:
			with pytest.raises(AuthenticationError) as info:
				stranger.request("GET", path)
		assert info.value.http_status == 401
		assert "not authorized" in str(info.value)
		assert len(all_calls(sandbox, path)) == 1  # not retried

	def test_not_found(self, client, sandbox, account):
		path = "/v2/payments/paym_" + "x" * 24
		with pytest.raises(NotFoundError) as info:
			client.payments.get("paym_" + "x" * 24)
		assert info.value.http_status == 404
		assert "paym_" + "x" * 24 in str(info.value)
		assert len(calls(sandbox, account, "GET", path)) == 1  # a 404 is not retried

	def test_another_accounts_object_is_not_found(self, sandbox, account):
		other = sandbox.create_account()
		with make_client(sandbox, account) as mine, make_client(sandbox, other) as theirs:
			payment = mine.payments.create(amount=2599, currency="eur", order_id="SHARED-ORDER")
			customer = mine.customers.create(email="jeanne@example.org", external_id="CUST-SHARED")
			with pytest.raises(NotFoundError):
				theirs.payments.get(payment["id"])
			with pytest.raises(NotFoundError):
				theirs.customers.get(customer["id"])
			assert theirs.payments.list(order_id="SHARED-ORDER") == []
			assert theirs.customers.find_by_external_id("CUST-SHARED") is None
			# …and the owner still sees them.
			assert mine.payments.get(payment["id"])["id"] == payment["id"]
			assert [p["id"] for p in mine.payments.list(order_id="SHARED-ORDER")] == [payment["id"]]

	def test_test_and_live_keys_of_one_account_never_mix(self, sandbox, account):
		live = sandbox.account_keys(account["account_id"], live=True)
		with make_client(sandbox, account) as test_client:
			payment = test_client.payments.create(amount=2599, currency="eur")
			assert payment["live_mode"] is False
		# The client sends a live key to Stancer only, so the sandbox is asked directly.
		answer = requests.get(
			f"{sandbox.url}/v2/payments/{payment['id']}", auth=(live["secret_key"], ""), timeout=5
		)
		assert answer.status_code == 404

	def test_conflict_with_existing_id(self, client, sandbox, account):
		unique_id = new_ref("U")
		first = client.payments.create(amount=2599, currency="eur", unique_id=unique_id)
		with pytest.raises(ConflictError) as info:
			client.payments.create(amount=2599, currency="eur", unique_id=unique_id)
		assert info.value.existing_id == first["id"]
		assert info.value.http_status == 409
		assert "duplicate unique_id" in str(info.value)
		assert first["id"] in str(info.value)
		assert len(calls(sandbox, account, "POST", "/v2/payments/")) == 2  # a 409 is not retried

	def test_invalid_request_with_stancers_message(self, client, sandbox, account):
		# The client's own checks would refuse this; `request` sends it as it is.
		with pytest.raises(InvalidRequestError) as info:
			client.request("POST", "/v2/payments/", json={"amount": 10, "currency": "eur"})
		assert info.value.http_status == 400
		assert "amount" in info.value.message and "at least 50" in info.value.message
		assert info.value.body["error"]["type"] == "invalid_request_error"
		assert len(calls(sandbox, account, "POST", "/v2/payments/")) == 1

	@pytest.mark.parametrize(
		"body, words",
		[
			({"amount": 2599, "currency": "EUR"}, "currency"),
			({"amount": 2599, "currency": "eur", "auth": {"status": "request"}}, "auth"),
			({"amount": 2599, "currency": "eur", "colour": "red"}, "colour"),
		],
	)
	def test_invalid_request_messages(self, client, body, words):
		with pytest.raises(InvalidRequestError, match=words):
			client.request("POST", "/v2/payments/", json=body)

	@pytest.mark.parametrize("status", [500, 502, 503, 504])
	def test_unavailable_for_5xx(self, client, sandbox, account, status):
		set_faults(sandbox, account, fail_next=5, fail_status=status)
		client.max_retries = 0
		with pytest.raises(UnavailableError) as info:
			client.payments.list()
		assert info.value.http_status == status
		assert info.value.maybe_processed is False  # a GET changes nothing

	def test_unavailable_for_429(self, client, sandbox, account):
		set_faults(sandbox, account, fail_next=5, fail_status=429)
		client.max_retries = 1
		with pytest.raises(UnavailableError) as info:
			client.payments.create(amount=2599, currency="eur")
		assert info.value.http_status == 429
		assert info.value.maybe_processed is False  # 429: refused before any work
		assert len(calls(sandbox, account, "POST", "/v2/payments/")) == 2  # 429 is retried, even for a POST

	def test_unavailable_for_read_timeout(self, sandbox, account):
		set_faults(sandbox, account, latency_ms=1500)
		with make_client(sandbox, account, read_timeout=0.2, max_retries=0) as client:
			started = time.monotonic()
			with pytest.raises(UnavailableError, match="timed out") as info:
				client.payments.get("paym_" + "x" * 24)
			assert time.monotonic() - started < 1.2
		assert info.value.http_status is None

	def test_post_read_timeout_may_have_been_processed(self, sandbox, account):
		set_faults(sandbox, account, latency_ms=600)
		with make_client(sandbox, account, read_timeout=0.2) as client:
			with pytest.raises(UnavailableError) as info:
				client.payments.create(amount=2599, currency="eur")  # no unique_id: never re-sent
		assert info.value.maybe_processed is True
		time.sleep(0.6)  # the sandbox finishes the work the client stopped waiting for
		assert len(calls(sandbox, account, "POST", "/v2/payments/")) == 1

	def test_unavailable_for_connection_refused(self):
		with tiny_client(f"http://127.0.0.1:{free_port()}", max_retries=1) as client:
			with pytest.raises(UnavailableError, match="could not be reached") as info:
				client.payments.create(amount=2599, currency="eur")
		assert info.value.maybe_processed is False  # nothing left this machine

	def test_api_error_for_2xx_that_is_not_json(self):
		with TinyServer(body=b"<html>maintenance</html>", content_type="text/html") as tiny:
			with tiny_client(tiny.url, max_retries=2) as client:
				with pytest.raises(APIError) as info:
					client.payments.get("paym_" + "x" * 24)
		assert info.value.http_status == 200
		assert len(tiny.received) == 1  # not retried: Stancer did answer

	def test_error_without_json_body(self):
		with TinyServer(status=502, body=b"Bad gateway", content_type="text/plain") as tiny:
			with tiny_client(tiny.url) as client:
				with pytest.raises(UnavailableError) as info:
					client.payments.get("paym_" + "x" * 24)
		assert info.value.http_status == 502
		assert info.value.body is None

	def test_2xx_list_of_wrong_shape(self):
		with TinyServer(body=b'{"payments": "nope"}') as tiny:
			with tiny_client(tiny.url) as client:
				with pytest.raises(APIError):
					client.payments.list()

	def test_empty_2xx_is_none(self):
		with TinyServer(status=204, body=b"") as tiny:
			with tiny_client(tiny.url) as client:
				assert client.webhooks.delete("whk_" + "x" * 24) is None


# -- retries -------------------------------------------------------------------------------------


class TestRetries:
	def test_get_retried_on_503_then_succeeds(self, client, sandbox, account):
		payment = client.payments.create(amount=2599, currency="eur")
		set_faults(sandbox, account, fail_next=2)
		assert client.payments.get(payment["id"])["id"] == payment["id"]
		log = calls(sandbox, account, "GET", f"/v2/payments/{payment['id']}")
		assert [entry["status"] for entry in log] == [503, 503, 200]

	def test_get_gives_up_after_max_retries(self, client, sandbox, account):
		set_faults(sandbox, account, fail_next=10)
		with pytest.raises(UnavailableError):
			client.payments.get("paym_" + "x" * 24)
		assert len(calls(sandbox, account, "GET")) == 3  # one try and max_retries=2 more

	def test_backoff_between_retries(self, sandbox, account):
		set_faults(sandbox, account, fail_next=2)
		with make_client(sandbox, account, backoff=0.05) as client:
			slept = []
			delay = client.retry_delay
			client.retry_delay = lambda attempt, retry_after=None: slept.append(delay(attempt)) or slept[-1]
			client.payments.list()
		assert len(slept) == 2
		assert 0 <= slept[0] <= 0.05 and 0 <= slept[1] <= 0.1  # full jitter under 0.05, then doubled

	def test_post_without_unique_id_not_retried_on_503(self, client, sandbox, account):
		set_faults(sandbox, account, fail_next=1)
		with pytest.raises(UnavailableError) as info:
			client.payments.create(amount=2599, currency="eur", order_id="NO-UNIQUE")
		assert info.value.maybe_processed is True
		assert info.value.http_status == 503
		assert len(calls(sandbox, account, "POST", "/v2/payments/")) == 1
		assert client.payments.list(order_id="NO-UNIQUE") == []

	@pytest.mark.parametrize("resource", ["intent", "refund", "customer"])
	def test_other_posts_not_retried_on_503(self, client, sandbox, account, resource):
		set_faults(sandbox, account, fail_next=1)
		with pytest.raises(UnavailableError) as info:
			if resource == "intent":
				client.payment_intents.create(amount=2599, currency="eur")
			elif resource == "refund":
				client.refunds.create(payment="paym_" + "x" * 24, amount=100)
			else:
				client.customers.create(email="jeanne@example.org")
		assert info.value.maybe_processed is True
		assert len(calls(sandbox, account, "POST")) == 1

	def test_post_with_unique_id_whose_answer_is_lost_is_recovered(self, client, sandbox, account):
		unique_id = new_ref("LOST")
		set_faults(sandbox, account, fail_after_processing_next=1)
		payment = client.payments.create(
			amount=2599, currency="eur", unique_id=unique_id, order_id="ORD-LOST"
		)
		assert payment["unique_id"] == unique_id
		assert [p["id"] for p in client.payments.list(unique_id=unique_id)] == [payment["id"]]
		assert [p["id"] for p in client.payments.list(order_id="ORD-LOST")] == [payment["id"]]
		posts = calls(sandbox, account, "POST", "/v2/payments/")
		assert [entry["status"] for entry in posts] == [503]  # processed once, never re-sent

	def test_post_with_unique_id_not_processed_is_sent_again(self, client, sandbox, account):
		unique_id = new_ref("RESEND")
		set_faults(sandbox, account, fail_next=1)
		payment = client.payments.create(amount=2599, currency="eur", unique_id=unique_id)
		assert [p["id"] for p in client.payments.list(unique_id=unique_id)] == [payment["id"]]
		log = [
			(entry["method"], entry["status"])
			for entry in calls(sandbox, account)
			if entry["path"] == "/v2/payments/"
		]
		assert log[:3] == [("POST", 503), ("GET", 200), ("POST", 200)]  # looked up before sending again

	def test_recovery_gives_up_with_the_original_error(self):
		# Everything fails: the lookup's error must not hide that the payment may exist.
		with TinyServer(status=503, body=b'{"error": {"message": "down"}}') as tiny:
			with tiny_client(tiny.url, max_retries=1) as client:
				with pytest.raises(UnavailableError) as info:
					client.payments.create(amount=2599, currency="eur", unique_id=new_ref())
		assert info.value.maybe_processed is True
		assert [r["method"] for r in tiny.received][:1] == ["POST"]
		assert [r["method"] for r in tiny.received].count("POST") == 1

	def test_connection_refused_is_retried_even_for_a_post(self):
		port = free_port()
		holder = {}

		def open_later():
			time.sleep(0.15)
			holder["server"] = TinyServer(body=b'{"id": "paym_' + b"x" * 24 + b'"}', port=port).__enter__()

		opener = threading.Thread(target=open_later)
		opener.start()
		try:
			with tiny_client(f"http://127.0.0.1:{port}", max_retries=3, backoff=0.4) as client:
				payment = client.payments.create(amount=2599, currency="eur")  # no unique_id
		finally:
			opener.join()
			if "server" in holder:
				holder["server"].__exit__()
		assert payment["id"] == "paym_" + "x" * 24
		assert [r["method"] for r in holder["server"].received] == ["POST"]

	@pytest.mark.parametrize(
		"status, expected",
		[(400, InvalidRequestError), (401, AuthenticationError), (404, NotFoundError), (409, ConflictError)],
	)
	def test_no_retry_on_client_errors(self, status, expected):
		body = json.dumps({"error": {"type": "invalid_request_error", "message": f"nope {status}"}}).encode()
		with TinyServer(status=status, body=body) as tiny:
			with tiny_client(tiny.url, max_retries=3) as client:
				with pytest.raises(expected, match=f"nope {status}"):
					client.request("GET", "/v2/payments/")
				with pytest.raises(expected):
					client.payments.create(amount=2599, currency="eur", unique_id=new_ref())
		assert [r["method"] for r in tiny.received] == ["GET", "POST"]


# -- validation before sending --------------------------------------------------------------------

URL_OK = "https://shop.example.org/return"
BAD_CALLS = {
	"amount below 50": lambda c: c.payments.create(amount=49, currency="eur"),
	"amount 0 with capture": lambda c: c.payments.create(amount=0, currency="eur", capture=True),
	"amount float": lambda c: c.payments.create(amount=25.99, currency="eur"),
	"amount bool": lambda c: c.payments.create(amount=True, currency="eur"),
	"amount text": lambda c: c.payments.create(amount="2599", currency="eur"),
	"currency unknown": lambda c: c.payments.create(amount=2599, currency="xaf"),
	"currency missing": lambda c: c.payments.create(amount=2599, currency=None),
	"description short": lambda c: c.payments.create(amount=2599, currency="eur", description="ab"),
	"description long": lambda c: c.payments.create(amount=2599, currency="eur", description="x" * 65),
	"order_id long": lambda c: c.payments.create(amount=2599, currency="eur", order_id="x" * 37),
	"unique_id long": lambda c: c.payments.create(amount=2599, currency="eur", unique_id="x" * 37),
	"unique_id empty": lambda c: c.payments.create(amount=2599, currency="eur", unique_id=""),
	"return_url http": lambda c: c.payments.create(
		amount=2599, currency="eur", return_url="http://shop.example.org/return"
	),
	"return_url garbage": lambda c: c.payments.create(amount=2599, currency="eur", return_url="shop"),
	"intent amount": lambda c: c.payment_intents.create(amount=10, currency="eur"),
	"intent currency": lambda c: c.payment_intents.create(amount=2599, currency="btc"),
	"intent description": lambda c: c.payment_intents.create(amount=2599, currency="eur", description=""),
	"intent order_id": lambda c: c.payment_intents.create(amount=2599, currency="eur", order_id="x" * 37),
	"intent return_url": lambda c: c.payment_intents.create(
		amount=2599, currency="eur", return_url="ftp://shop.example.org"
	),
	"customer without email or mobile": lambda c: c.customers.create(name="Jeanne Martin"),
	"customer name long": lambda c: c.customers.create(name="x" * 65, email="jeanne@example.org"),
	"customer email short": lambda c: c.customers.create(email="a@b"),
	"customer name short": lambda c: c.customers.create(name="Li", email="li@example.org"),
	"customer mobile short": lambda c: c.customers.create(mobile="0612345"),
	"customer mobile long": lambda c: c.customers.create(mobile="+33 6 12 34 56 78"),
	"customer external_id long": lambda c: c.customers.create(
		email="jeanne@example.org", external_id="x" * 37
	),
	"find external_id long": lambda c: c.customers.find_by_external_id("x" * 37),
	"find_or_create external_id": lambda c: c.customers.find_or_create("x" * 37, email="jeanne@example.org"),
	"refund amount": lambda c: c.refunds.create(payment="paym_" + "x" * 24, amount=10),
	"refund amount float": lambda c: c.refunds.create(payment="paym_" + "x" * 24, amount=10.5),
	"webhook http": lambda c: c.webhooks.create(url="http://hooks.example.org/stancer"),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_refused_before_sending(client, sandbox, account, call):
	with pytest.raises(ValidationError) as info:
		call(client)
	assert info.value.field
	assert info.value.code
	assert calls(sandbox, account) == []


@pytest.mark.parametrize(
	"keys, code",
	[
		({"secret_key": "stest_short"}, "key_format"),
		({"secret_key": PUBLIC}, "secret_key_prefix"),
		({"secret_key": SECRET, "public_key": SECRET}, "public_key_prefix"),
		({"secret_key": SECRET, "public_key": "pprod_" + "P" * 24}, "key_mode_mismatch"),
		({"secret_key": SECRET, "api_base": "http://api.example.org"}, "api_base"),
		({"secret_key": SECRET, "api_base": "ftp://127.0.0.1"}, "api_base"),
		({"secret_key": SECRET, "api_base": None}, "api_base"),
	],
)
def test_client_refuses_bad_configuration(keys, code):
	with pytest.raises(ValidationError) as info:
		StancerClient(**keys)
	assert info.value.code == code
	assert SECRET[6:] not in str(info.value)


def test_http_allowed_for_loopback_sandbox_only(sandbox):
	assert StancerClient(SECRET, api_base=sandbox.url).is_sandbox
	assert StancerClient(SECRET, api_base="http://localhost:8765").is_sandbox
	assert not StancerClient(SECRET).is_sandbox
	assert StancerClient(SECRET).api_base == "https://api.stancer.com"


def test_sandbox_client_accepts_loopback_return_url(client, sandbox, account):
	payment = client.payments.create(amount=2599, currency="eur", return_url="http://127.0.0.1:8000/return")
	assert payment["return_url"] == "http://127.0.0.1:8000/return"
	with pytest.raises(ValidationError):
		StancerClient(SECRET).payments.create(
			amount=2599, currency="eur", return_url="http://127.0.0.1:8000/r"
		)


# -- what goes on the wire --------------------------------------------------------------------------


class TestWire:
	def test_user_agent_auth_and_body(self):
		with TinyServer(body=b'{"id": "paym_x"}') as tiny:
			with tiny_client(tiny.url, user_agent="frappe/15.0.0") as client:
				client.payments.create(
					amount=2599,
					currency="EUR",
					description="Order 42",
					three_d_secure=True,
					customer={"id": "cust_" + "c" * 24, "name": "Jeanne"},
				)
		received = tiny.received[0]
		agent = received["headers"]["User-Agent"]
		assert agent.startswith(f"stancer-integration/{__version__} python-requests/")
		assert agent.endswith(" frappe/15.0.0")
		expected = "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
		assert received["headers"]["Authorization"] == expected
		assert received["path"] == "/v2/payments/"
		assert json.loads(received["body"]) == {
			"amount": 2599,
			"currency": "eur",  # sent lowercase
			"capture": True,
			"description": "Order 42",
			"auth": True,  # v2: the literal true
			"customer": "cust_" + "c" * 24,  # v2: ids only
			"methods_allowed": ["card"],
		}

	def test_no_3ds_means_no_auth_key(self):
		with TinyServer(body=b'{"id": "paym_x"}') as tiny:
			with tiny_client(tiny.url) as client:
				client.payments.create(amount=2599, currency="eur")
		assert "auth" not in json.loads(tiny.received[0]["body"])

	@pytest.mark.parametrize("method", ["GET", "POST"])
	def test_read_timeout_on_every_call(self, method):
		with TinyServer(hang=5) as tiny:
			with tiny_client(tiny.url, read_timeout=0.3, max_retries=0) as client:
				started = time.monotonic()
				with pytest.raises(UnavailableError, match="timed out") as info:
					if method == "GET":
						client.payments.get("paym_" + "x" * 24)
					else:
						client.customers.create(email="jeanne@example.org")
				assert time.monotonic() - started < 2
		assert info.value.maybe_processed is (method == "POST")

	def test_timeouts_reach_every_resource_call(self):
		# One hanging server, every kind of call: none may wait for the server's 5 s.
		with TinyServer(hang=5) as tiny:
			with tiny_client(tiny.url, read_timeout=0.1, max_retries=0) as client:
				calls_ = [
					lambda: client.customers.get("cust_x"),
					lambda: client.customers.find_by_external_id("E-1"),
					lambda: client.payments.list(order_id="O-1"),
					lambda: client.payments.capture("paym_x"),
					lambda: client.payment_intents.get("pi_x"),
					lambda: client.payment_intents.capture("pi_x"),
					lambda: client.refunds.get("refd_x"),
					lambda: client.cards.get("card_x"),
					lambda: client.webhooks.list(),
					lambda: client.webhooks.delete("whk_x"),
				]
				started = time.monotonic()
				for call in calls_:
					with pytest.raises(UnavailableError):
						call()
				assert time.monotonic() - started < 0.1 * len(calls_) + 2


# -- the secret key never leaks ---------------------------------------------------------------------


def collect_errors(sandbox, account):
	"""Errors of every kind raised by a client holding `account`'s secret key."""
	found = []

	def catch(call):
		try:
			call()
		except errors.StancerError as error:
			found.append(error)

	with make_client(sandbox, account, max_retries=0, read_timeout=0.2) as client:
		unique_id = new_ref()
		client.payments.create(amount=2599, currency="eur", unique_id=unique_id)
		catch(lambda: client.payments.create(amount=2599, currency="eur", unique_id=unique_id))  # 409
		catch(lambda: client.payments.get("paym_" + "x" * 24))  # 404
		catch(lambda: client.request("POST", "/v2/payments/", json={"amount": 1}))  # 400
		catch(lambda: client.payments.create(amount=1, currency="eur"))  # ValidationError
		set_faults(sandbox, account, fail_next=1)
		catch(lambda: client.payments.list())  # 503
		set_faults(sandbox, account, latency_ms=500)
		catch(lambda: client.payments.list())  # read timeout
		reset_recorded_faults()
	with StancerClient(
		account["secret_key"], api_base=f"http://127.0.0.1:{free_port()}", backoff=0
	) as client:
		catch(lambda: client.payments.list())  # connection refused
	with TinyServer(body=b"not json") as tiny:
		with StancerClient(account["secret_key"], api_base=tiny.url, max_retries=0) as client:
			catch(lambda: client.payments.list())  # APIError
	unknown = "stest_" + account["secret_key"][6:][::-1]
	with StancerClient(unknown, api_base=sandbox.url) as client:
		catch(lambda: client.payments.list())  # 401
	try:
		StancerClient(account["secret_key"], account["secret_key"], api_base=sandbox.url)
	except errors.StancerError as error:
		found.append(error)
	return found


def leaks(text, secret):
	encoded = base64.b64encode(f"{secret}:".encode()).decode()
	return secret in text or secret[6:] in text or encoded in text


def test_secret_key_never_in_errors(sandbox, account):
	secret = account["secret_key"]
	found = collect_errors(sandbox, account)
	kinds = {type(error).__name__ for error in found}
	assert kinds == {
		"ConflictError",
		"NotFoundError",
		"InvalidRequestError",
		"ValidationError",
		"UnavailableError",
		"APIError",
		"AuthenticationError",
	}
	for error in found:
		text = " ".join(
			[
				str(error),
				repr(error),
				repr(error.args),
				repr(error.body),
				repr(vars(error)),
				"".join(traceback.format_exception(error)),
			]
		)
		assert not leaks(text, secret), f"{type(error).__name__} shows the secret key"
		assert error.__cause__ is None or not leaks(repr(error.__cause__), secret)


def test_secret_key_never_in_repr(sandbox, account):
	client = make_client(sandbox, account)
	for text in (repr(client), str(client), repr(client.payments.client), f"{client!r}"):
		assert not leaks(text, account["secret_key"])
	assert "test" in repr(client)


def test_secret_key_never_in_logs(sandbox, account, caplog):
	caplog.set_level(logging.DEBUG)
	collect_errors(sandbox, account)
	with make_client(sandbox, account) as client:
		client.customers.find_or_create("CUST-LOG", email="jeanne@example.org")
		client.payments.create(amount=2599, currency="eur", unique_id=new_ref())
	assert caplog.records, "DEBUG logging captured nothing: the check would prove nothing"
	assert any(record.name.startswith("stancer_integration") for record in caplog.records)
	for record in caplog.records:
		assert not leaks(record.getMessage(), account["secret_key"]), record.getMessage()
		assert not leaks(repr(record.args), account["secret_key"])


def test_two_clients_in_one_process_never_mix(sandbox):
	first, second = sandbox.create_account(), sandbox.create_account()
	with make_client(sandbox, first) as a, make_client(sandbox, second) as b:
		results = {}

		def work(name, client, count):
			ids = [
				client.payments.create(amount=2599, currency="eur", order_id="SAME-ORDER")["id"]
				for _ in range(count)
			]
			results[name] = ids

		threads = [
			threading.Thread(target=work, args=("a", a, 8)),
			threading.Thread(target=work, args=("b", b, 5)),
		]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		assert sorted(p["id"] for p in a.payments.list(order_id="SAME-ORDER")) == sorted(results["a"])
		assert sorted(p["id"] for p in b.payments.list(order_id="SAME-ORDER")) == sorted(results["b"])
		for payment_id in results["a"][:2]:
			with pytest.raises(NotFoundError):
				b.payments.get(payment_id)
		for payment_id in results["b"][:2]:
			with pytest.raises(NotFoundError):
				a.payments.get(payment_id)
	assert len(calls(sandbox, first, "POST")) == 8
	assert len(calls(sandbox, second, "POST")) == 5


def test_close_and_context_manager(sandbox, account):
	client = make_client(sandbox, account)
	with client as same:
		assert same is client
		assert same.payments.list() == []
	client.close()  # closing twice is harmless
