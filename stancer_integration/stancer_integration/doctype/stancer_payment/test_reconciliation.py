# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""Reconciliation, capture on delivery, and telling the accountants: a customer who pays and
closes the tab is recorded all the same; nothing is lost when Stancer is down meanwhile."""

from datetime import timedelta

import frappe
import requests
from frappe.utils import now_datetime
from frappe.utils.background_jobs import get_queue

from stancer_integration import authorizations, reconciliation
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	REFUSED,
	SUCCESS,
	CheckoutCase,
	entries_for,
	records_for,
)
from stancer_integration.tests.helpers import (
	come_back,
	make_settings,
	make_user,
	pay_on_page,
	sandbox,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]
ACCOUNTANT = "stancer.accountant@example.org"


def faults(settings, **values):
	answer = requests.post(
		f"{sandbox().url}/_sandbox/faults",
		json=dict(values, account=settings.flags.sandbox_account),
		timeout=10,
	)
	answer.raise_for_status()


def clear_faults(settings):
	requests.delete(
		f"{sandbox().url}/_sandbox/faults", params={"account": settings.flags.sandbox_account}, timeout=10
	)


def notifications_for(record_name):
	return frappe.get_all(
		"Notification Log",
		filters={"document_type": "Stancer Payment", "document_name": record_name, "for_user": ACCOUNTANT},
		pluck="subject",
	)


class TestReconciliation(CheckoutCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(ACCOUNTANT, ["Accounts Manager", "Accounts User"])
		cls.own = make_settings("E2E Reconcile")
		frappe.db.commit()

	def paid_and_closed(self, card=SUCCESS, settings=None):
		"""The customer pays on Stancer's page and closes the tab: our return page never hit."""
		pr = self.new_request(settings=settings or self.own)
		opened = self.open_link(pr)
		pay_on_page(opened.headers["Location"], card)
		frappe.db.commit()
		return pr, records_for(pr.name)[-1]

	def reconcile(self, settings=None):
		found = reconciliation.reconcile(settings or self.own, min_age=timedelta(0))
		frappe.db.commit()
		return found

	def test_customer_who_closed_the_tab_is_recorded_once(self):
		pr, record = self.paid_and_closed()
		self.assertEqual(record.outcome, "Pending")
		found = self.reconcile()
		self.assertGreaterEqual(found["paid"], 1)
		self.assertPaidOnce(pr)
		again = self.reconcile()
		self.assertEqual(again["paid"], 0)  # nothing left open: nothing read again
		self.assertPaidOnce(pr)

	def test_refused_attempt_is_marked_and_the_request_stays_payable(self):
		pr, record = self.paid_and_closed(card=REFUSED)
		self.reconcile()
		self.assertEqual(frappe.db.get_value("Stancer Payment", record.name, "outcome"), "Failed")
		self.assertNotEqual(frappe.db.get_value("Payment Request", pr.name, "status"), "Paid")
		self.assertEqual(self.open_link(pr).status_code, 302)  # the link still works

	def test_stancer_down_stops_early_and_a_later_run_records_it(self):
		pr, _record = self.paid_and_closed()
		faults(self.own, fail_next=50, fail_status=503)
		try:
			found = self.reconcile()
		finally:
			clear_faults(self.own)
		self.assertEqual(found["stopped"], 1)
		self.assertEqual(entries_for(pr.name), [])
		self.reconcile()
		self.assertPaidOnce(pr)

	def test_a_payment_whose_record_was_lost_is_found_again(self):
		pr, record = self.paid_and_closed()
		frappe.db.delete("Stancer Payment", {"name": record.name})
		frappe.db.commit()
		found = self.reconcile()
		self.assertEqual(found["recovered"], 1)
		self.assertEqual(self.assertPaidOnce(pr).stancer_id, record.stancer_id)

	def test_expired_authorization_is_recorded_as_expired_after_a_warning(self):
		later = make_settings("E2E Reconcile Later", capture_mode="Authorize now, capture later")
		frappe.db.commit()
		pr, record = self.paid_and_closed(settings=later)
		self.reconcile(later)
		self.assertEqual(frappe.db.get_value("Stancer Payment", record.name, "outcome"), "Authorized")
		# Six and a half days later: the accountants are warned, once.
		frappe.db.set_value(
			"Stancer Payment", record.name, "creation", now_datetime() - timedelta(days=6, hours=12)
		)
		frappe.db.commit()
		self.reconcile(later)
		self.reconcile(later)
		self.assertEqual(len([s for s in notifications_for(record.name) if "expires" in s]), 1)
		# Stancer lets it expire: recorded as such, nothing booked, the request payable again.
		requests.post(
			f"{sandbox().url}/_sandbox/payment_status",
			json={"payment": record.stancer_id, "status": "expired"},
			timeout=10,
		).raise_for_status()
		self.reconcile(later)
		self.assertEqual(frappe.db.get_value("Stancer Payment", record.name, "outcome"), "Expired")
		self.assertEqual(entries_for(pr.name), [])

	def test_reconcile_now_says_what_it_found(self):
		self.paid_and_closed()
		frappe.set_user(ACCOUNTANT)
		try:
			answer = frappe.get_doc("Stancer Settings", self.own.name).reconcile_now()
		finally:
			frappe.set_user("Administrator")
		frappe.db.commit()
		self.assertGreaterEqual(answer["found"]["paid"], 1)
		self.assertIn("paid", answer["message"])

	def test_scheduler_entry_honours_each_interval(self):
		self.paid_and_closed()
		frappe.db.set_value("Stancer Settings", self.own.name, "last_reconciled", now_datetime())
		frappe.db.commit()
		reconciliation.run()  # just done: not due
		self.assertEqual(
			frappe.db.count("Stancer Payment", {"stancer_settings": self.own.name, "outcome": "Pending"}) > 0,
			True,
		)
		frappe.db.set_value(
			"Stancer Settings", self.own.name, "last_reconciled", now_datetime() - timedelta(minutes=11)
		)
		frappe.db.commit()
		before = frappe.db.get_value("Stancer Settings", self.own.name, "last_reconciled")
		reconciliation.run()
		frappe.db.commit()
		self.assertGreater(frappe.db.get_value("Stancer Settings", self.own.name, "last_reconciled"), before)

	# -- telling the accountants ---------------------------------------------------------------

	def test_a_flagged_payment_notifies_the_accountants_once(self):
		pr = self.new_request(settings=self.own)
		opened = self.open_link(pr)
		frappe.get_doc("Payment Request", pr.name).cancel()
		frappe.db.commit()
		back = pay_on_page(opened.headers["Location"], SUCCESS)
		for _ in range(3):
			come_back(back)
		frappe.db.commit()
		record = records_for(pr.name)[-1]
		self.assertTrue(record.needs_attention)
		self.assertEqual(len(notifications_for(record.name)), 1)

	# -- capture on delivery -----------------------------------------------------------------------

	def test_delivering_the_order_captures_and_books(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

		later = make_settings("E2E Capture On Delivery", capture_mode="Authorize now, capture later")
		frappe.db.commit()
		pr = self.new_request(settings=later)
		self.pay(pr)
		record = records_for(pr.name)[-1]
		self.assertEqual(record.outcome, "Authorized")
		queue = get_queue("short")
		before = len(queue.jobs)
		note = make_delivery_note(pr.reference_name)
		note.insert(ignore_permissions=True)
		note.submit()
		frappe.db.commit()  # the capture is enqueued after this commit, not inside the submit
		jobs = [
			j for j in queue.jobs[before:] if "capture_orders" in str(j.kwargs.get("job_name") or j.kwargs)
		]
		self.assertEqual(len(jobs), 1)
		for job in jobs:
			job.delete()
		# What the worker runs:
		authorizations.capture_orders([pr.reference_name])
		frappe.db.commit()
		self.assertPaidOnce(pr)

	# -- found by review --------------------------------------------------------------------------

	def test_a_waiting_attempt_older_than_five_days_is_not_offered_again(self):
		pr = self.new_request(settings=self.own)
		first = self.open_link(pr).headers["Location"]
		frappe.db.commit()
		old = records_for(pr.name)[-1]
		frappe.db.set_value("Stancer Payment", old.name, "creation", now_datetime() - timedelta(days=6))
		frappe.db.commit()
		second = self.open_link(pr).headers["Location"]
		frappe.db.commit()
		self.assertNotEqual(first, second)
		self.assertEqual(len(records_for(pr.name)), 2)

	def test_delivery_never_captures_for_a_request_paid_meanwhile_or_half_delivered(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

		later = make_settings("E2E Capture Checks", capture_mode="Authorize now, capture later")
		frappe.db.commit()
		# Paid by bank transfer meanwhile: not captured, flagged.
		paid = self.new_request(settings=later)
		self.pay(paid)
		transfer = frappe.get_doc("Payment Request", paid.name).create_payment_entry(submit=False)
		transfer.reference_no = "BANK-TRANSFER-ALL"
		transfer.insert(ignore_permissions=True)
		transfer.submit()
		frappe.db.set_value("Sales Order", paid.reference_name, "per_delivered", 100)  # delivered
		frappe.db.commit()
		authorizations.capture_orders([paid.reference_name])
		frappe.db.commit()
		record = records_for(paid.name)[-1]
		self.assertEqual(record.outcome, "Authorized")
		self.assertTrue(record.needs_attention)
		self.assertIn("Not captured on delivery", record.attention_reason)
		with later.get_client() as client:
			self.assertEqual(client.payments.get(record.stancer_id)["status"], "authorized")
		# Delivered in part: nothing captured yet.
		half = self.new_request(settings=later)
		self.pay(half)
		frappe.db.set_value("Sales Order", half.reference_name, "per_delivered", 50)
		frappe.db.commit()
		authorizations.capture_orders([half.reference_name])
		frappe.db.commit()
		self.assertEqual(records_for(half.name)[-1].outcome, "Authorized")
		# A return is no delivery.
		note = make_delivery_note(half.reference_name)
		note.is_return = 1
		self.assertIsNone(authorizations.on_delivery(note))

	def test_disabled_settings_still_record_a_page_opened_before(self):
		settings = make_settings("E2E Reconcile Disabled", enabled=1)
		frappe.db.commit()
		pr, record = self.paid_and_closed(settings=settings)
		settings.enabled = 0
		settings.save()
		frappe.db.set_value("Stancer Settings", settings.name, "last_reconciled", None)
		frappe.db.set_value(
			"Stancer Payment", record.name, "creation", now_datetime() - timedelta(minutes=10)
		)
		frappe.db.commit()
		reconciliation.run()  # in tests the account's job runs at once
		frappe.db.commit()
		self.assertPaidOnce(pr)

	def test_an_account_whose_key_was_revoked_does_not_stop_the_others(self):
		revoked = make_settings("E2E Reconcile Revoked")
		frappe.db.commit()
		self.paid_and_closed(settings=revoked)
		pr, record = self.paid_and_closed()
		for name in (revoked.name, self.own.name):
			frappe.db.set_value("Stancer Settings", name, "last_reconciled", None)
		frappe.db.set_value(
			"Stancer Payment", record.name, "creation", now_datetime() - timedelta(minutes=10)
		)
		frappe.db.set_value(
			"Stancer Payment",
			{"stancer_settings": revoked.name},
			"creation",
			now_datetime() - timedelta(minutes=10),
		)
		# Stancer no longer knows the key (the sandbox forgets the account's keys).
		from frappe.utils.password import set_encrypted_password

		set_encrypted_password("Stancer Settings", revoked.name, "stest_" + "R" * 24, "secret_key")
		frappe.db.commit()
		reconciliation.run()
		frappe.db.commit()
		self.assertPaidOnce(pr)
		logs = frappe.get_all(
			"Error Log",
			filters={"method": "Stancer reconciliation"},
			pluck="error",
			order_by="creation desc",
			limit=3,
		)
		self.assertTrue(any(revoked.name in log for log in logs))
		self.assertFalse(any("stest_" in log for log in logs))
