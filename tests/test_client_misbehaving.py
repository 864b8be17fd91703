"""The client against servers that misbehave where the sandbox is too polite: connections cut
after the request was sent, list filters ignored, strangers' payments under our unique_id,
409s during recovery, Retry-After, and live keys pointed anywhere but Stancer."""

import http.server
import json
import threading
import time

import pytest

from stancer_integration.stancer import StancerClient
from stancer_integration.stancer.errors import ConflictError, UnavailableError, ValidationError

SECRET = "stest_" + "M1sb3h4v1ngS3rv3rK3y0001"
PUBLIC = "ptest_" + "M1sb3h4v1ngS3rv3rK3y0001"
LIVE_SECRET = "sprod_" + "M1sb3h4v1ngS3rv3rK3y0001"
LIVE_PUBLIC = "pprod_" + "M1sb3h4v1ngS3rv3rK3y0001"
UNIQUE = "PR-0001-1-abcdef123456"
OURS = {
	"id": "paym_" + "o" * 24,
	"amount": 2599,
	"currency": "eur",
	"unique_id": UNIQUE,
	"order_id": "PR-0001",
}
STRANGER = dict(OURS, id="paym_" + "s" * 24, amount=99999)
DROP = object()  # read the request, then close the connection without answering


class ScriptedServer:
	"""A loopback HTTP server answering each request with the next scripted answer.

	An answer is (status, body) or (status, body, headers), DROP, or a function of the request
	returning one of those. It records every request it got."""

	def __init__(self, *answers):
		self.answers = list(answers)
		self.received = []
		scripted = self

		class Handler(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def _answer(self):
				length = int(self.headers.get("Content-Length") or 0)
				body = self.rfile.read(length) if length else b""
				request = {"method": self.command, "path": self.path, "body": body}
				scripted.received.append(request)
				answer = scripted.answers.pop(0) if scripted.answers else (500, {"error": "unscripted"})
				if callable(answer):
					answer = answer(request)
				if answer is DROP:
					self.close_connection = True
					self.connection.close()
					return
				status, payload, headers = answer if len(answer) == 3 else (*answer, {})
				data = json.dumps(payload).encode()
				self.send_response(status)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(data)))
				for name, value in headers.items():
					self.send_header(name, value)
				self.end_headers()
				self.wfile.write(data)

			do_GET = do_POST = do_PATCH = do_DELETE = _answer

			def log_message(self, *args):
				pass

		self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.server.daemon_threads = True
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
		self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

	def methods(self):
		return [r["method"] for r in self.received]

	def __enter__(self):
		self.thread.start()
		return self

	def __exit__(self, *exc):
		self.server.shutdown()
		self.server.server_close()


def client_for(server, **options):
	options = {"backoff": 0, "connect_timeout": 1, "read_timeout": 2, "max_retries": 2, **options}
	return StancerClient(SECRET, PUBLIC, api_base=server.url, **options)


def create_ours(client):
	return client.payments.create(amount=2599, currency="eur", order_id="PR-0001", unique_id=UNIQUE)


# -- a connection cut after the request left -----------------------------------------------------


def test_connection_dropped_after_sending_is_not_nothing_sent():
	with ScriptedServer(DROP, (200, OURS)) as server:
		with client_for(server) as client, pytest.raises(UnavailableError) as info:
			client.payments.create(amount=2599, currency="eur")  # no unique_id: never sent twice
	assert info.value.maybe_processed is True
	assert server.methods() == ["POST"]


def test_connection_dropped_after_sending_is_recovered_by_unique_id():
	with ScriptedServer(DROP, (200, {"payments": [OURS], "range": {"has_more": False}})) as server:
		with client_for(server) as client:
			assert create_ours(client)["id"] == OURS["id"]
	assert server.methods() == ["POST", "GET"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "POST"])
def test_unsafe_methods_are_not_retried_on_503(method):
	with ScriptedServer((503, {"error": {"message": "down"}}), (200, {})) as server:
		with client_for(server, max_retries=3) as client, pytest.raises(UnavailableError) as info:
			client.request(method, "/v2/payments/paym_" + "x" * 24, json={"status": "capture"})
	assert server.methods() == [method]
	assert info.value.maybe_processed is True


