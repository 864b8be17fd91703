# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""End to end, as a customer's browser goes: Payment Request → our link → the sandbox's hosted
page → our return page → Payment Entry. A real web server serves the site; the sandbox plays
Stancer on loopback. These tests commit: the server only sees committed data."""

import re
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests
from frappe.installer import update_site_config
from frappe.tests.utils import FrappeTestCase

from stancer_integration import customers, payment_links, settlement
from stancer_integration.overrides.payment_request import validate_before_submit
from stancer_integration.site_references import customer_external_id
from stancer_integration.stancer.validation import stable_reference
from stancer_integration.tests.helpers import (
	come_back,
	make_company,
	make_customer,
	make_exchange_rate,
	make_payment_request,
	make_sales_invoice,
	make_sales_order,
	make_settings,
	on_server,
	pay_on_page,
	sandbox,
	scheduler_on_for,
	wait_for_recording,
	web_server,
)


def reset_rate_limits():
	frappe.cache.delete_keys("stancer-page")


# Linked doctypes whose ERPNext test records these tests do not need.
test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]

SUCCESS = "4242424242424242"
REFUSED = "4000000000000002"
THREE_D_SECURE = "4000000000003220"


def page_state(answer):
	"""The state and message our page shows, for assertion messages."""
	found = re.search(r'data-state="([a-z_]*)">([^<]*)', answer.text)
	return found.groups() if found else answer.text[:300]


def entries_for(payment_request):
	return frappe.get_all(
		"Payment Entry Reference",
		filters={"payment_request": payment_request, "docstatus": 1},
		pluck="parent",
		distinct=True,
	)


def records_for(payment_request):
	return frappe.get_all(
		"Stancer Payment",
		filters={"payment_request": payment_request},
		fields=["*"],
		order_by="creation asc",
	)


class CheckoutCase(FrappeTestCase):
	"""What the end-to-end tests share: a company, settings on a sandbox account, a customer, the
	web server, and the steps a customer's browser takes. Holds no test of its own."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		scheduler_on_for(cls)
		make_company()
		cls.settings = make_settings("E2E")
		# These tests open far more links from one IP than a customer would.
		update_site_config("stancer_rate_limit", 100000)
		reset_rate_limits()
		make_customer("Stancer Buyer", email="buyer@example.org")
		frappe.db.commit()
		web_server()

	def new_request(self, rate=25.99, customer="Stancer Buyer", settings=None, **order_args):
		order = make_sales_order(customer, rate, **order_args)
		pr = make_payment_request(order, settings or self.settings)
		frappe.db.commit()
		return pr

	def open_link(self, pr):
		"""GET our checkout link as a browser: the answer (redirect not followed)."""
		url = pr.get_payment_url()
		self.assertIn("/stancer_checkout?token=", url)
		return requests.get(on_server(url), allow_redirects=False, timeout=60)

	def pay(self, pr, card=SUCCESS, threeds="authenticate"):
		"""Link → hosted page → return page. Returns the return page's answer."""
		opened = self.open_link(pr)
		self.assertEqual(opened.status_code, 302, page_state(opened))
		back = pay_on_page(opened.headers["Location"], card, threeds=threeds)
		self.assertTrue(back and "/stancer_return?ref=" in back, back)
		return come_back(back)

	def click_at_once(self, pr, clicks):
		"""`clicks` customers' clicks on the link at the same moment: all sent to one page."""
		url = on_server(pr.get_payment_url())
		with ThreadPoolExecutor(max_workers=clicks) as pool:
			answers = list(
				pool.map(lambda _: requests.get(url, allow_redirects=False, timeout=120), range(clicks))
			)
		self.assertEqual({a.status_code for a in answers}, {302}, [page_state(a) for a in answers])
		self.assertEqual(len({a.headers["Location"] for a in answers}), 1)
		frappe.db.commit()

	def assertPaidOnce(self, pr):
		pr.reload()
		self.assertEqual(pr.status, "Paid")
		entries = entries_for(pr.name)
		self.assertEqual(len(entries), 1, entries)
		paid = [r for r in records_for(pr.name) if r.outcome == "Paid"]
		self.assertEqual(len(paid), 1)
		self.assertEqual(paid[0].payment_entry, entries[0])
		self.assertEqual(frappe.db.get_value("Payment Entry", entries[0], "reference_no"), paid[0].stancer_id)
		return paid[0]


