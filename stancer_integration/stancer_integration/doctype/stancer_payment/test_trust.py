# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""What a merchant lives with: another site on the same Stancer account, ERPNext refusing the
entry, a record lost after Stancer made the payment, refunds and disputes seen first, currency
rounding, hand capture, two clicks, many customers, forged addresses, live keys, key rotation,
uninstall. Through the real web server where a customer is involved; these tests commit."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import frappe
import requests
from frappe.installer import update_site_config
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from stancer_integration import (
	after_answer,
	checkout,
	customers,
	install,
	payment_request_info,
	reconciliation,
	settlement,
)
from stancer_integration.site_references import customer_external_id
from stancer_integration.stancer import references
from stancer_integration.stancer.validation import stable_reference
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	REFUSED,
	SUCCESS,
	CheckoutCase,
	entries_for,
	page_state,
	records_for,
	reset_rate_limits,
)
from stancer_integration.tests.helpers import (
	COMPANY,
	come_back,
	make_customer,
	make_exchange_rate,
	make_payment_request,
	make_sales_order,
	make_settings,
	make_user,
	on_server,
	pay_on_page,
	sandbox,
	wait_for_recording,
	web_server,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]
DISPUTED_LATER = "4000000000000259"
LOGGED_IN_PASSWORD = "Trust-Stancer-Pass-7!"


def stancer_payments(settings, pr):
	"""The payments Stancer holds for a request (by its order_id), not only our records."""
	with settings.get_client() as client:
		return client.payments.list(order_id=stable_reference(pr.name), limit=100)