# -- list filters are checked again ----------------------------------------------------------------


def test_unique_id_lookup_ignores_what_the_filter_let_through():
	unfiltered = {"payments": [STRANGER, dict(STRANGER, id="paym_" + "t" * 24, unique_id="OTHER")]}
	with ScriptedServer((200, unfiltered), (200, dict(unfiltered, payments=[STRANGER, OURS]))) as server:
		with client_for(server) as client:
			assert client.payments.find_by_unique_id("OTHER-UNIQUE") is None
			assert client.payments.find_by_unique_id(UNIQUE)["id"] in (STRANGER["id"], OURS["id"])
	assert "unique_id=OTHER-UNIQUE" in server.received[0]["path"]


def test_unique_id_lookup_returns_only_an_exact_match():
	other = dict(OURS, id="paym_" + "u" * 24, unique_id=UNIQUE + "x")
	with ScriptedServer((200, {"payments": [other, OURS]})) as server:
		with client_for(server) as client:
			assert client.payments.find_by_unique_id(UNIQUE)["id"] == OURS["id"]


def test_external_id_lookup_ignores_other_customers():
	customers = [
		{"id": "cust_" + "a" * 24, "external_id": "CUST-2"},
		{"id": "cust_" + "b" * 24, "external_id": "CUST-1", "deleted": True},
	]
	with ScriptedServer((200, {"customers": customers})) as server:
		with client_for(server) as client:
			assert client.customers.find_by_external_id("CUST-1") is None


# -- recovery never adopts a stranger's payment ---------------------------------------------------


def test_recovery_refuses_a_stranger_under_our_unique_id():
	stranger = dict(STRANGER, unique_id=UNIQUE)  # same unique_id, another amount
	with ScriptedServer((503, {}), (200, {"payments": [stranger]})) as server:
		with client_for(server) as client, pytest.raises(ConflictError) as info:
			create_ours(client)
	assert info.value.existing_id == stranger["id"]
	assert server.methods() == ["POST", "GET"]


def test_recovery_resend_answered_409_reads_the_payment_back():
	conflict = {"error": {"message": {"error": "duplicate unique_id", "id": OURS["id"]}}}
	with ScriptedServer((503, {}), (200, {"payments": []}), (409, conflict), (200, OURS)) as server:
		with client_for(server) as client:
			assert create_ours(client)["id"] == OURS["id"]
	assert server.methods() == ["POST", "GET", "POST", "GET"]
	assert server.received[3]["path"] == "/v2/payments/" + OURS["id"]


def test_recovery_resend_409_pointing_at_a_stranger_is_refused():
	conflict = {"error": {"message": {"error": "duplicate unique_id", "id": STRANGER["id"]}}}
	with ScriptedServer((503, {}), (200, {"payments": []}), (409, conflict), (200, STRANGER)) as server:
		with client_for(server) as client, pytest.raises(ConflictError):
			create_ours(client)


def test_second_uncertain_failure_during_recovery_keeps_maybe_processed():
	with ScriptedServer(
		(503, {}), (200, {"payments": []}), DROP, (200, {"payments": []}), (503, {})
	) as server:
		with client_for(server, max_retries=1) as client, pytest.raises(UnavailableError) as info:
			create_ours(client)
	assert info.value.maybe_processed is True
	assert server.methods().count("POST") == 2  # the first and one re-send, never more


def test_recovery_lookup_failing_keeps_the_original_uncertainty():
	with ScriptedServer((503, {}), (503, {}), (503, {})) as server:
		with client_for(server, max_retries=1) as client, pytest.raises(UnavailableError) as info:
			create_ours(client)
	assert info.value.maybe_processed is True
	assert server.methods().count("POST") == 1


# -- backoff: jitter, Retry-After, cap, deadline -------------------------------------------------


def test_retry_delays_have_jitter_and_a_cap():
	client = StancerClient(SECRET, PUBLIC, api_base="https://api.stancer.com", backoff=1, max_backoff=3)
	delays = [client.retry_delay(5) for _ in range(200)]
	assert all(0 <= d <= 3 for d in delays)
	assert len({round(d, 6) for d in delays}) > 100  # not one fixed delay shared by every client
	assert client.retry_delay(0, retry_after=2) == 2
	assert client.retry_delay(0, retry_after=3600) == 3