class TestCheckout(CheckoutCase):
	# -- the happy paths -------------------------------------------------------------------

	def test_pay_with_success_card(self):
		pr = self.new_request()
		answer = self.pay(pr)
		self.assertEqual(answer.status_code, 302, answer.text[:500])
		self.assertIn("/stancer_paid?", answer.headers["Location"])
		self.assertIn(pr.name, answer.headers["Location"])
		record = self.assertPaidOnce(pr)
		self.assertTrue(record.stancer_id.startswith("paym_"))
		self.assertEqual(record.amount_minor, 2599)
		self.assertEqual(record.card_last4, "4242")
		self.assertEqual(record.mode, "Test")
		# The Stancer customer is kept on the Customer, for this account and mode.
		row = frappe.get_all(
			"Stancer Customer Reference",
			filters={
				"parent": "Stancer Buyer",
				"stancer_settings": self.settings.name,
				"public_key": self.settings.public_key,
			},
			fields=["stancer_customer_id", "payment_method_id"],
		)
		self.assertEqual(len(row), 1)
		self.assertTrue(row[0].stancer_customer_id.startswith("cust_"))
		self.assertFalse(row[0].payment_method_id)  # one-off payment: no card kept

	def test_pay_a_sales_invoice(self):
		invoice = make_sales_invoice("Stancer Buyer", 99.9)
		pr = make_payment_request(invoice, self.settings)
		frappe.db.commit()
		self.pay(pr)
		record = self.assertPaidOnce(pr)
		self.assertEqual(record.amount_minor, 9990)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount"), 0)

	def test_refused_card_then_success(self):
		pr = self.new_request()
		answer = self.pay(pr, card=REFUSED)
		self.assertEqual(answer.status_code, 200)
		self.assertIn('data-state="failed"', answer.text)
		self.assertIn("stancer_checkout?token=", answer.text)  # the link to try again
		pr.reload()
		self.assertNotEqual(pr.status, "Paid")
		self.assertEqual(entries_for(pr.name), [])
		self.pay(pr)
		self.assertPaidOnce(pr)
		attempts = records_for(pr.name)
		self.assertEqual([a.outcome for a in attempts], ["Failed", "Paid"])
		self.assertNotEqual(attempts[0].unique_id, attempts[1].unique_id)

	def test_three_d_secure_card(self):
		pr = self.new_request()
		answer = self.pay(pr, card=THREE_D_SECURE)
		self.assertEqual(answer.status_code, 302)
		self.assertPaidOnce(pr)

	def test_three_d_secure_cancelled_is_a_failure(self):
		pr = self.new_request()
		answer = self.pay(pr, card=THREE_D_SECURE, threeds="cancel")
		self.assertIn('data-state="failed"', answer.text)
		self.assertEqual(entries_for(pr.name), [])

	def test_authorize_now_capture_later(self):
		settings = make_settings("E2E Capture Later", capture_mode="Authorize now, capture later")
		pr = self.new_request(settings=settings)
		answer = self.pay(pr)
		self.assertEqual(answer.status_code, 302)  # the customer's part is done
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Authorized")
		self.assertEqual(entries_for(pr.name), [])
		# Opening the link again does not ask the customer to pay twice.
		again = self.open_link(pr)
		self.assertEqual(again.status_code, 302)
		self.assertIn("/stancer_paid?", again.headers["Location"])
		frappe.db.commit()
		self.assertEqual(len(records_for(pr.name)), 1)
		result = frappe.get_doc("Stancer Payment", record.name).capture()
		self.assertEqual(result["outcome"], "Paid")
		frappe.db.commit()
		self.assertPaidOnce(pr)

	def test_redirects_from_the_settings(self):
		settings = make_settings("E2E Redirects", redirect_url="/orders", failure_redirect_url="/cart")
		frappe.db.commit()
		refused = self.pay(self.new_request(settings=settings), card=REFUSED)
		self.assertEqual((refused.status_code, refused.headers.get("Location")), (302, "/cart"))
		paid = self.pay(self.new_request(settings=settings))
		self.assertEqual(paid.status_code, 302)
		self.assertIn("redirect_to=%2Forders", paid.headers["Location"])

	def test_page_in_the_customer_language_else_the_site_language(self):
		self.assertFalse(self.settings.payment_page_language)
		make_customer("Stancer Client Francais", email="fr@example.org")
		frappe.db.set_value("Customer", "Stancer Client Francais", "language", "fr")
		french = self.new_request(customer="Stancer Client Francais")
		self.assertTrue(self.open_link(french).headers["Location"].endswith("?lang=fr-FR"))
		site = frappe.get_system_settings("language") or "en"
		default = self.open_link(self.new_request()).headers["Location"]
		self.assertIn(f"?lang={site[:2]}-", default)

	def test_double_click_reuses_the_payment(self):
		pr = self.new_request()
		first = self.open_link(pr)
		second = self.open_link(pr)
		self.assertEqual(first.headers["Location"], second.headers["Location"])
		frappe.db.commit()
		self.assertEqual(len(records_for(pr.name)), 1)

	def test_five_clicks_at_once_make_one_payment(self):
		pr = self.new_request()
		self.click_at_once(pr, 5)
		self.assertEqual(len(records_for(pr.name)), 1)
		# …and one payment at Stancer, not only one record here.
		with self.settings.get_client() as client:
			self.assertEqual(len(client.payments.list(order_id=stable_reference(pr.name))), 1)

	# -- the payment-intent flow -----------------------------------------------------------

	def test_intent_flow_refused_then_paid_once(self):
		settings = make_settings("E2E Intents", checkout_flow="Payment intent")
		frappe.db.commit()
		pr = self.new_request(settings=settings)
		opened = self.open_link(pr)
		self.assertRegex(opened.headers["Location"], r"/test_pi_[A-Za-z0-9]{24}$")
		self.assertEqual(self.open_link(pr).headers["Location"], opened.headers["Location"])  # reused
		answer = self.pay(pr, card=REFUSED)
		self.assertIn('data-state="failed"', answer.text)
		answer = self.pay(pr, card=THREE_D_SECURE)
		self.assertEqual(answer.status_code, 302)
		record = self.assertPaidOnce(pr)
		self.assertTrue(record.stancer_id.startswith("pi_"))
		self.assertEqual(record.card_last4, "3220")
		self.assertEqual([r.outcome for r in records_for(pr.name)], ["Failed", "Paid"])

	def test_intent_flow_capture_later(self):
		settings = make_settings(
			"E2E Intents Later", checkout_flow="Payment intent", capture_mode="Authorize now, capture later"
		)
		frappe.db.commit()
		pr = self.new_request(settings=settings)
		self.pay(pr)
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Authorized")
		self.assertEqual(frappe.get_doc("Stancer Payment", record.name).capture()["outcome"], "Paid")
		frappe.db.commit()
		self.assertPaidOnce(pr)

	# -- exactly once ------------------------------------------------------------------------

	def test_return_page_twice_and_ten_at_once(self):
		pr = self.new_request()
		opened = self.open_link(pr)
		back = on_server(pay_on_page(opened.headers["Location"], SUCCESS))
		with ThreadPoolExecutor(max_workers=10) as pool:
			answers = list(
				pool.map(lambda _: requests.get(back, allow_redirects=False, timeout=120), range(10))
			)
		wait_for_recording(back)
		self.assertEqual(
			{a.status_code for a in answers}, {302}, [a.text[:300] for a in answers if a.status_code != 302]
		)
		again = come_back(back)
		self.assertEqual(again.status_code, 302)
		self.assertPaidOnce(pr)

	def test_refresh_from_stancer_records_a_payment_whose_customer_never_came_back(self):
		pr = self.new_request()
		opened = self.open_link(pr)
		pay_on_page(opened.headers["Location"], SUCCESS)  # the browser closes before our page
		frappe.db.commit()
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Pending")
		result = frappe.get_doc("Stancer Payment", record.name).refresh_from_stancer()
		self.assertEqual(result["outcome"], "Paid")
		frappe.db.commit()
		self.assertPaidOnce(pr)

	def test_an_older_snapshot_never_moves_a_record_back(self):
		pr = self.new_request()
		self.pay(pr)
		record = self.assertPaidOnce(pr)
		stale = {"id": record.stancer_id, "status": None, "capture": True, "amount": record.amount_minor}
		result = settlement.settle(record.name, stale)
		self.assertEqual((result.outcome, result.payment_entry), ("Paid", record.payment_entry))
		self.assertPaidOnce(pr)

	def test_paid_for_a_cancelled_request_is_flagged_not_booked(self):
		pr = self.new_request()
		opened = self.open_link(pr)
		frappe.get_doc("Payment Request", pr.name).cancel()
		frappe.db.commit()
		back = on_server(pay_on_page(opened.headers["Location"], SUCCESS))
		answer = come_back(back)
		frappe.db.commit()
		self.assertEqual(answer.status_code, 200)
		self.assertIn('data-state="received"', answer.text)
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Paid")
		self.assertTrue(record.needs_attention)
		self.assertIn("cancelled", record.attention_reason)
		self.assertFalse(record.payment_entry)
		self.assertEqual(entries_for(pr.name), [])
		# Hitting the return page again changes nothing.
		come_back(back)
		frappe.db.commit()
		self.assertEqual(entries_for(pr.name), [])
		self.assertEqual(len(records_for(pr.name)), 1)

	def test_paid_for_a_request_paid_by_other_means_is_flagged(self):
		pr = self.new_request()
		opened = self.open_link(pr)
		# The accountant books a bank transfer for the request meanwhile.
		frappe.get_doc("Payment Request", pr.name).create_payment_entry(submit=True)
		frappe.db.commit()
		back = on_server(pay_on_page(opened.headers["Location"], SUCCESS))
		answer = come_back(back)
		frappe.db.commit()
		self.assertIn('data-state="received"', answer.text)
		record = records_for(pr.name)[-1]
		self.assertTrue(record.needs_attention)
		self.assertIn("already paid by other means", record.attention_reason)
		self.assertEqual(len(entries_for(pr.name)), 1)  # the transfer only

	def test_cancelled_request_link_says_so(self):
		pr = self.new_request()
		frappe.get_doc("Payment Request", pr.name).cancel()
		frappe.db.commit()
		answer = self.open_link(pr)
		self.assertEqual(answer.status_code, 200)
		self.assertIn('data-state="cancelled"', answer.text)

	def test_paid_request_link_says_so(self):
		pr = self.new_request()
		self.pay(pr)
		answer = self.open_link(pr)
		self.assertEqual(answer.status_code, 302)
		self.assertIn("/stancer_paid?", answer.headers["Location"])
		frappe.db.commit()
		self.assertEqual(len(records_for(pr.name)), 1)

	# -- customers and currencies ------------------------------------------------------------

	def test_stancer_customer_reused_on_a_second_order(self):
		make_customer("Stancer Returning Buyer", email="again@example.org")
		first = self.new_request(customer="Stancer Returning Buyer")
		self.pay(first)
		second = self.new_request(customer="Stancer Returning Buyer")
		self.pay(second)
		ids = {records_for(pr.name)[-1].stancer_customer_id for pr in (first, second)}
		self.assertEqual(len(ids), 1)
		with self.settings.get_client() as client:
			found = client.list(
				"/v2/customers/",
				"customers",
				{"external_id": customer_external_id("Stancer Returning Buyer")},
			)
		self.assertEqual([c["id"] for c in found], list(ids))

	def test_stancer_customer_unknown_to_stancer_is_made_again(self):
		make_customer("Stancer Forgotten Buyer", email="forgotten@example.org")
		first = self.new_request(customer="Stancer Forgotten Buyer")
		self.pay(first)
		row = customers.get_reference("Stancer Forgotten Buyer", self.settings)
		frappe.db.set_value("Stancer Customer Reference", row.name, "stancer_customer_id", "cust_" + "z" * 24)
		frappe.db.commit()
		second = self.new_request(customer="Stancer Forgotten Buyer")
		self.pay(second)
		self.assertPaidOnce(second)
		fresh = customers.get_reference("Stancer Forgotten Buyer", self.settings).stancer_customer_id
		self.assertNotEqual(fresh, "cust_" + "z" * 24)
		self.assertEqual(records_for(second.name)[-1].stancer_customer_id, fresh)

	def test_webshop_hook_books_the_entry_once(self):
		"""With webshop enabled, its on_payment_authorized makes the Payment Entry; the app
		adopts it (keyed on the Stancer id) and books no second one."""
		frappe.db.set_single_value("Webshop Settings", "enabled", 1)
		frappe.db.commit()
		try:
			pr = self.new_request()
			answer = self.pay(pr)
		finally:
			frappe.db.set_single_value("Webshop Settings", "enabled", 0)
			frappe.db.commit()
		self.assertEqual(answer.status_code, 302)
		# webshop names its order page, which asks a guest to log in: this payer is logged out
		# (a shopper's own redirect is kept: test_webshop.py).
		self.assertIn("/stancer_paid?", answer.headers["Location"])
		self.assertNotIn("orders", answer.headers["Location"])
		self.assertPaidOnce(pr)

	def test_multi_currency_request_charged_in_its_own_currency(self):
		make_exchange_rate("USD", "EUR", 0.9)
		make_customer("Stancer US Buyer", email="us@example.org", currency="USD")
		usd = make_settings("E2E USD", currency="USD")
		frappe.db.commit()
		pr = self.new_request(
			rate=40.5, customer="Stancer US Buyer", settings=usd, currency="USD", conversion_rate=0.9
		)
		self.assertEqual(pr.currency, "USD")
		self.pay(pr)
		record = self.assertPaidOnce(pr)
		self.assertEqual((record.currency, record.amount_minor), ("USD", 4050))

	# -- bad input and faults ----------------------------------------------------------------

	def test_forged_token_is_a_404(self):
		web_server()
		for token in ("garbage", payment_links.make_token("ACC-PRQ-DOES-NOT-EXIST"), ""):
			answer = requests.get(
				f"{web_server()}/stancer_checkout?token={token}", allow_redirects=False, timeout=30
			)
			self.assertEqual(answer.status_code, 404, token)
		answer = requests.get(f"{web_server()}/stancer_return?ref=nope", allow_redirects=False, timeout=30)
		self.assertEqual(answer.status_code, 404)

	def test_stancer_unavailable_leaves_the_request_untouched(self):
		pr = self.new_request()
		fault = {"fail_next": 20, "fail_status": 503, "account": self.settings.flags.sandbox_account}
		if not fault["account"]:
			fault.pop("account")
		requests.post(f"{sandbox().url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()
		try:
			answer = self.open_link(pr)
		finally:
			requests.delete(f"{sandbox().url}/_sandbox/faults", timeout=10)
		self.assertEqual(answer.status_code, 200)
		self.assertIn('data-state="unavailable"', answer.text)
		frappe.db.commit()
		self.assertEqual(records_for(pr.name), [])
		self.assertEqual(frappe.db.get_value("Payment Request", pr.name, "status"), pr.status)
		# Stancer is back: the same link works.
		self.pay(pr)
		self.assertPaidOnce(pr)

	def test_pages_are_rate_limited(self):
		update_site_config("stancer_rate_limit", 3)
		reset_rate_limits()
		try:
			codes = [
				requests.get(f"{web_server()}/stancer_return?ref=nope", timeout=30).status_code
				for _ in range(5)
			]
		finally:
			update_site_config("stancer_rate_limit", 100000)
			reset_rate_limits()
		self.assertEqual(codes, [404, 404, 404, 429, 429])

	# -- the gateway contract ------------------------------------------------------------

	def test_get_payment_url_accepts_bytes_and_unknown_keys(self):
		pr = self.new_request()
		url = self.settings.get_payment_url(
			amount=999999,  # ignored: the amount comes from the Payment Request
			title=b"Stancer Test SAS",
			description=b"Commande",
			reference_doctype="Payment Request",
			reference_docname=pr.name,
			payer_email="buyer@example.org",
			payer_name=b"Stancer Buyer",
			order_id=pr.name,
			currency="EUR",
			payment_gateway=self.settings.payment_gateway,
			payment_key="abc",
			redirect_to="/orders",
		)
		self.assertEqual(payment_links.read_token(url.split("token=")[1].replace("%3D", "=")), pr.name)
		self.assertNotIn("999999", url)
		self.assertNotIn("2599", url)

	def test_unsupported_currency_and_tiny_amount_refused(self):
		with self.assertRaises(frappe.ValidationError):
			self.settings.validate_transaction_currency("INR")
		with self.assertRaises(frappe.ValidationError):
			self.settings.validate_minimum_transaction_amount("EUR", 0.49)
		self.settings.validate_minimum_transaction_amount("EUR", 0.5)
		request = frappe._dict(payment_gateway=self.settings.payment_gateway, currency="INR", grand_total=10)
		with self.assertRaises(frappe.ValidationError):
			validate_before_submit(request)
		request.update(currency="EUR", grand_total=0.3)
		with self.assertRaises(frappe.ValidationError):
			validate_before_submit(request)