@contextmanager
def closed_period(document_type):
	"""An Accounting Period of the test company, closed for `document_type`, around today."""
	period = frappe.get_doc(
		{
			"doctype": "Accounting Period",
			"period_name": f"Stancer closed {frappe.generate_hash(length=6)}",
			"company": COMPANY,
			"start_date": add_days(nowdate(), -1),
			"end_date": add_days(nowdate(), 1),
			"closed_documents": [{"document_type": document_type, "closed": 1}],
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	try:
		yield period
	finally:
		frappe.delete_doc("Accounting Period", period.name, ignore_permissions=True, force=True)
		frappe.db.commit()


def answered_as_a_guest(back):
	"""The return address answered in this process as a guest's request is (Frappe's request,
	with its after-answer work), that work kept and not run, as when the worker dies right after
	answering: (the answer, the work)."""
	from frappe.utils import CallbackManager
	from werkzeug.test import EnvironBuilder
	from werkzeug.wrappers import Request

	from stancer_integration.templates.pages import stancer_return

	parts = urlsplit(back)
	request = Request(
		EnvironBuilder(
			path=parts.path, query_string=parts.query, environ_base={"REMOTE_ADDR": "127.0.0.1"}
		).get_environ()
	)
	request.after_response = CallbackManager()
	frappe.local.request = request
	frappe.set_user("Guest")  # before the query: set_user empties form_dict
	frappe.local.form_dict = frappe._dict(parse_qsl(parts.query))
	try:
		return stancer_return.answer(), request.after_response
	finally:
		frappe.set_user("Administrator")
		del frappe.local.request
		frappe.local.form_dict = frappe._dict()


def book_transfer(pr, amount):
	"""The accountant books part of a request as paid by bank transfer."""
	transfer = frappe.get_doc("Payment Request", pr.name).create_payment_entry(submit=False)
	transfer.paid_amount = transfer.received_amount = amount
	transfer.references[0].allocated_amount = amount
	transfer.reference_no = f"BANK-TRANSFER-{amount}"
	transfer.insert(ignore_permissions=True)
	transfer.submit()
	frappe.db.commit()


def sandbox_admin(path, **body):
	answer = requests.post(f"{sandbox().url}/_sandbox/{path}", json=body, timeout=10)
	answer.raise_for_status()
	return answer.json()


class TestTrust(CheckoutCase):
	def open(self, pr):
		"""Open the link and take a fresh snapshot, to see what the server committed."""
		answer = self.open_link(pr)
		frappe.db.commit()
		return answer

	def get(self, url, **kwargs):
		return come_back(url, **kwargs)

	# -- 1. a payment made elsewhere is never adopted ---------------------------------------

	def test_a_payment_under_our_reference_but_not_ours_is_never_adopted(self):
		pr = self.new_request(rate=31)
		unique_id = checkout.attempt_unique_id(payment_request_info.read(pr.name), 1)
		# Another site on the same account (a copy of this one) already paid 999.99 under it.
		with self.settings.get_client() as client:
			foreign = client.payments.create(
				amount=99999, currency="eur", order_id=stable_reference(pr.name), unique_id=unique_id
			)
			page = client.payment_page_url(foreign["id"])
		pay_on_page(page, SUCCESS)
		answer = self.pay(pr)
		self.assertEqual(answer.status_code, 302, page_state(answer))
		record = self.assertPaidOnce(pr)
		self.assertEqual(record.amount_minor, 3100)
		self.assertNotEqual(record.stancer_id, foreign["id"])
		self.assertNotEqual(record.unique_id, unique_id)
		self.assertFalse(frappe.db.exists("Stancer Payment", {"stancer_id": foreign["id"]}))
		amounts = sorted(p["amount"] for p in stancer_payments(self.settings, pr))
		self.assertEqual(amounts, [3100, 99999])  # the customer was charged for this request

	def test_another_site_makes_other_references_for_the_same_request(self):
		pr = payment_request_info.read(self.new_request().name)
		ours = checkout.attempt_unique_id(pr, 1)
		other_site = references.attempt_unique_id("site2.localhost\x1fanother-key", pr.name, pr.creation, 1)
		self.assertNotEqual(ours, other_site)
		self.assertEqual(ours, checkout.attempt_unique_id(payment_request_info.read(pr.name), 1))

	# -- 2. booking that fails never loses the payment ------------------------------------

	def invoiced_then_paid(self, rate):
		"""Order → Payment Request → link opened → the order is invoiced in full → the customer
		pays. Returns the request, the invoice and the return page's answer."""
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		order = make_sales_order("Stancer Buyer", rate)
		pr = make_payment_request(order, self.settings)
		frappe.db.commit()
		opened = self.open(pr)
		invoice = make_sales_invoice(order.name)
		invoice.insert(ignore_permissions=True)
		invoice.submit()
		frappe.db.commit()
		return pr, invoice, self.get(pay_on_page(opened.headers["Location"], SUCCESS))

	def test_order_invoiced_meanwhile_is_booked_against_its_invoice(self):
		pr, invoice, answer = self.invoiced_then_paid(45)
		self.assertEqual(answer.status_code, 302, page_state(answer))
		self.assertIn("/stancer_paid?", answer.headers["Location"])
		record = records_for(pr.name)[-1]
		self.assertEqual((record.outcome, record.needs_attention), ("Paid", 0), record.attention_reason)
		entry = frappe.get_doc("Payment Entry", record.payment_entry)
		self.assertEqual(entry.reference_no, record.stancer_id)
		self.assertEqual(
			[(r.reference_doctype, r.reference_name) for r in entry.references],
			[("Sales Invoice", invoice.name)],
		)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount"), 0)
		self.assertEqual(frappe.db.get_value("Payment Request", pr.name, "status"), "Paid")

	def test_entry_erpnext_refuses_is_flagged_with_the_error_and_the_customer_is_told_it_is_received(self):
		"""Only trying shows ERPNext refusing: the customer was answered before (their payment is
		accepted: Stancer took it); the record is flagged for the accountants, and every later
		visit says the team will contact them."""
		pr = self.new_request(rate=27)
		opened = self.open_link(pr)
		with closed_period("Payment Entry"):
			back = pay_on_page(opened.headers["Location"], SUCCESS)
			answers = [self.get(back) for _ in range(3)]
		self.assertEqual(answers[0].status_code, 302, page_state(answers[0]))
		self.assertIn("/stancer_paid?", answers[0].headers["Location"])
		for answer in answers[1:]:
			self.assertEqual(answer.status_code, 200)
			self.assertEqual(page_state(answer)[0], "received", page_state(answer))
			self.assertNotIn("Accounting Period", answer.text)  # ERPNext's words stay on the record
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Paid")
		self.assertTrue(record.needs_attention)
		self.assertIn("could not be booked", record.attention_reason)
		self.assertTrue(record.last_error)
		self.assertFalse(record.payment_entry)
		self.assertEqual(entries_for(pr.name), [])
		self.assertNotEqual(frappe.db.get_value("Payment Request", pr.name, "status"), "Paid")

	# -- 3. the return address finds the payment whatever became of its record ----------

	def test_record_rolled_back_after_stancer_made_the_payment(self):
		pr = self.new_request()
		opened = self.open(pr)
		lost = records_for(pr.name)[0]
		frappe.db.delete("Stancer Payment", {"name": lost.name})  # as if its transaction rolled back
		frappe.db.commit()
		again = self.open_link(pr)
		self.assertEqual(again.headers["Location"], opened.headers["Location"])  # the same payment
		answer = self.get(pay_on_page(again.headers["Location"], SUCCESS))  # Stancer's return address
		self.assertEqual(answer.status_code, 302, page_state(answer))
		record = self.assertPaidOnce(pr)
		self.assertEqual((record.name, record.stancer_id), (lost.name, lost.stancer_id))
		self.assertEqual(len(stancer_payments(self.settings, pr)), 1)

	def test_customer_returns_to_a_record_that_no_longer_exists(self):
		pr = self.new_request()
		opened = self.open(pr)
		lost = records_for(pr.name)[0]
		frappe.db.delete("Stancer Payment", {"name": lost.name})
		frappe.db.commit()
		answer = self.get(pay_on_page(opened.headers["Location"], SUCCESS))
		self.assertEqual(answer.status_code, 302, page_state(answer))
		self.assertEqual(self.assertPaidOnce(pr).stancer_id, lost.stancer_id)

	def test_return_address_of_another_request_or_a_made_up_one_is_a_404(self):
		pr = self.new_request()
		other = self.new_request()
		unique_id = checkout.attempt_unique_id(payment_request_info.read(pr.name), 1)
		for ref, request in ((unique_id, other.name), ("made-up-ref", pr.name), (unique_id, "")):
			answer = requests.get(
				f"{web_server()}/stancer_return", params={"ref": ref, "pr": request}, timeout=30
			)
			self.assertEqual(answer.status_code, 404, (ref, request))

	# -- 4. refunded, disputed or unknown when first seen: flagged --------------------------

	def _paid_not_returned(self, card=SUCCESS):
		pr = self.new_request()
		opened = self.open(pr)
		back = pay_on_page(opened.headers["Location"], card)
		return pr, records_for(pr.name)[-1], back

	def assertFlaggedNotBooked(self, pr, back, words, told_paid_first=False):
		"""With `told_paid_first`, what only the booking reads (the refunds) flags it: the guest
		was told "paid" (they did pay), and is told "received" from then on."""
		answer = self.get(back)
		if told_paid_first:
			self.assertEqual(answer.status_code, 302, page_state(answer))
			self.assertIn("/stancer_paid?", answer.headers["Location"])
			answer = self.get(back)
		self.assertEqual(answer.status_code, 200, page_state(answer))
		self.assertEqual(page_state(answer)[0], "received")
		record = records_for(pr.name)[-1]
		self.assertTrue(record.needs_attention, record)
		self.assertIn(words, record.attention_reason)
		self.assertFalse(record.payment_entry)
		self.assertEqual(entries_for(pr.name), [])
		return record

	def test_refunded_before_first_seen(self):
		pr, record, back = self._paid_not_returned()
		with self.settings.get_client() as client:
			client.refunds.create(payment=record.stancer_id)
		record = self.assertFlaggedNotBooked(pr, back, "refunded", told_paid_first=True)
		self.assertEqual(record.outcome, "Refunded")

	def test_partly_refunded_before_first_seen(self):
		pr, record, back = self._paid_not_returned()
		with self.settings.get_client() as client:
			client.refunds.create(payment=record.stancer_id, amount=500)
		self.assertFlaggedNotBooked(pr, back, "partly refunded", told_paid_first=True)

	def test_disputed_before_first_seen(self):
		pr, _record, back = self._paid_not_returned(card=DISPUTED_LATER)
		sandbox_admin("clock", advance=3600)
		self.assertEqual(self.assertFlaggedNotBooked(pr, back, "disputed").outcome, "Disputed")

	def test_unknown_status_is_flagged_not_left_pending(self):
		pr, record, back = self._paid_not_returned()
		sandbox_admin("payment_status", payment=record.stancer_id, status="under_review")
		self.assertFlaggedNotBooked(pr, back, "under_review")

	# -- 5. multi-currency rounding never charges less than what is due --------------------

	def _foreign_request(self, currency, rate, conversion_rate):
		make_exchange_rate(currency, "EUR", conversion_rate)
		customer = make_customer(f"Stancer {currency} Buyer on EUR", email=f"{currency.lower()}@example.org")
		settings = make_settings(f"E2E {currency} on EUR", currency=currency)
		frappe.db.commit()
		pr = self.new_request(
			rate=rate,
			customer=customer,
			settings=settings,
			currency=currency,
			conversion_rate=conversion_rate,
		)
		self.assertEqual(pr.party_account_currency, "EUR")
		return pr

	def test_usd_request_on_a_eur_party_account_is_charged_in_full(self):
		pr = self._foreign_request("USD", 30, 0.9090909)
		answer = self.pay(pr)
		self.assertEqual(answer.status_code, 302, page_state(answer))
		record = self.assertPaidOnce(pr)
		self.assertEqual((record.currency, record.amount_minor), ("USD", 3000))
		self.assertEqual(frappe.db.get_value("Payment Entry", record.payment_entry, "received_amount"), 30)

	def test_jpy_request_on_a_eur_party_account_is_charged_in_full(self):
		pr = self._foreign_request("JPY", 4500, 0.0061234)
		self.pay(pr)
		record = self.assertPaidOnce(pr)
		self.assertEqual((record.currency, record.amount_minor), ("JPY", 4500))
		self.assertEqual(frappe.db.get_value("Payment Entry", record.payment_entry, "received_amount"), 4500)

	def test_partly_paid_request_is_charged_what_is_left(self):
		pr = self.new_request(rate=100)
		book_transfer(pr, 40)
		self.assertEqual(frappe.db.get_value("Payment Request", pr.name, "status"), "Partially Paid")
		self.pay(pr)
		record = next(r for r in records_for(pr.name) if r.outcome == "Paid")
		self.assertEqual(record.amount_minor, 6000)
		self.assertEqual(frappe.db.get_value("Payment Request", pr.name, "status"), "Paid")
		self.assertEqual(len(entries_for(pr.name)), 2)

	# -- 6. a guest never captures what the merchant captures by hand -------------------------

	def test_changing_the_capture_setting_never_captures_old_authorizations(self):
		settings = make_settings("E2E Hand Capture", capture_mode="Authorize now, capture later")
		frappe.db.commit()
		pr = self.new_request(settings=settings)
		opened = self.open_link(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		settings.capture_mode = "Immediately"
		settings.save()
		frappe.db.commit()
		for _ in range(2):
			self.get(back)
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Authorized")
		with settings.get_client() as client:
			self.assertEqual(client.payments.get(record.stancer_id)["status"], "authorized")
		self.assertEqual(entries_for(pr.name), [])

	# -- 7. locks ---------------------------------------------------------------------------------

	def test_two_clicks_after_a_refused_attempt_make_one_new_payment(self):
		pr = self.new_request()
		self.pay(pr, card=REFUSED)
		self.click_at_once(pr, 2)
		self.assertEqual(len(stancer_payments(self.settings, pr)), 2)  # the refused one and one new
		self.assertEqual(len(records_for(pr.name)), 2)

	def test_two_paid_attempts_of_one_request_settled_at_once_book_once(self):
		pr = self.new_request()
		values = payment_request_info.read(pr.name)
		backs = []
		with self.settings.get_client() as client:
			for number in (1, 2):
				unique_id = checkout.attempt_unique_id(values, number)
				payment = client.payments.create(
					amount=2599,
					currency="eur",
					order_id=stable_reference(pr.name),
					unique_id=unique_id,
					return_url=frappe.utils.get_url(f"/stancer_return?ref={unique_id}&pr={pr.name}"),
				)
				backs.append(pay_on_page(client.payment_page_url(payment["id"]), SUCCESS))
		# Neither attempt has a record: both are found again from Stancer, at the same time.
		with ThreadPoolExecutor(max_workers=2) as pool:
			answers = list(
				pool.map(lambda url: requests.get(on_server(url), allow_redirects=False, timeout=120), backs)
			)
		for back in backs:
			wait_for_recording(back)
		self.assertEqual(sorted(a.status_code for a in answers), [200, 302], [page_state(a) for a in answers])
		records = records_for(pr.name)
		self.assertEqual(len(records), 2)
		self.assertEqual(len(entries_for(pr.name)), 1)
		flagged = [r for r in records if r.needs_attention]
		self.assertEqual(len(flagged), 1)
		self.assertIn("already paid by other means", flagged[0].attention_reason)

	def test_stancer_call_under_lock_ends_within_its_deadline(self):
		pr = self.new_request()
		fault = {"latency_ms": 25000, "account": self.settings.flags.sandbox_account}
		requests.post(f"{sandbox().url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()
		try:
			started = frappe.utils.now_datetime()
			answer = self.open_link(pr)
			took = (frappe.utils.now_datetime() - started).total_seconds()
		finally:
			requests.delete(f"{sandbox().url}/_sandbox/faults", timeout=10)
		self.assertEqual(page_state(answer)[0], "unavailable")
		self.assertLess(took, 32)  # the client's budget (30 s), under MariaDB's 50 s lock wait

	# -- 8. a change only when something changed ------------------------------------------------

	def test_return_page_hit_twenty_times_keeps_few_versions(self):
		pr = self.new_request()
		opened = self.open_link(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		for _ in range(20):
			self.assertEqual(self.get(back).status_code, 302)
		record = self.assertPaidOnce(pr)
		versions = frappe.db.count("Version", {"ref_doctype": "Stancer Payment", "docname": record.name})
		self.assertLessEqual(versions, 1)

	# -- 9. rate limits and attempts ---------------------------------------------------------------

	def test_forged_forwarded_for_does_not_escape_the_limit(self):
		update_site_config("stancer_rate_limit", 3)
		update_site_config("stancer_trusted_proxies", ["192.0.2.0/24"])  # not loopback: a direct visitor
		update_site_config("stancer_trust_loopback", 0)
		reset_rate_limits()
		try:
			codes = [
				requests.get(
					f"{web_server()}/stancer_return?ref=scan-{n}",
					headers={"X-Forwarded-For": f"203.0.113.{n}"},
					timeout=30,
				).status_code
				for n in range(5)
			]
		finally:
			update_site_config("stancer_rate_limit", 100000)
			update_site_config("stancer_trusted_proxies", None)
			update_site_config("stancer_trust_loopback", None)
			reset_rate_limits()
		self.assertEqual(codes, [404, 404, 404, 429, 429])

	def test_customers_behind_one_proxy_keep_their_return_page(self):
		pr = self.new_request()
		opened = self.open_link(pr)
		back = on_server(pay_on_page(opened.headers["Location"], SUCCESS))
		update_site_config("stancer_rate_limit", 3)
		reset_rate_limits()
		try:
			# A script behind the same proxy (loopback here) scans return addresses.
			for n in range(100):
				requests.get(
					f"{web_server()}/stancer_return?ref=other-{n}",
					headers={"X-Forwarded-For": "198.51.100.7"},
					timeout=30,
				)
			answer = requests.get(
				back, headers={"X-Forwarded-For": "198.51.100.7"}, allow_redirects=False, timeout=60
			)
		finally:
			update_site_config("stancer_rate_limit", 100000)
			reset_rate_limits()
		self.assertEqual(answer.status_code, 302, page_state(answer))

	def test_a_payment_request_takes_a_bounded_number_of_attempts(self):
		update_site_config("stancer_max_attempts", 2)
		try:
			pr = self.new_request()
			self.pay(pr, card=REFUSED)
			self.pay(pr, card=REFUSED)
			answer = self.open_link(pr)
		finally:
			update_site_config("stancer_max_attempts", None)
		self.assertEqual(page_state(answer)[0], "too_many", (answer.status_code, answer.headers))
		frappe.db.commit()
		self.assertEqual(len(stancer_payments(self.settings, pr)), 2)

	# -- 10. live keys go to Stancer only -------------------------------------------------------

	def test_live_keys_with_another_host_are_refused_on_save(self):
		live = sandbox().create_account(live=True)
		settings = make_settings("Live Elsewhere", keys=live, live=True)
		settings.api_base_url = "https://api.example.org"
		with self.assertRaises(frappe.ValidationError) as raised:
			settings.save()
		self.assertIn("only ever sent to Stancer", str(raised.exception))
		self.assertNotIn(live["secret_key"], str(raised.exception))

	def test_test_connection_on_an_edited_form_never_sends_the_live_key_elsewhere(self):
		live = sandbox().create_account(live=True)
		settings = make_settings("Live Edited", keys=live, live=True)
		frappe.db.commit()
		before = requests.get(f"{sandbox().url}/_sandbox/requests", timeout=10).json()["requests"]
		edited = frappe.get_doc("Stancer Settings", settings.name)
		edited.api_base_url = sandbox().url  # typed in the form, not saved
		result = edited.test_connection()
		after = requests.get(f"{sandbox().url}/_sandbox/requests", timeout=10).json()["requests"]
		self.assertFalse(result["ok"])
		self.assertIn("only ever sent to Stancer", result["message"])
		self.assertEqual(len(after), len(before))

	# -- 11. the company's currency is the default --------------------------------------------

	def test_new_settings_take_the_company_currency_not_the_site_default(self):
		self.assertNotEqual(frappe.db.get_default("currency"), "EUR", "the site must not default to EUR")
		keys = sandbox().create_account()
		name = f"Currency {frappe.generate_hash(length=5)}"
		doc = frappe.get_doc(
			{
				"doctype": "Stancer Settings",
				"gateway_name": name,
				"company": COMPANY,
				"public_key": keys["public_key"],
				"secret_key": keys["secret_key"],
				"api_base_url": sandbox().url,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(doc.currency, "EUR")
		self.assertTrue(
			frappe.db.get_value("Payment Gateway Account", doc.payment_gateway_account, "currency") == "EUR"
		)

	# -- 12. uninstall -------------------------------------------------------------------------

	def test_uninstall_refuses_while_paid_payments_exist(self):
		self.pay(self.new_request())
		with self.assertRaises(frappe.ValidationError) as raised:
			install.before_uninstall()
		self.assertIn("Stancer Payment", str(raised.exception))
		self.assertIn("paid", str(raised.exception))
		self.assertTrue(frappe.db.exists("Payment Gateway", self.settings.payment_gateway))

	# -- 13. key rotation -------------------------------------------------------------------------

	def test_new_keys_leave_old_pending_payments_explained(self):
		settings = make_settings("E2E Rotation")
		frappe.db.commit()
		pr = self.new_request(settings=settings)
		opened = self.open_link(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		frappe.db.commit()
		errors_before = frappe.db.count("Error Log")
		make_settings("E2E Rotation")  # another Stancer account's keys
		frappe.db.commit()
		record = records_for(pr.name)[-1]
		self.assertTrue(record.needs_attention)
		self.assertIn("another account", record.attention_reason)
		answer = self.get(back)
		self.assertEqual(answer.status_code, 200)
		self.assertEqual(page_state(answer)[0], "received")
		self.assertEqual(frappe.db.count("Error Log"), errors_before)
		result = settlement.sync_record(record.name)
		self.assertTrue(result.needs_attention)

	# -- amounts that do not match are never booked -------------------------------------------

	def test_a_payment_for_an_amount_no_longer_due_is_flagged(self):
		pr = self.new_request(rate=25.99)
		opened = self.open(pr)
		book_transfer(pr, 10)
		answer = self.get(pay_on_page(opened.headers["Location"], SUCCESS))  # 25.99 at Stancer
		self.assertEqual(page_state(answer)[0], "received")
		record = records_for(pr.name)[-1]
		self.assertTrue(record.needs_attention)
		self.assertIn("15.99", record.attention_reason)
		self.assertEqual(len(entries_for(pr.name)), 1)  # the transfer only

	def test_an_answer_for_another_amount_or_payment_is_not_taken(self):
		pr = self.new_request()
		opened = self.open(pr)
		pay_on_page(opened.headers["Location"], SUCCESS)
		record = records_for(pr.name)[-1]
		with self.settings.get_client() as client:
			paid = client.payments.get(record.stancer_id)
		for changed, words in (
			(dict(paid, amount=1), "this attempt asked for"),
			(dict(paid, currency="usd"), "this attempt asked for"),
			(dict(paid, id="paym_" + "o" * 24), "for the record of payment"),
		):
			result = settlement.settle(record.name, changed)
			self.assertFalse(result.payment_entry)
			self.assertTrue(result.needs_attention)
			self.assertIn(words, frappe.db.get_value("Stancer Payment", record.name, "attention_reason"))
			frappe.db.set_value(
				"Stancer Payment", record.name, {"needs_attention": 0, "attention_reason": ""}
			)
			frappe.db.commit()
		self.assertEqual(entries_for(pr.name), [])

	# -- told "paid" before the booking ----------------------------------------------------

	def reconcile_later(self, record_name):
		"""The reconciliation's run once the record is older than its minimum age."""
		frappe.db.set_value(
			"Stancer Payment",
			record_name,
			"creation",
			add_to_date(now_datetime(), minutes=-6),
			update_modified=False,
		)
		frappe.db.commit()
		reconciliation.reconcile(frappe.get_doc("Stancer Settings", self.settings.name))
		frappe.db.commit()

	def test_a_worker_stopped_after_answering_loses_nothing_and_books_once(self):
		"""A guest is told "paid" and the worker dies before booking: the record is still open,
		the reconciliation books it once, and the booking run late after all books nothing."""
		pr = self.new_request(rate=36)
		opened = self.open(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		answer, later = answered_as_a_guest(back)
		self.assertEqual(answer.state, "paid")
		self.assertIn("/stancer_paid?", answer.location)
		frappe.db.commit()
		record = records_for(pr.name)[-1]
		self.assertEqual((record.outcome, record.payment_entry, record.needs_attention), ("Pending", None, 0))
		self.reconcile_later(record.name)
		self.assertPaidOnce(pr)
		later.run()
		frappe.db.commit()
		self.assertPaidOnce(pr)
		self.assertEqual(len(stancer_payments(self.settings, pr)), 1)

	def test_the_link_opened_after_a_worker_stopped_books_it_and_charges_nothing_again(self):
		"""Told "paid", the booking never ran: the link (a reminder, the back button) finds the
		attempt paid at Stancer and books it, instead of sending the customer to pay again."""
		pr = self.new_request(rate=35)
		opened = self.open(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		answer, _never_run = answered_as_a_guest(back)
		self.assertEqual(answer.state, "paid")
		again = self.open(pr)
		self.assertEqual(again.status_code, 302, page_state(again))
		self.assertIn("/stancer_paid?", again.headers["Location"])
		self.assertPaidOnce(pr)
		self.assertEqual(len(stancer_payments(self.settings, pr)), 1)

	def test_a_booking_after_the_answer_that_fails_is_logged_without_secrets_and_left_open(self):
		"""Stancer unreachable for the booking's read: nothing escapes into Frappe's end of the
		request, the Error Log names no key, the claim is let go, and the next visit books it."""
		pr = self.new_request(rate=38)
		opened = self.open(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		answer, later = answered_as_a_guest(back)
		self.assertEqual(answer.state, "paid")
		logged_before = frappe.db.count("Error Log", {"method": "Stancer return"})
		sandbox_admin("faults", account=self.settings.flags.sandbox_account, fail_next=50, only_method="GET")
		try:
			later.run()
		finally:
			requests.delete(f"{sandbox().url}/_sandbox/faults", timeout=10)
		frappe.db.commit()
		logs = frappe.get_all(
			"Error Log", filters={"method": "Stancer return"}, fields=["error"], order_by="creation desc"
		)
		self.assertEqual(len(logs), logged_before + 1)
		self.assertIn("booking after the answer", logs[0].error)
		self.assertNotIn(self.settings.get_password("secret_key"), logs[0].error)
		self.assertEqual(records_for(pr.name)[-1].outcome, "Pending")
		self.assertIsNone(frappe.cache.get(after_answer.claim_key(pr.name)))
		self.assertEqual(self.get(back).status_code, 302)
		self.assertPaidOnce(pr)

	def test_a_recovered_attempt_whose_worker_stopped_is_booked_once(self):
		"""Its record lost, the attempt is made again from Stancer when the guest comes back,
		left open (not paid and unbooked) until the booking: the worker dying after answering
		leaves it to the reconciliation, and the link opened meanwhile charges nothing again."""
		pr = self.new_request(rate=41)
		opened = self.open(pr)
		lost = records_for(pr.name)[0]
		frappe.db.delete("Stancer Payment", {"name": lost.name})  # as if its transaction rolled back
		frappe.db.commit()
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		answer, _never_run = answered_as_a_guest(back)
		self.assertEqual(answer.state, "paid")
		frappe.db.commit()
		record = records_for(pr.name)[-1]
		self.assertEqual((record.name, record.outcome, record.payment_entry), (lost.name, "Pending", None))
		self.reconcile_later(record.name)
		self.assertPaidOnce(pr)
		again = self.open(pr)
		self.assertIn("/stancer_paid?", again.headers["Location"])
		self.assertEqual(len(stancer_payments(self.settings, pr)), 1)

	def test_upgrade_books_or_flags_paid_records_an_earlier_version_left_unbooked(self):
		"""An earlier version committed an adopted or recovered attempt's outcome before booking
		it: one left so (its booking stopped) is booked at migrate, or flagged when it cannot be
		(keys changed since), never left paid and unseen."""
		from stancer_integration.patches.v0_1 import book_paid_unbooked_records

		left = []
		for rate in (43, 44):
			pr = self.new_request(rate=rate)
			opened = self.open(pr)
			pay_on_page(opened.headers["Location"], SUCCESS)
			record = records_for(pr.name)[-1]
			frappe.db.set_value("Stancer Payment", record.name, "outcome", "Paid", update_modified=False)
			left.append((pr, record))
		unreadable = left[1][1].name
		frappe.db.set_value("Stancer Payment", unreadable, "public_key", "pk_test_an_old_account")
		frappe.db.commit()
		book_paid_unbooked_records.execute()
		frappe.db.commit()
		self.assertPaidOnce(left[0][0])
		flagged = frappe.get_doc("Stancer Payment", unreadable)
		self.assertTrue(flagged.needs_attention)
		self.assertIn("earlier version", flagged.attention_reason)
		self.assertEqual(entries_for(left[1][0].name), [])
		self.assertFalse(
			frappe.db.exists(
				"Stancer Payment",
				{"outcome": "Paid", "payment_entry": ("is", "not set"), "needs_attention": 0},
			)
		)

	def test_a_guest_is_answered_once_booked_where_the_reconciliation_does_not_run(self):
		"""Nothing would book it should the booking after the answer stop: it comes first."""
		settings = make_settings("E2E Never Reconciled", reconcile_every=0)
		frappe.db.commit()
		pr = self.new_request(rate=39, settings=settings)
		opened = self.open(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		answer, later = answered_as_a_guest(back)
		self.assertEqual(answer.state, "paid")
		frappe.db.commit()
		self.assertPaidOnce(pr)
		later.run()  # nothing was left for after the answer
		frappe.db.commit()
		self.assertPaidOnce(pr)

	def test_a_logged_in_payer_is_answered_once_booked(self):
		"""A shop sends a logged-in payer on to its order page, which must show it paid."""
		pr = self.new_request(rate=37)
		opened = self.open(pr)
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		user = make_user("stancer.logged.payer@example.org", ["Customer"])
		frappe.get_doc("User", user).update({"new_password": LOGGED_IN_PASSWORD}).save(
			ignore_permissions=True
		)
		frappe.db.commit()
		browser = requests.Session()
		logged_in = browser.post(
			on_server("/api/method/login"), data={"usr": user, "pwd": LOGGED_IN_PASSWORD}, timeout=60
		)
		self.assertEqual(logged_in.status_code, 200, logged_in.text[:300])
		answer = browser.get(on_server(back), allow_redirects=False, timeout=120)
		self.assertEqual(answer.status_code, 302, page_state(answer))
		frappe.db.commit()  # no wait: booked before the answer
		self.assertPaidOnce(pr)

	# -- found by review: a hook's after-commit work, the refunds list, customers, webshop ------

	def test_a_refused_booking_leaves_nothing_queued_for_after_the_commit(self):
		"""The entry is submitted, then the invoice a Shopping Cart order needs is refused: the
		whole booking is undone, and the entry's webhook never goes out."""
		order = make_sales_order("Stancer Buyer", 33)
		frappe.db.set_value("Sales Order", order.name, "order_type", "Shopping Cart")
		pr = make_payment_request(order, self.settings)
		webhook = frappe.get_doc(
			{
				"doctype": "Webhook",
				"__newname": f"Stancer test {frappe.generate_hash(length=6)}",
				"webhook_doctype": "Payment Entry",
				"webhook_docevent": "on_submit",
				"request_url": "http://127.0.0.1:9/stancer-test-webhook",
				"request_method": "POST",
				"request_structure": "Form URL-Encoded",
				"webhook_data": [{"fieldname": "name", "key": "name"}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		try:
			with closed_period("Sales Invoice"):
				opened = self.open(pr)
				pay_on_page(opened.headers["Location"], SUCCESS)
				record = records_for(pr.name)[-1]
				result = settlement.sync_record(record.name)
				queued = list(getattr(frappe.local, "_webhook_queue", None) or [])
		finally:
			frappe.delete_doc("Webhook", webhook.name, ignore_permissions=True, force=True)
			frappe.cache.delete_value("webhooks")  # Frappe 15 keeps a deleted webhook cached
			frappe.db.commit()
		self.assertTrue(result.needs_attention)
		self.assertFalse(result.payment_entry)
		self.assertEqual(queued, [])
		self.assertFalse(frappe.db.exists("Payment Entry", {"reference_no": record.stancer_id}))
		self.assertIn(
			"could not be booked", frappe.db.get_value("Stancer Payment", record.name, "attention_reason")
		)

	def test_another_sites_stancer_customer_is_never_reused(self):
		customer = make_customer("Stancer Namesake", email="namesake@example.org")
		with self.settings.get_client() as client:
			# Another site's customer of the same name, under the name as external id.
			stranger = client.customers.create(
				name="Someone Else", email="someone@othersite.example", external_id=customer
			)
		pr = self.new_request(customer=customer)
		self.pay(pr)
		used = self.assertPaidOnce(pr).stancer_customer_id
		self.assertNotEqual(used, stranger["id"])
		with self.settings.get_client() as client:
			self.assertEqual(client.customers.get(used)["external_id"], customer_external_id(customer))
		self.assertEqual(customers.get_reference(customer, self.settings).stancer_customer_id, used)

	def test_invoiced_order_with_webshop_enabled_is_booked_against_the_invoice(self):
		frappe.db.set_single_value("Webshop Settings", "enabled", 1)
		frappe.db.commit()
		try:
			pr, invoice, answer = self.invoiced_then_paid(52)
		finally:
			frappe.db.set_single_value("Webshop Settings", "enabled", 0)
			frappe.db.commit()
		self.assertEqual(answer.status_code, 302, page_state(answer))
		record = records_for(pr.name)[-1]
		self.assertFalse(record.needs_attention, record.attention_reason)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount"), 0)