def test_retry_after_is_honoured():
	busy = (429, {"error": {"message": "slow down"}}, {"Retry-After": "1"})
	with ScriptedServer(busy, (200, {"payments": []})) as server:
		with client_for(server, backoff=0) as client:
			started = time.monotonic()
			assert client.payments.list() == []
			assert time.monotonic() - started >= 0.95
	assert server.methods() == ["GET", "GET"]


def test_retry_after_beyond_the_deadline_gives_up_at_once():
	busy = (503, {"error": {"message": "down"}}, {"Retry-After": "30"})
	with ScriptedServer(busy, (200, {"payments": []})) as server:
		with client_for(server, max_backoff=60, deadline=2) as client:
			started = time.monotonic()
			with pytest.raises(UnavailableError):
				client.payments.list()
			assert time.monotonic() - started < 1.5
	assert server.methods() == ["GET"]


def test_deadline_bounds_a_slow_call_and_its_retries():
	def slow(request):
		time.sleep(1.5)
		return (200, {"payments": []})

	with ScriptedServer(slow, slow, slow, slow) as server:
		with client_for(server, read_timeout=5, max_retries=3, deadline=1) as client:
			started = time.monotonic()
			with pytest.raises(UnavailableError):
				client.payments.list()
			assert time.monotonic() - started < 1.4


# -- a live key goes to Stancer only ----------------------------------------------------------------


@pytest.mark.parametrize(
	"api_base",
	[
		"https://api.example.org",
		"http://127.0.0.1:8765",
		"https://localhost",
		"http://api.stancer.com",
		"https://api.stancer.com:8443",
		"https://api.stancer.com.example.org",
		"https://payment.stancer.com",
	],
)
def test_live_keys_go_to_stancer_only(api_base):
	with pytest.raises(ValidationError) as info:
		StancerClient(LIVE_SECRET, LIVE_PUBLIC, api_base=api_base)
	assert info.value.code == "live_key_host"
	assert LIVE_SECRET not in str(info.value)


def test_live_keys_to_stancer_and_test_keys_to_a_sandbox_are_accepted():
	assert StancerClient(LIVE_SECRET, LIVE_PUBLIC).api_base == "https://api.stancer.com"
	assert StancerClient(LIVE_SECRET, api_base="https://api.stancer.com/").mode == "live"
	assert StancerClient(SECRET, PUBLIC, api_base="http://127.0.0.1:8765").mode == "test"
	assert StancerClient(SECRET, PUBLIC, api_base="https://sandbox.example.org").mode == "test"


def test_redirects_are_not_followed_with_the_key():
	with ScriptedServer((302, {}, {"Location": "http://127.0.0.2:9/steal"})) as server:
		with client_for(server) as client, pytest.raises(Exception) as info:
			client.payments.get("paym_" + "x" * 24)
	assert type(info.value).__name__ == "APIError"
	assert server.methods() == ["GET"]


def test_second_uncertain_failure_during_recovery_is_looked_up_again():
	with ScriptedServer((503, {}), (200, {"payments": []}), DROP, (200, {"payments": [OURS]})) as server:
		with client_for(server, max_retries=2) as client:
			assert create_ours(client)["id"] == OURS["id"]
	assert server.methods() == ["POST", "GET", "POST", "GET"]


def test_budget_bounds_all_the_calls_of_a_client():
	def slow(request):
		time.sleep(0.6)
		return (200, {"payments": []})

	with ScriptedServer(*[slow] * 10) as server:
		with client_for(server, read_timeout=5, max_retries=0, budget=1.0) as client:
			started = time.monotonic()
			with pytest.raises(UnavailableError):
				for _ in range(10):
					client.payments.list()
			assert time.monotonic() - started < 1.5
	assert len(server.received) <= 2


def test_a_404_refund_list_means_no_refunds():
	with ScriptedServer((404, {"error": {"message": "No refunds"}})) as server:
		with client_for(server) as client:
			assert client.payments.with_refunds(dict(OURS))["refunded_amount"] == 0
