"""Shared pytest fixtures: one sandbox for the session, a fresh account per test.

Fixtures (names and shapes are relied on by other test files; keep them stable):
- `sandbox`: a running `SandboxServer` (port 0, short webhook retry delays), stopped at the end.
- `sandbox_url`: its base URL, "http://127.0.0.1:PORT".
- `account`: a new test-mode account, `{"account_id", "public_key", "secret_key"}`.
- `pay_page`: fill in the hosted page over HTTP like a browser: `pay_page(page_url, card_number)`.
- `api`: requests bound to `account`: `api.post("/v2/payments/", json={...})` → requests.Response.

Each test gets its own account, so objects never leak between tests; a test that sets faults scopes
them to its account (`"account": account["account_id"]`) or resets them.
"""

import pytest
import requests

from stancer_sandbox import SandboxServer
from stancer_sandbox.shopper import pay_on_page


@pytest.fixture(scope="session")
def sandbox():
	server = SandboxServer(
		port=0,
		webhook_retry_delay=0.05,  # retries in tens of milliseconds, not seconds
		webhook_timeout=2.0,
		sweep_interval=0.1,
	).start()
	yield server
	server.stop()


@pytest.fixture
def sandbox_url(sandbox):
	return sandbox.url


@pytest.fixture
def account(sandbox):
	return sandbox.create_account()


class Api:
	"""Calls to the sandbox with one secret key (HTTP Basic, empty password)."""

	def __init__(self, base_url, secret_key):
		self.base_url = base_url
		self.secret_key = secret_key

	def request(self, method, path, **kwargs):
		kwargs.setdefault("timeout", 10)
		kwargs.setdefault("auth", (self.secret_key, ""))
		return requests.request(method, self.base_url + path, **kwargs)

	def get(self, path, **kwargs):
		return self.request("GET", path, **kwargs)

	def post(self, path, **kwargs):
		return self.request("POST", path, **kwargs)

	def patch(self, path, **kwargs):
		return self.request("PATCH", path, **kwargs)

	def delete(self, path, **kwargs):
		return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(sandbox, account):
	return Api(sandbox.url, account["secret_key"])


class PageResult:
	"""Where the hosted page left the customer: the last answer and the redirect target, if any."""

	def __init__(self, response):
		self.response = response
		self.status_code = response.status_code
		self.location = response.headers.get("Location")
		self.text = response.text

	def __repr__(self):
		return f"<PageResult {self.status_code} location={self.location!r}>"


@pytest.fixture
def pay_page():
	"""Pay on the hosted page: GET the form, POST the card, answer a 3-D Secure challenge if shown.

	`threeds` is "authenticate" or "cancel". Returns a PageResult whose `location` is the
	merchant's return_url after a decision (the redirect is not followed).
	"""

	def pay(page_url, number, exp="12/34", cvc="123", threeds="authenticate", verify=True):
		return PageResult(pay_on_page(page_url, number, exp=exp, cvc=cvc, threeds=threeds, verify=verify))

	return pay
