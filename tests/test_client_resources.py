"""StancerClient resources against the sandbox: customers, payments, intents, refunds, cards, webhooks.

Payments are paid the way a customer does it: the hosted page's form is posted with `requests`
(`pay_page` fixture in conftest.py).
"""

import pytest
import requests
from test_client import calls, make_client, new_ref, reset_recorded_faults, set_faults

from stancer_integration.stancer import StancerClient, statuses
from stancer_integration.stancer.errors import (
	AuthenticationError,
	ConflictError,
	InvalidRequestError,
	NotFoundError,
	ValidationError,
)
from stancer_integration.stancer.statuses import Outcome

VISA = "4242424242424242"
REFUSED = "4000000000000002"
RETURN_URL = "http://127.0.0.1:8000/stancer/return"  # loopback http: accepted with a sandbox only


@pytest.fixture(autouse=True)
def reset_faults():
	yield
	reset_recorded_faults()


@pytest.fixture
def client(sandbox, account):
	with make_client(sandbox, account) as client:
		yield client


def paid_payment(client, pay_page, card=VISA, **fields):
	"""A payment created through the client and paid on the hosted page; returns it re-read."""
	fields = {"amount": 2599, "currency": "eur", "return_url": RETURN_URL, **fields}
	payment = client.payments.create(**fields)
	result = pay_page(client.payment_page_url(payment["id"]), card)
	assert result.status_code == 303, result.text[:500]
	assert result.location == RETURN_URL  # Stancer appends nothing to the return URL
	return client.payments.get(payment["id"])


class TestCustomers:
	def test_create_and_get(self, client):
		customer = client.customers.create(
			name="Jeanne Martin", email="jeanne@example.org", mobile="+33612345678", external_id="CUST-00042"
		)
		assert customer["id"].startswith("cust_")
		again = client.customers.get(customer["id"])
		assert again["email"] == "jeanne@example.org"
		assert again["external_id"] == "CUST-00042"

	def test_create_with_mobile_only(self, client):
		assert client.customers.create(mobile="+33612345678")["mobile"] == "+33612345678"

	def test_find_by_external_id(self, client):
		assert client.customers.find_by_external_id("CUST-1") is None
		first = client.customers.create(email="one@example.org", external_id="CUST-1")
		client.customers.create(email="two@example.org", external_id="CUST-2")
		assert client.customers.find_by_external_id("CUST-1")["id"] == first["id"]

	def test_find_or_create_makes_no_duplicate(self, client, sandbox, account):
		first = client.customers.find_or_create("CUST-77", name="Jeanne Martin", email="jeanne@example.org")
		second = client.customers.find_or_create("CUST-77", name="Jeanne Martin", email="jeanne@example.org")
		assert first["id"] == second["id"]
		assert len(calls(sandbox, account, "POST", "/v2/customers/")) == 1
		listed = client.list("/v2/customers/", "customers", {"external_id": "CUST-77"})
		assert [c["id"] for c in listed] == [first["id"]]

	def test_deleted_customer_is_not_found_by_external_id(self, client):
		customer = client.customers.create(email="gone@example.org", external_id="CUST-GONE")
		client.request("DELETE", f"/v2/customers/{customer['id']}")
		assert client.customers.find_by_external_id("CUST-GONE") is None
		assert client.customers.find_or_create("CUST-GONE", email="back@example.org")["id"] != customer["id"]

	def test_unknown_customer(self, client):
		with pytest.raises(NotFoundError):
			client.customers.get("cust_" + "z" * 24)


