# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""Subscriptions: the card saved by paying a subscription's link, renewals charged to it by a
background job (once, whatever happens to the job), refusals, a replaced or forgotten card, and
another gateway's subscription left alone. Against the sandbox, through the real web server; one
test runs the real background worker and one kills it half way through a renewal."""

import os
import signal
import subprocess
import sys
import time

import frappe
import psutil
import requests
from frappe.installer import update_site_config
from frappe.utils import add_months, get_first_day, get_last_day, nowdate
from frappe.utils.background_jobs import get_job

from stancer_integration import customers, link_sharing, renewals, saved_cards
from stancer_integration.site_references import renewal_unique_id
from stancer_integration.stancer_integration.doctype.stancer_payment.test_link_sharing import (
	make_outgoing_email_account,
)
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	CheckoutCase,
	entries_for,
	records_for,
	reset_rate_limits,
)
from stancer_integration.stancer_integration.doctype.stancer_payment.test_trust import closed_period
from stancer_integration.tests.helpers import (
	COMPANY,
	make_company,
	make_customer,
	make_item,
	make_settings,
	make_user,
	sandbox,
	scheduler_on_for,
	web_server,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
CLERK = "renewal.clerk@example.org"


def card_behaviour(card_id, response):
	answer = requests.post(
		f"{sandbox().url}/_sandbox/card_behaviour", json={"card": card_id, "response": response}, timeout=10
	)
	answer.raise_for_status()


def kill(worker):
	"""SIGKILL a worker and the work horse running its job (rq puts the horse in a session of
	its own, so killing the worker's group alone leaves the job running)."""
	horses = psutil.Process(worker.pid).children(recursive=True)
	os.killpg(worker.pid, signal.SIGKILL)
	for horse in horses:
		try:
			horse.kill()
		except psutil.NoSuchProcess:
			pass
	worker.wait(30)


def link_emailed(pr):
	return frappe.db.exists(
		"Communication",
		{
			"reference_doctype": pr.reference_doctype,
			"reference_name": pr.reference_name,
			"subject": pr.subject,
		},
	)


class TestRenewals(CheckoutCase):
	@classmethod
	def setUpClass(cls):
		# Not CheckoutCase's set-up: it re-keys the "E2E" settings other modules use.
		super(CheckoutCase, cls).setUpClass()
		scheduler_on_for(cls)
		make_company()
		cls.settings = make_settings("Renewal")
		cls.account = cls.settings.payment_gateway_account
		update_site_config("stancer_rate_limit", 100000)
		reset_rate_limits()
		make_user(CLERK, ["Accounts User"])
		make_outgoing_email_account()
		frappe.db.commit()
		web_server()
		# The e-mail carries the invoice's PDF, whose styles wkhtmltopdf fetches from the site's
		# address: the test web server's while the link is sent (and only then: the address is
		# part of this site's Stancer references, which the worker and the server make too).
		cls.send_link = link_sharing.send_link

		def send_link(payment_request):
			host_name = frappe.local.conf.host_name
			frappe.local.conf.host_name = web_server()
			try:
				return cls.send_link(payment_request)
			finally:
				frappe.local.conf.host_name = host_name

		link_sharing.send_link = send_link

	@classmethod
	def tearDownClass(cls):
		link_sharing.send_link = cls.send_link
		super().tearDownClass()

	# -- set-up ------------------------------------------------------------------------------

	def customer(self, name):
		email = name.lower().replace(" ", ".") + "@example.org"
		return make_customer(name, email=email)

	def plan(self, account, name="Renewal Monthly", rate=19.9):
		if not frappe.db.exists("Subscription Plan", name):
			frappe.get_doc(
				{
					"doctype": "Subscription Plan",
					"plan_name": name,
					"item": make_item(),
					"price_determination": "Fixed Rate",
					"cost": rate,
					"currency": "EUR",
					"billing_interval": "Month",
					"billing_interval_count": 1,
					"payment_gateway": account,
				}
			).insert(ignore_permissions=True)
		frappe.db.set_value("Subscription Plan", name, "payment_gateway", account)
		return name

	def subscription(self, customer, plan=None):
		sub = frappe.get_doc(
			{
				"doctype": "Subscription",
				"party_type": "Customer",
				"party": customer,
				"company": COMPANY,
				"start_date": get_first_day(add_months(nowdate(), -6)),
				"plans": [{"plan": plan or self.plan(self.account), "qty": 1}],
				"submit_invoice": 1,
				"generate_new_invoices_past_due_date": 1,
			}
		)
		sub.insert(ignore_permissions=True)
		sub.period = 0
		return sub

	def invoice(self, sub, keep_job=False):
		"""The subscription's next month's invoice, submitted (and committed). Its submit queued
		the renewal job; the tests run it themselves unless keep_job (left for a worker)."""
		start = get_first_day(add_months(sub.start_date, sub.period))
		sub.period += 1
		invoice = sub.generate_invoice(from_date=start, to_date=get_last_day(start), posting_date=start)
		self.assertEqual(invoice.docstatus, 1)
		self.assertEqual(invoice.subscription, sub.name)
		frappe.db.commit()
		job = get_job(f"stancer-renewal::{invoice.name}")
		if job and not keep_job:
			job.delete()
		return invoice

	def request_of(self, invoice):
		name = frappe.db.get_value(
			"Payment Request",
			{"reference_doctype": "Sales Invoice", "reference_name": invoice.name, "docstatus": 1},
		)
		return frappe.get_doc("Payment Request", name) if name else None

	def renew(self, invoice):
		renewals.charge_invoice(invoice.name)
		frappe.db.commit()
		return self.request_of(invoice)

	def default(self, customer):
		row = customers.get_reference(customer, self.settings)
		return row.payment_method_id if row else None

	def card_of(self, record):
		with self.settings.get_client() as client:
			return client.fetch(record.stancer_id, with_card=True)["card"]["id"]

	def charges_of(self, invoice):
		"""What Stancer holds under the invoice's renewal reference."""
		with self.settings.get_client() as client:
			return client.payments.list(unique_id=renewal_unique_id("Sales Invoice", invoice.name))

	def subscribed(self, customer, card=VISA):
		"""A subscription whose first invoice the customer paid through its link: card saved."""
		sub = self.subscription(customer)
		first = self.invoice(sub)
		pr = self.renew(first)  # no card yet: the muted request is made and its link e-mailed
		self.assertTrue(link_emailed(pr))
		self.assertFalse(records_for(pr.name))
		self.assertEqual(pr.status, "Requested")
		self.pay(pr, card)
		record = self.assertPaidOnce(pr)
		self.assertEqual(self.default(customer), self.card_of(record))
		return sub, record

	# -- the tests -----------------------------------------------------------------------------

	def test_first_invoice_paid_by_link_second_charged_once(self):
		customer = self.customer("Renewal Buyer One")
		sub, first = self.subscribed(customer)
		with self.settings.get_client() as client:
			description = client.payments.get(first.stancer_id)["description"]
		self.assertTrue(description.startswith("Card kept for the subscription"), description)
		row = customers.get_reference(customer, self.settings)
		self.assertTrue(row.stancer_customer_id.startswith("cust_"))
		self.assertTrue(row.payment_method_id.startswith("card_"))

		second = self.invoice(sub)
		pr = self.renew(second)
		record = self.assertPaidOnce(pr)
		self.assertEqual(record.name, renewal_unique_id("Sales Invoice", second.name))
		self.assertEqual(self.card_of(record), row.payment_method_id)
		self.assertEqual(frappe.db.get_value("Sales Invoice", second.name, "outstanding_amount"), 0)
		self.assertFalse(link_emailed(pr))
		# The job again (a retry): nothing more charged, nothing more booked.
		self.renew(second)
		renewals.charge_request(pr.name, renewal_unique_id("Sales Invoice", second.name))
		self.assertPaidOnce(pr)
		self.assertEqual(len(self.charges_of(second)), 1)
		self.assertEqual(len(records_for(pr.name)), 1)

	def test_refused_renewal_emails_link_and_another_card_replaces_it(self):
		customer = self.customer("Renewal Buyer Two")
		sub, _first = self.subscribed(customer)
		visa = self.default(customer)
		card_behaviour(visa, "51")  # no funds: refused, but the card may pass next time
		second = self.invoice(sub)
		pr = self.renew(second)
		self.assertEqual(pr.status, "Requested")
		self.assertFalse(entries_for(pr.name))
		[record] = records_for(pr.name)
		self.assertEqual(
			(record.outcome, record.stancer_status, record.response_code), ("Failed", "refused", "51")
		)
		self.assertTrue(link_emailed(pr))
		self.assertEqual(self.default(customer), visa)
		self.renew(second)  # again: no second charge, no second e-mail
		self.assertEqual(len(self.charges_of(second)), 1)
		self.assertEqual(
			frappe.db.count("Communication", {"reference_name": second.name, "subject": pr.subject}),
			1,
		)
		# The customer pays that link with another card: it becomes the default.
		self.pay(pr, MASTERCARD)
		paid = self.assertPaidOnce(pr)
		mastercard = self.card_of(paid)
		self.assertNotEqual(mastercard, visa)
		self.assertEqual(self.default(customer), mastercard)
		# Reported lost: refused, and no default any more.
		card_behaviour(mastercard, "41")
		third = self.invoice(sub)
		pr3 = self.renew(third)
		self.assertEqual(records_for(pr3.name)[0].response_code, "41")
		self.assertTrue(link_emailed(pr3))
		self.assertIsNone(self.default(customer))
		# Next renewal: nothing to charge, the link is e-mailed.
		fourth = self.invoice(sub)
		pr4 = self.renew(fourth)
		self.assertEqual(pr4.status, "Requested")
		self.assertFalse(records_for(pr4.name))
		self.assertFalse(self.charges_of(fourth))
		self.assertTrue(link_emailed(pr4))

	def test_one_off_payment_saves_no_card(self):
		customer = self.customer("Renewal Buyer Three")
		pr = self.new_request(customer=customer, settings=self.settings)
		self.assertFalse(saved_cards.is_subscription_request(pr.name))
		self.pay(pr)
		record = self.assertPaidOnce(pr)
		self.assertTrue(record.stancer_customer_id)
		self.assertIsNone(self.default(customer))
		with self.settings.get_client() as client:
			description = client.payments.get(record.stancer_id)["description"]
		self.assertNotIn("subscription", description)
		# The same customer's subscription link does save it.
		self.subscribed(customer)

	def test_forget_then_next_renewal_emails_link(self):
		customer = self.customer("Renewal Buyer Four")
		sub, _first = self.subscribed(customer)
		[shown] = saved_cards.cards_of(customer)
		self.assertEqual(shown["label"], "VISA •••• 4242")
		self.assertEqual(shown["expiry"], "12/2034")
		self.assertTrue(shown["can_forget"])
		self.assertNotIn("card_", str(shown))  # never the card id on the form
		frappe.set_user(CLERK)
		try:
			self.assertFalse(saved_cards.cards_of(customer)[0]["can_forget"])
			self.assertRaises(frappe.PermissionError, saved_cards.forget, customer, shown["row"])
		finally:
			frappe.set_user("Administrator")
		self.assertTrue(self.default(customer))
		saved_cards.forget(customer, shown["row"])
		frappe.db.commit()
		self.assertIsNone(self.default(customer))
		self.assertEqual(saved_cards.cards_of(customer), [])
		second = self.invoice(sub)
		pr = self.renew(second)
		self.assertEqual(pr.status, "Requested")
		self.assertFalse(self.charges_of(second))
		self.assertTrue(link_emailed(pr))

	def other_gateway_account(self):
		gateway = "Renewal Other Gateway"
		if not frappe.db.exists("Payment Gateway", gateway):
			frappe.get_doc({"doctype": "Payment Gateway", "gateway": gateway}).insert(ignore_permissions=True)
		payment_account = frappe.db.get_value("Payment Gateway Account", self.account, "payment_account")
		other = frappe.db.get_value("Payment Gateway Account", {"payment_gateway": gateway})
		if not other:
			other = (
				frappe.get_doc(
					{
						"doctype": "Payment Gateway Account",
						"payment_gateway": gateway,
						"payment_account": payment_account,
						"currency": "EUR",
					}
				)
				.insert(ignore_permissions=True)
				.name
			)
		return other

	def test_another_gateways_subscription_is_untouched(self):
		other = self.other_gateway_account()
		customer = self.customer("Renewal Buyer Five")
		# A saved Stancer card for this customer, to show it is not used for the other gateway.
		self.subscribed(customer)
		sub = self.subscription(customer, plan=self.plan(other, name="Renewal Other Monthly"))
		invoice = self.invoice(sub)
		self.assertIsNone(get_job(f"stancer-renewal::{invoice.name}"))
		self.assertIsNone(renewals.stancer_plan_account(sub.name))
		self.assertIsNone(self.renew(invoice))
		self.assertFalse(self.charges_of(invoice))
		# A subscription mixing a Stancer plan and another gateway's is left alone too.
		sub.append("plans", {"plan": self.plan(self.account), "qty": 1})
		sub.save(ignore_permissions=True)
		self.assertIsNone(renewals.stancer_plan_account(sub.name))

	# -- the real background worker --------------------------------------------------------

	def start_worker(self, burst=False):
		args = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "default"]
		log = open(os.path.join(frappe.get_site_path("logs"), "stancer-renewal-worker.log"), "ab")
		return subprocess.Popen(
			args + (["--burst"] if burst else []),
			cwd=os.path.abspath(frappe.local.sites_path),
			stdout=log,
			stderr=log,
			start_new_session=True,  # its own group: the job's work horse is killed with it
		)

	def wait_for(self, condition, seconds=90):
		deadline = time.monotonic() + seconds
		while time.monotonic() < deadline:
			frappe.db.commit()  # a fresh snapshot
			found = condition()
			if found:
				return found
			time.sleep(0.25)
		self.fail("timed out waiting")

	def test_real_worker_charges_the_renewal(self):
		customer = self.customer("Renewal Buyer Six")
		sub, _first = self.subscribed(customer)
		second = self.invoice(sub, keep_job=True)  # the submit queued the job, after the commit
		job = get_job(f"stancer-renewal::{second.name}")
		self.assertIsNotNone(job)
		worker = self.start_worker()
		try:
			pr = self.wait_for(lambda: (p := self.request_of(second)) and p.status == "Paid" and p)
		finally:
			kill(worker)
		self.assertPaidOnce(pr)
		self.assertEqual(len(self.charges_of(second)), 1)

	def test_worker_killed_in_the_middle_charges_once(self):
		customer = self.customer("Renewal Buyer Seven")
		sub, _first = self.subscribed(customer)
		# Stancer answers slowly: the worker is killed while the charge is on its way.
		faults = f"{sandbox().url}/_sandbox/faults"
		account = self.settings.flags.sandbox_account
		requests.post(faults, json={"latency_ms": 3000, "account": account}, timeout=10).raise_for_status()
		worker = None
		try:
			second = self.invoice(sub, keep_job=True)
			worker = self.start_worker()
			pr = self.wait_for(lambda: self.request_of(second))
			# The muted request is committed; the Stancer customer is checked (3 s), the card
			# read (3 s), then charged (3 s more).
			time.sleep(7.5)
			kill(worker)
			worker = None
		finally:
			if worker:
				kill(worker)
			requests.delete(faults, params={"account": account}, timeout=10)
		time.sleep(3)  # what the killed worker sent reaches Stancer all the same
		frappe.db.commit()
		# Killed in the middle: Stancer charged the card, nothing was recorded here.
		self.assertEqual(len(self.charges_of(second)), 1)
		self.assertFalse(records_for(pr.name))
		self.assertNotEqual(frappe.db.get_value("Payment Request", pr.name, "status"), "Paid")
		# Run again (a retry, the hourly sweep): the charge is found and recorded, not made again.
		renewals.charge_invoice(second.name)
		renewals.sweep()
		frappe.db.commit()
		self.assertPaidOnce(pr)
		self.assertEqual(len(self.charges_of(second)), 1)

	# -- what a review found --------------------------------------------------------------------

	def test_cancelled_and_amended_invoice_is_not_charged_again(self):
		customer = self.customer("Renewal Buyer Amended")
		sub, _first = self.subscribed(customer)
		second = self.invoice(sub)
		pr = self.renew(second)
		record = self.assertPaidOnce(pr)
		# The accountant corrects the invoice the usual way: cancel all, then amend.
		frappe.get_doc("Payment Entry", record.payment_entry).cancel()
		frappe.get_doc("Payment Request", pr.name).cancel()
		frappe.get_doc("Sales Invoice", second.name).cancel()
		amended = frappe.copy_doc(frappe.get_doc("Sales Invoice", second.name))
		amended.docstatus = 0
		amended.amended_from = second.name
		self.assertEqual((amended.subscription, amended.from_date), (second.subscription, second.from_date))
		amended.insert(ignore_permissions=True)
		amended.submit()
		frappe.db.commit()
		pr2 = self.renew(amended)
		self.assertEqual(len(self.charges_of(amended)), 1)  # the same period: one charge in all
		self.assertFalse(records_for(pr2.name))
		flagged = frappe.get_doc("Stancer Payment", record.name)
		self.assertTrue(flagged.needs_attention)
		self.assertIn(pr2.name, flagged.attention_reason)

	def test_a_paid_link_whose_entry_erpnext_refused_is_not_charged_again(self):
		"""The first invoice's link paid, ERPNext refusing its entry: flagged for the accountants,
		the card kept. The invoice's charge run again (the hourly sweep finds it unpaid) charges
		nothing: the accountants have the payment to book."""
		customer = self.customer("Renewal Buyer Refused Entry")
		sub = self.subscription(customer)
		first = self.invoice(sub)
		pr = self.renew(first)  # no card yet: the link is e-mailed
		with closed_period("Payment Entry"):
			self.pay(pr)
		[record] = records_for(pr.name)
		self.assertTrue(record.needs_attention, record)
		self.assertTrue(self.default(customer))  # kept for the next renewals
		self.renew(first)
		self.assertEqual(self.charges_of(first), [])
		self.assertEqual(len(records_for(pr.name)), 1)

	def test_renewal_waits_while_the_customer_pays_the_emailed_link(self):
		customer = self.customer("Renewal Buyer Paying")
		sub, _first = self.subscribed(customer)
		card_behaviour(self.default(customer), "51")
		second = self.invoice(sub)
		pr = self.renew(second)  # refused: the link is e-mailed
		card_behaviour(self.default(customer), "00")
		self.open_link(pr)  # the customer is on Stancer's page
		frappe.db.commit()
		renewals.charge_request(pr.name, "another-reference-for-the-test")
		frappe.db.commit()
		self.assertEqual(frappe.db.count("Stancer Payment", {"payment_request": pr.name}), 2)
		self.assertFalse(frappe.db.exists("Stancer Payment", "another-reference-for-the-test"))

	def test_sweep_leaves_an_invoice_billed_before_its_plan_moved_to_stancer(self):
		customer = self.customer("Renewal Buyer Moved")
		self.subscribed(customer)  # a card is saved for this customer
		other = self.other_gateway_account()
		plan = self.plan(other, name="Renewal Moved Plan")
		sub = self.subscription(customer, plan=plan)
		invoice = self.invoice(sub)
		self.assertFalse(self.request_of(invoice))
		time.sleep(1)  # the plan is changed after the invoice was made
		frappe.db.set_value("Subscription Plan", plan, "payment_gateway", self.account)
		frappe.db.commit()
		renewals.sweep()
		frappe.db.commit()
		self.assertIsNone(get_job(f"stancer-renewal::{invoice.name}"))
		self.assertFalse(self.charges_of(invoice))

	def test_a_customer_made_with_anothers_card_row_is_not_given_it(self):
		victim = self.customer("Renewal Buyer Victim")
		self.subscribed(victim)
		row = customers.get_reference(victim, self.settings)
		forger = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "Renewal Buyer Forger",
				"stancer_references": [
					{
						"stancer_settings": self.settings.name,
						"public_key": self.settings.public_key,
						"mode": "Test",
						"stancer_customer_id": row.stancer_customer_id,
						"payment_method_id": row.payment_method_id,
					}
				],
			}
		)
		forger.insert(ignore_permissions=True)
		frappe.db.commit()
		self.assertIsNone(customers.get_reference(forger.name, self.settings))
		# Written by the app's own path anyway, the copied ids still charge nothing.
		customers.set_reference(forger.name, self.settings, row.stancer_customer_id, row.payment_method_id)
		frappe.db.commit()
		sub = self.subscription(forger.name)
		invoice = self.invoice(sub)
		self.renew(invoice)
		self.assertFalse(self.charges_of(invoice))

	def test_paying_another_gateways_subscription_invoice_by_link_keeps_no_card(self):
		customer = self.customer("Renewal Buyer Elsewhere")
		sub = self.subscription(
			customer, plan=self.plan(self.other_gateway_account(), name="Renewal Else Plan")
		)
		invoice = self.invoice(sub)
		from stancer_integration.tests.helpers import make_payment_request

		pr = make_payment_request(invoice, self.settings)  # an accountant sends a Stancer link anyway
		frappe.db.commit()
		self.assertFalse(saved_cards.is_subscription_request(pr.name))
		self.pay(pr)
		self.assertPaidOnce(pr)
		self.assertIsNone(self.default(customer))

	def test_amended_invoice_whose_first_charge_was_refused_sends_the_link(self):
		customer = self.customer("Renewal Buyer Amended Refused")
		sub, _first = self.subscribed(customer)
		card_behaviour(self.default(customer), "51")
		second = self.invoice(sub)
		pr = self.renew(second)
		self.assertEqual(records_for(pr.name)[0].outcome, "Failed")
		frappe.get_doc("Payment Request", pr.name).cancel()
		frappe.get_doc("Sales Invoice", second.name).cancel()
		amended = frappe.copy_doc(frappe.get_doc("Sales Invoice", second.name))
		amended.docstatus = 0
		amended.amended_from = second.name
		amended.insert(ignore_permissions=True)
		amended.submit()
		frappe.db.commit()
		pr2 = self.renew(amended)
		self.assertEqual(len(self.charges_of(amended)), 1)  # never charged again for the period
		self.assertTrue(link_emailed(pr2))
