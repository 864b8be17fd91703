"""Accounts and keys: only registered keys work, objects are partitioned by account and mode."""

import re

import requests

UNAUTHORIZED = {
	"error": {"type": "invalid_request_error", "message": "You are not authorized to access that resource"}
}


def _payment(base, secret, **extra):
	body = {"amount": 1000, "currency": "eur", "description": "Partition test", **extra}
	answer = requests.post(f"{base}/v2/payments/", json=body, auth=(secret, ""), timeout=5)
	assert answer.status_code == 200, answer.text
	return answer.json()


def test_account_keys_have_stancer_shapes(account):
	assert set(account) == {"account_id", "public_key", "secret_key"}
	assert re.fullmatch(r"stest_[A-Za-z0-9]{24}", account["secret_key"])
	assert re.fullmatch(r"ptest_[A-Za-z0-9]{24}", account["public_key"])


def test_live_account_keys(sandbox):
	keys = sandbox.create_account(live=True)
	assert re.fullmatch(r"sprod_[A-Za-z0-9]{24}", keys["secret_key"])
	assert re.fullmatch(r"pprod_[A-Za-z0-9]{24}", keys["public_key"])


def test_unknown_key_is_401(sandbox_url):
	for auth in (("stest_" + "a" * 24, ""), ("", ""), None):
		answer = requests.get(f"{sandbox_url}/v2/payments/", auth=auth, timeout=5)
		assert answer.status_code == 401
		assert answer.json() == UNAUTHORIZED


def test_public_key_is_not_a_secret_key(sandbox_url, account):
	answer = requests.get(f"{sandbox_url}/v2/payments/", auth=(account["public_key"], ""), timeout=5)
	assert answer.status_code == 401


def test_admin_creates_accounts_that_work(sandbox_url):
	keys = requests.post(f"{sandbox_url}/_sandbox/accounts", json={"live": True}, timeout=5).json()
	assert keys["secret_key"].startswith("sprod_") and keys["test"]["secret_key"].startswith("stest_")
	for secret in (keys["secret_key"], keys["test"]["secret_key"]):
		answer = requests.get(f"{sandbox_url}/v2/payments/", auth=(secret, ""), timeout=5)
		assert answer.status_code == 200
	assert answer.json()["live_mode"] is False


def test_demo_account_works(sandbox):
	demo = sandbox.demo_account
	assert demo["secret_key"] == "stest_DemoSandboxSecretTest001"
	answer = requests.get(f"{sandbox.url}/v2/payments/", auth=(demo["secret_key"], ""), timeout=5)
	assert answer.status_code == 200


def test_other_account_cannot_see_a_payment(sandbox, account):
	other = sandbox.create_account()
	payment = _payment(sandbox.url, account["secret_key"], order_id="A-1")
	answer = requests.get(
		f"{sandbox.url}/v2/payments/{payment['id']}", auth=(other["secret_key"], ""), timeout=5
	)
	assert answer.status_code == 404
	assert answer.json()["error"]["message"] == f"Payment `{payment['id']}` not found"
	listed = requests.get(
		f"{sandbox.url}/v2/payments/", params={"order_id": "A-1"}, auth=(other["secret_key"], ""), timeout=5
	)
	assert listed.json()["payments"] == []


def test_test_key_cannot_see_live_objects(sandbox, account):
	live = sandbox.account_keys(account["account_id"], live=True)
	payment = _payment(sandbox.url, live["secret_key"])
	assert payment["live_mode"] is True
	answer = requests.get(
		f"{sandbox.url}/v2/payments/{payment['id']}", auth=(account["secret_key"], ""), timeout=5
	)
	assert answer.status_code == 404
	mine = requests.get(
		f"{sandbox.url}/v2/payments/{payment['id']}", auth=(live["secret_key"], ""), timeout=5
	)
	assert mine.status_code == 200


def test_health(sandbox_url):
	assert requests.get(f"{sandbox_url}/_sandbox/health", timeout=5).json()["status"] == "ok"


def test_hosted_page_shows_the_merchants_name(sandbox, sandbox_url):
	keys = requests.post(
		f"{sandbox_url}/_sandbox/accounts", json={"name": "Boulangerie <Dupont>"}, timeout=5
	).json()
	payment = requests.post(
		f"{sandbox_url}/v2/payments/",
		json={"amount": 1000, "currency": "eur"},
		auth=(keys["secret_key"], ""),
		timeout=5,
	).json()
	page = requests.get(f"{sandbox_url}/{keys['public_key']}/{payment['id']}", timeout=5).text
	assert '<p class="merchant">Boulangerie &lt;Dupont&gt;</p>' in page
	unnamed = sandbox.create_account()
	other = requests.post(
		f"{sandbox_url}/v2/payments/",
		json={"amount": 1000, "currency": "eur"},
		auth=(unnamed["secret_key"], ""),
		timeout=5,
	).json()
	assert (
		'class="merchant"'
		not in requests.get(f"{sandbox_url}/{unnamed['public_key']}/{other['id']}", timeout=5).text
	)
	for bad in ("", "x" * 65, 3):
		answer = requests.post(f"{sandbox_url}/_sandbox/accounts", json={"name": bad}, timeout=5)
		assert answer.status_code == 400