class TestPayments:
	def test_create_and_get(self, client):
		customer = client.customers.create(email="jeanne@example.org")
		payment = client.payments.create(
			amount=2599,
			currency="EUR",
			description="Facture ACC-SINV-2026-00012",
			order_id="ACC-PRQ-2026-00031",
			unique_id=new_ref("PRQ"),
			three_d_secure=True,
			return_url=RETURN_URL,
			customer=customer,
		)
		assert payment["id"].startswith("paym_") and len(payment["id"]) == 29
		assert payment["status"] is None
		assert payment["currency"] == "eur"
		assert payment["customer"] == customer["id"]
		assert payment["auth"]["status"] == "requested"
		assert statuses.payment_outcome(payment) is Outcome.PENDING
		assert client.payments.get(payment["id"]) == payment

	def test_list_by_order_id_and_unique_id(self, client):
		unique_id = new_ref("U")
		first = client.payments.create(amount=2599, currency="eur", order_id="ORD-1", unique_id=unique_id)
		second = client.payments.create(amount=1000, currency="eur", order_id="ORD-1")
		client.payments.create(amount=1000, currency="eur", order_id="ORD-2")
		assert {p["id"] for p in client.payments.list(order_id="ORD-1")} == {first["id"], second["id"]}
		assert [p["id"] for p in client.payments.list(unique_id=unique_id)] == [first["id"]]
		assert client.payments.find_by_unique_id(unique_id)["id"] == first["id"]
		assert client.payments.find_by_unique_id(new_ref()) is None
		assert client.payments.list(order_id="ORD-NONE") == []

	def test_list_pages_beyond_one_page(self, client, sandbox, account):
		created = {
			client.payments.create(amount=50 + i, currency="eur", order_id="ORD-MANY")["id"]
			for i in range(105)
		}
		client.payments.create(amount=2599, currency="eur", order_id="ORD-OTHER")
		before = len(calls(sandbox, account, "GET", "/v2/payments/"))
		listed = client.payments.list(order_id="ORD-MANY")
		assert len(listed) == 105
		assert {p["id"] for p in listed} == created  # no page skipped, none read twice
		assert len(calls(sandbox, account, "GET", "/v2/payments/")) - before == 2  # 100 + 5
		assert len(client.payments.list(order_id="ORD-MANY", limit=7)) == 7

	def test_list_treats_404_as_empty(self, client, sandbox, account):
		set_faults(sandbox, account, empty_lists_404=True)
		assert client.payments.list(order_id="ORD-NOTHING") == []
		assert client.payments.find_by_unique_id("NOTHING") is None
		assert client.payment_intents.list(order_id="ORD-NOTHING") == []
		assert client.customers.find_by_external_id("CUST-NOTHING") is None
		assert client.webhooks.list() == []
		customer = client.customers.find_or_create("CUST-NEW", email="new@example.org")
		assert customer["external_id"] == "CUST-NEW"
		# With results, lists still work.
		payment = client.payments.create(amount=2599, currency="eur", order_id="ORD-ONE")
		assert [p["id"] for p in client.payments.list(order_id="ORD-ONE")] == [payment["id"]]

	def test_paid_on_the_page(self, client, pay_page):
		payment = paid_payment(client, pay_page, capture=True)
		assert payment["status"] == "to_capture"
		assert payment["response"] == "00"
		assert statuses.payment_outcome(payment) is Outcome.PAID
		assert statuses.is_success(payment)
		assert not statuses.needs_capture(payment)

	def test_refused_on_the_page(self, client, pay_page):
		payment = paid_payment(client, pay_page, card=REFUSED)
		assert payment["status"] == "refused"
		assert payment["response"] == "05"
		assert statuses.payment_outcome(payment) is Outcome.FAILED

	def test_authorize_then_capture(self, client, pay_page):
		payment = paid_payment(client, pay_page, capture=False)
		assert payment["status"] == "authorized"
		assert statuses.needs_capture(payment)
		assert statuses.is_success(payment)  # Stancer's rule: authorized is fine when capture=false
		captured = client.payments.capture(payment["id"])
		assert captured["status"] == "to_capture"
		assert statuses.payment_outcome(captured) is Outcome.PAID
		assert client.payments.get(payment["id"])["status"] == "to_capture"

	def test_capture_of_unpaid_payment_is_a_conflict(self, client):
		payment = client.payments.create(amount=2599, currency="eur", capture=False)
		with pytest.raises(ConflictError):
			client.payments.capture(payment["id"])

	def test_card_check_with_zero_amount(self, client, pay_page):
		payment = paid_payment(client, pay_page, amount=0, capture=False)
		assert payment["status"] == "authorized"
		assert statuses.is_success(payment)
		assert not statuses.needs_capture(payment)

	def test_charge_saved_card(self, client, pay_page):
		customer = client.customers.create(email="jeanne@example.org")
		first = paid_payment(client, pay_page, customer=customer["id"])
		renewal = client.payments.create(
			amount=1990,
			currency="eur",
			card=first["card"],  # the embedded card object: its id is sent
			customer=customer,
			unique_id=new_ref("SUB"),
			methods_allowed=None,
		)
		assert renewal["status"] == "to_capture"
		assert renewal["card"]["id"] == first["card"]["id"]

	def test_payment_page_url_for_the_sandbox(self, client, sandbox, account):
		payment = client.payments.create(amount=2599, currency="eur", return_url=RETURN_URL)
		url = client.payment_page_url(payment["id"], lang="fr")
		assert url == f"{sandbox.url}/{account['public_key']}/{payment['id']}?lang=fr-FR"
		page = requests.get(url, timeout=5)
		assert page.status_code == 200
		assert "<form" in page.text
		assert (
			client.payment_page_url(payment["id"]) == f"{sandbox.url}/{account['public_key']}/{payment['id']}"
		)

	def test_payment_page_url_for_the_real_api(self, account):
		client = StancerClient(account["secret_key"], account["public_key"])
		url = client.payment_page_url("paym_RMLytyx2xLkdXkATKSxHOlvC", lang="fr_FR")
		assert (
			url
			== f"https://payment.stancer.com/{account['public_key']}/paym_RMLytyx2xLkdXkATKSxHOlvC?lang=fr-FR"
		)

	def test_payment_page_url_needs_the_public_key(self, sandbox, account):
		client = StancerClient(account["secret_key"], api_base=sandbox.url)
		with pytest.raises(ValidationError):
			client.payment_page_url("paym_RMLytyx2xLkdXkATKSxHOlvC")


class TestIntents:
	def test_create_get_capture(self, client, pay_page):
		intent = client.payment_intents.create(
			amount=300,
			currency="eur",
			capture=False,
			three_d_secure=False,
			description="Facture ACC-SINV-2026-00012",
			order_id="ACC-PRQ-2026-00031",
			return_url=RETURN_URL,
			metadata={"payment_request": "ACC-PRQ-2026-00031"},
		)
		assert intent["id"].startswith("pi_")
		assert intent["status"] == "require_payment_method"
		assert intent["threeds"] == "none"
		assert intent["metadata"] == {"payment_request": "ACC-PRQ-2026-00031"}
		assert "/test_pi_" in intent["url"]  # the intent carries its own page, used verbatim
		assert statuses.intent_outcome(intent) is Outcome.PENDING
		result = pay_page(intent["url"], VISA)
		assert result.location == RETURN_URL
		paid = client.payment_intents.get(intent["id"])
		assert paid["status"] == "authorized"
		assert paid["payment"].startswith("paym_")
		assert statuses.intent_outcome(paid) is Outcome.AUTHORIZED
		captured = client.payment_intents.capture(intent["id"])
		assert captured["status"] == "captured"
		assert statuses.intent_outcome(captured) is Outcome.PAID
		assert client.payments.get(paid["payment"])["status"] == "to_capture"
		assert [i["id"] for i in client.payment_intents.list(order_id="ACC-PRQ-2026-00031")] == [intent["id"]]

	def test_intent_sends_threeds_and_methods(self, client):
		intent = client.payment_intents.create(amount=2599, currency="usd")
		assert intent["threeds"] == "required"
		assert intent["methods_allowed"] == ["card"]
		assert intent["capture"] is True

	def test_capture_of_open_intent_is_a_conflict(self, client):
		intent = client.payment_intents.create(amount=2599, currency="eur")
		with pytest.raises(ConflictError):
			client.payment_intents.capture(intent["id"])

	def test_unknown_intent(self, client):
		with pytest.raises(NotFoundError, match="not found"):
			client.payment_intents.get("pi_" + "z" * 24)


class TestRefunds:
	def test_create_and_get_partial_refund(self, client, pay_page, sandbox, account):
		payment = paid_payment(client, pay_page)
		refund = client.refunds.create(payment=payment, amount=1000)  # the payment object: its id is sent
		assert len(calls(sandbox, account, "POST", "/v1/refunds/")) == 1  # v1, as Stancer's plugins do
		assert refund["id"].startswith("refd_")
		assert refund["payment"] == payment["id"]
		assert refund["amount"] == 1000
		assert refund["status"] == "to_refund"
		assert client.refunds.get(refund["id"]) == refund
		assert [r["id"] for r in client.payments.refunds(payment["id"])] == [refund["id"]]
		assert (
			statuses.payment_outcome(client.payments.get(payment["id"]), refunded_amount=1000) is Outcome.PAID
		)

	def test_with_refunds_says_what_was_given_back(self, client, pay_page):
		payment = paid_payment(client, pay_page)
		assert client.payments.with_refunds(payment)["refunded_amount"] == 0
		client.refunds.create(payment=payment, amount=1000)
		partly = client.payments.with_refunds(client.payments.get(payment["id"]))
		assert partly["refunded_amount"] == 1000
		assert statuses.payment_outcome(partly) is Outcome.PAID
		client.refunds.create(payment=payment)
		whole = client.payments.with_refunds(client.payments.get(payment["id"]))
		assert whole["refunded_amount"] == payment["amount"]
		assert statuses.object_outcome(whole) is Outcome.REFUNDED

	def test_refund_everything_left(self, client, pay_page):
		payment = paid_payment(client, pay_page)
		client.refunds.create(payment=payment["id"], amount=599)
		rest = client.refunds.create(payment=payment["id"])  # no amount: all that is left
		assert rest["amount"] == 2000
		total = sum(r["amount"] for r in client.payments.refunds(payment["id"]))
		assert (
			statuses.payment_outcome(client.payments.get(payment["id"]), refunded_amount=total)
			is Outcome.REFUNDED
		)

	def test_full_refund_before_capture_cancels(self, client, pay_page):
		payment = paid_payment(client, pay_page, capture=False)
		with pytest.raises(ConflictError, match="partially refunded"):
			client.refunds.create(payment=payment["id"], amount=1000)
		refund = client.refunds.create(payment=payment["id"])
		assert refund["status"] == "payment_canceled"
		canceled = client.payments.get(payment["id"])
		assert canceled["status"] == "canceled"
		# Canceled by a refund is a refund, not a failure.
		assert statuses.payment_outcome(canceled, refunded_amount=refund["amount"]) is Outcome.REFUNDED

	def test_refund_more_than_paid_is_refused_by_stancer(self, client, pay_page):
		payment = paid_payment(client, pay_page)
		with pytest.raises(InvalidRequestError, match="exceeds"):
			client.refunds.create(payment=payment["id"], amount=5000)

	def test_unknown_refund(self, client):
		with pytest.raises(NotFoundError):
			client.refunds.get("refd_" + "z" * 24)


class TestCards:
	def test_get_card_of_a_paid_payment(self, client, pay_page):
		payment = paid_payment(client, pay_page)
		card_id = payment["card"]["id"]
		card = client.cards.get(card_id)
		assert card["id"] == card_id
		assert card["last4"] == "4242"
		assert card["brand"] == "visa"
		assert "number" not in card and "cvc" not in card

	def test_unknown_card(self, client):
		with pytest.raises(NotFoundError):
			client.cards.get("card_" + "z" * 24)


class TestWebhooks:
	def test_create_list_delete(self, client):
		assert client.webhooks.list() == []
		hook = client.webhooks.create(url="http://127.0.0.1:9/stancer/webhook", events=["payment.updated"])
		assert hook["id"].startswith("whk_")
		assert hook["secret"]
		assert hook["events"] == ["payment.updated"]
		other = client.webhooks.create(url="https://erp.example.org/api/method/stancer.webhook")
		assert {h["id"] for h in client.webhooks.list()} == {hook["id"], other["id"]}
		deleted = client.webhooks.delete(hook["id"])
		assert deleted["deleted"] is True
		assert [h["id"] for h in client.webhooks.list()] == [other["id"]]
		with pytest.raises(NotFoundError):
			client.webhooks.delete(hook["id"])

	def test_webhook_url_must_be_https_outside_loopback(self, client):
		with pytest.raises(ValidationError) as info:
			client.webhooks.create(url="http://erp.example.org/hook")
		assert info.value.field == "url"

	def test_webhooks_are_per_account(self, sandbox, client):
		hook = client.webhooks.create(url="https://erp.example.org/hook")
		with make_client(sandbox, sandbox.create_account()) as other:
			assert other.webhooks.list() == []
			with pytest.raises(NotFoundError):
				other.webhooks.delete(hook["id"])


def test_check_connection_reports_the_mode(sandbox):
	# Live keys go to Stancer only: the sandbox is checked with a test key.
	keys = sandbox.create_account()
	client = StancerClient(keys["secret_key"], keys["public_key"], api_base=sandbox.url, backoff=0)
	assert client.check_connection() is False


def test_check_connection_refused_key(sandbox):
	client = StancerClient("stest_" + "x" * 24, api_base=sandbox.url, backoff=0)
	with pytest.raises(AuthenticationError):
		client.check_connection()


def test_fetch_and_capture_either_kind(sandbox, account, pay_page):
	client = StancerClient(account["secret_key"], account["public_key"], api_base=sandbox.url, backoff=0)
	intent = client.payment_intents.create(
		amount=1234, currency="eur", capture=False, return_url="https://shop.example/back"
	)
	pay_page(intent["url"], VISA)
	fetched = client.fetch(intent["id"], with_card=True)
	assert fetched["status"] == "authorized"
	assert fetched["card"]["last4"] == "4242"
	assert client.capture(intent["id"])["status"] == "captured"
	payment = client.payments.create(
		amount=1234, currency="eur", capture=False, return_url="https://shop.example/back"
	)
	pay_page(client.payment_page_url(payment["id"]), VISA)
	assert client.fetch(payment["id"])["status"] == "authorized"
	assert client.capture(payment["id"])["status"] == "to_capture"
