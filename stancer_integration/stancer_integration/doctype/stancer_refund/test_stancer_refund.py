# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""Refunds and cancelled authorizations from Desk, as an Accounts Manager presses the buttons:
one refund at Stancer per click (even when its answer is lost), one Payment Entry per refund,
a failed refund reversed, a dispute flagged; bad input refused with a clear message."""

from datetime import timedelta
from unittest.mock import patch

import frappe
from erpnext.accounts.doctype.payment_entry.payment_entry import PaymentEntry
from frappe.utils import flt

from stancer_integration import reconciliation, refunds
from stancer_integration.stancer import errors
from stancer_integration.stancer_integration.doctype.stancer_payment.test_reconciliation import (
	clear_faults,
	faults,
)
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	CheckoutCase,
	records_for,
)
from stancer_integration.stancer_integration.doctype.stancer_payment.test_trust import sandbox_admin
from stancer_integration.tests.helpers import (
	make_company,
	make_payment_request,
	make_sales_invoice,
	make_settings,
	make_user,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]
MANAGER = "stancer.refunds.manager@example.org"
CLERK = "stancer.refunds.clerk@example.org"


class TestRefunds(CheckoutCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(MANAGER, ["Accounts Manager", "Accounts User"])
		make_user(CLERK, ["Accounts User"])
		cls.own = make_settings("E2E Refunds")
		cls.later = make_settings("E2E Refunds Later", capture_mode="Authorize now, capture later")
		frappe.db.commit()

	def setUp(self):
		clear_faults(self.own)
		clear_faults(self.later)
		frappe.set_user(MANAGER)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def paid(self, rate=40.0, settings=None, pr=None):
		pr = pr or self.new_request(rate=rate, settings=settings or self.own)
		self.pay(pr)
		record = records_for(pr.name)[-1]
		return frappe.get_doc("Stancer Payment", record.name)

	def at_stancer(self, record, settings=None):
		with (settings or self.own).get_client() as client:
			return client.payments.refunds(record.stancer_id)

	def refunds_of(self, record):
		frappe.db.commit()
		return frappe.get_all(
			"Stancer Refund", filters={"stancer_payment": record.name}, fields=["*"], order_by="creation asc"
		)

	def assertRefundEntry(self, refund, amount):
		entry = frappe.get_doc("Payment Entry", refund.payment_entry)
		self.assertEqual(entry.docstatus, 1)
		self.assertEqual(entry.payment_type, "Pay")
		self.assertEqual(entry.reference_no, refund.stancer_refund_id)
		self.assertEqual(flt(entry.paid_amount), amount)
		paid = frappe.get_doc(
			"Payment Entry", frappe.db.get_value("Stancer Payment", refund.stancer_payment, "payment_entry")
		)
		# The payment's entry turned around: from the gateway's account back to the customer.
		self.assertEqual(entry.paid_from, paid.paid_to)
		self.assertEqual(entry.paid_to, paid.paid_from)
		self.assertEqual((entry.party_type, entry.party), (paid.party_type, paid.party))
		return entry

	# -- refunds ----------------------------------------------------------------------------------

	def test_full_refund_is_sent_once_and_booked_once(self):
		record = self.paid()
		answer = record.refund(reason="Order cancelled by the customer")
		self.assertEqual(answer.status, "To Refund")
		(refund,) = self.refunds_of(record)
		self.assertEqual((flt(refund.amount), refund.requested_by), (40.0, MANAGER))
		self.assertEqual(refund.reason, "Order cancelled by the customer")
		self.assertEqual([r["id"] for r in self.at_stancer(record)], [refund.stancer_refund_id])
		self.assertRefundEntry(refund, 40.0)
		with self.assertRaisesRegex(frappe.ValidationError, "refunded already"):
			record.refund()

	def test_two_partial_refunds_then_one_too_many(self):
		record = self.paid(rate=40.0)
		record.refund(amount=10)
		record.refund(amount="12.50")
		with self.assertRaisesRegex(frappe.ValidationError, "At most 17.50 EUR is left"):
			record.refund(amount=20)
		refunds = self.refunds_of(record)
		self.assertEqual([flt(r.amount) for r in refunds], [10.0, 12.5])
		self.assertEqual(len(self.at_stancer(record)), 2)
		for refund, amount in zip(refunds, (10.0, 12.5), strict=True):
			self.assertRefundEntry(refund, amount)
		self.assertEqual(flt(record.refund_defaults()["left"]), 17.5)
		# The payment's record says what was given back (its form and list show it).
		self.assertEqual(flt(frappe.db.get_value("Stancer Payment", record.name, "refunded_amount")), 22.5)

	def test_bad_input_is_refused_with_a_clear_message_and_nothing_sent(self):
		record = self.paid(rate=40.0)
		cases = {
			"0.49": "does not refund less than 0.50 EUR",
			"-5": "does not refund less than",
			"40.01": "At most 40.00 EUR is left",
			"1.005": "not a valid amount",
			"ten": "not a valid amount",
		}
		for amount, message in cases.items():
			with self.subTest(amount=amount), self.assertRaisesRegex(frappe.ValidationError, message):
				record.refund(amount=amount)
		self.assertEqual(self.at_stancer(record), [])
		self.assertEqual(self.refunds_of(record), [])
		frappe.set_user(CLERK)
		with self.assertRaises(frappe.PermissionError):
			record.refund(amount=5)
		frappe.set_user(MANAGER)
		unpaid = self.new_request(settings=self.own)
		self.open_link(unpaid)
		frappe.db.commit()
		pending = frappe.get_doc("Stancer Payment", records_for(unpaid.name)[-1].name)
		with self.assertRaisesRegex(frappe.ValidationError, "Only a paid payment"):
			pending.refund()

	def test_partial_refund_of_an_authorization_is_refused(self):
		record = self.paid(settings=self.later)
		self.assertEqual(record.outcome, "Authorized")
		with self.assertRaisesRegex(frappe.ValidationError, "only authorized"):
			record.refund(amount=5)
		self.assertEqual(self.at_stancer(record, self.later), [])

	def refund_with_answer_unread(self, **fault):
		"""A refund of 15 whose POST Stancer processes but whose answer is not read (`fault`):
		one refund at Stancer, claimed and booked once."""
		record = self.paid()
		faults(self.own, only_method="POST", **fault)
		record.refund(amount=15)
		(refund,) = self.refunds_of(record)
		self.assertEqual(refund.status, "To Refund")
		self.assertEqual([r["id"] for r in self.at_stancer(record)], [refund.stancer_refund_id])
		self.assertRefundEntry(refund, 15.0)

	def test_lost_answer_makes_one_refund_and_one_entry(self):
		self.refund_with_answer_unread(fail_after_processing_next=1)

	def test_lost_answer_nobody_can_read_back_is_claimed_by_the_reconciliation(self):
		record = self.paid()
		# The refund is made, its answer lost, and the read back fails too.
		faults(self.own, fail_after_processing_next=1, only_method="POST")
		with patch.object(
			refunds,
			"find_made",
			side_effect=errors.UnavailableError("Stancer is down", maybe_processed=False),
		):
			record.refund(amount=15)
		(refund,) = self.refunds_of(record)
		self.assertEqual(
			(refund.status, refund.stancer_refund_id, refund.payment_entry), ("Sending", None, None)
		)
		with self.assertRaisesRegex(frappe.ValidationError, "being sent"):
			record.refund(amount=15)  # the accountant clicks again: refused, nothing sent
		clear_faults(self.own)
		self.assertEqual(len(self.at_stancer(record)), 1)
		frappe.set_user("Administrator")
		reconciliation.reconcile(self.own, min_age=timedelta(0))
		(refund,) = self.refunds_of(record)
		self.assertEqual(refund.status, "To Refund")
		self.assertEqual([r["id"] for r in self.at_stancer(record)], [refund.stancer_refund_id])
		self.assertRefundEntry(refund, 15.0)
		reconciliation.reconcile(self.own, min_age=timedelta(0))
		self.assertEqual(
			frappe.db.count("Payment Entry", {"reference_no": refund.stancer_refund_id, "docstatus": 1}), 1
		)

	def test_refund_never_made_is_marked_not_sent_and_can_be_asked_again(self):
		record = self.paid()
		faults(self.own, fail_next=20)  # nothing reaches Stancer
		with self.assertRaisesRegex(frappe.ValidationError, "nothing was refunded"):
			record.refund(amount=15)
		clear_faults(self.own)
		(refund,) = self.refunds_of(record)
		self.assertEqual(refund.status, "Not Sent")
		record.refund(amount=15)
		self.assertEqual(len(self.at_stancer(record)), 1)

	def test_a_refund_stancer_refuses_is_not_sent_and_can_be_asked_again(self):
		record = self.paid(rate=40.0)
		# Past the app's own checks (as if Stancer's rules had changed): Stancer answers 400.
		with patch.object(refunds.rules, "check_refund"):
			with self.assertRaisesRegex(frappe.ValidationError, "Stancer refused the refund"):
				record.refund(amount=41)
		(refund,) = self.refunds_of(record)
		self.assertEqual(refund.status, "Not Sent")
		self.assertEqual(self.at_stancer(record), [])
		record.refund(amount=10)  # nothing left Sending: the next one goes
		self.assertEqual(len(self.at_stancer(record)), 1)

	def test_refund_statuses_move_on_and_a_failed_one_is_reversed(self):
		record = self.paid()
		faults(self.own, fail_next_refund=1)
		record.refund(amount=20)
		record.refund(amount=5)
		failing, fine = self.refunds_of(record)
		sandbox_admin("clock", advance=3601)
		frappe.set_user("Administrator")
		found = reconciliation.reconcile(self.own, min_age=timedelta(0))
		self.assertGreaterEqual(found["refunds"], 2)  # with earlier tests' refunds still open
		failing, fine = (frappe.get_doc("Stancer Refund", r.name) for r in (failing, fine))
		self.assertEqual((failing.status, fine.status), ("Failed", "Sent to Bank"))
		self.assertTrue(failing.needs_attention and failing.entry_reversed)
		self.assertIn("failed", failing.attention_reason)
		self.assertEqual(frappe.db.get_value("Payment Entry", failing.payment_entry, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Payment Entry", fine.payment_entry, "docstatus"), 1)
		self.assertTrue(fine.sent_on)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"document_type": "Stancer Refund", "document_name": failing.name, "for_user": MANAGER},
			)
		)
		self.assertEqual(flt(frappe.db.get_value("Stancer Payment", record.name, "refunded_amount")), 5.0)
		# What the failed refund did not give back can be refunded again.
		self.assertEqual(flt(frappe.get_doc("Stancer Payment", record.name).refund_defaults()["left"]), 35.0)
		sandbox_admin("clock", advance=3 * 24 * 3600)
		reconciliation.reconcile(self.own, min_age=timedelta(0))
		fine.reload()
		self.assertEqual(fine.status, "Refunded")
		self.assertTrue(fine.credited_on)

	def test_credit_note_made_from_the_invoice_takes_the_refund(self):
		invoice = make_sales_invoice("Stancer Buyer", 30.0)
		pr = make_payment_request(invoice, self.own)
		frappe.db.commit()
		record = self.paid(pr=pr)
		self.assertEqual(record.refund_defaults()["invoice"], invoice.name)
		with self.assertRaisesRegex(frappe.ValidationError, "whole invoice"):
			record.refund(amount=10, make_credit_note=1)
		answer = record.refund(make_credit_note=1)
		note = frappe.get_doc("Sales Invoice", answer.credit_note)
		self.assertEqual((note.docstatus, note.is_return, note.return_against), (1, 1, invoice.name))
		self.assertEqual(flt(note.outstanding_amount), 0)
		entry = self.assertRefundEntry(frappe.get_doc("Stancer Refund", answer.name), 30.0)
		self.assertEqual([r.reference_name for r in entry.references], [note.name])
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 0)

	def test_dispute_is_flagged_and_refuses_refunds(self):
		record = self.paid()
		sandbox_admin("payment_status", payment=record.stancer_id, status="disputed")
		with self.assertRaisesRegex(frappe.ValidationError, "disputed"):
			record.refund(amount=5)
		record.reload()
		self.assertEqual(record.outcome, "Disputed")
		self.assertTrue(record.needs_attention)
		self.assertIn("disputes", record.attention_reason)
		self.assertEqual(self.at_stancer(record), [])
		# Nothing is booked for the dispute: the payment's own entry stays.
		self.assertEqual(frappe.db.get_value("Payment Entry", record.payment_entry, "docstatus"), 1)

	# -- what a review found ------------------------------------------------------------------------

	def test_lost_answer_is_found_whatever_the_site_time_zone(self):
		"""`creation` is in the site's time zone; a server clock in another must not hide the
		refund a lost answer made (and let it be made twice)."""
		frappe.set_user("Administrator")
		zone = frappe.db.get_single_value("System Settings", "time_zone")
		far = "Pacific/Kiritimati" if zone != "Pacific/Kiritimati" else "Pacific/Pago_Pago"
		frappe.db.set_single_value("System Settings", "time_zone", far)
		frappe.db.commit()
		frappe.clear_cache()
		try:
			frappe.set_user(MANAGER)
			self.refund_with_answer_unread(fail_after_processing_next=1)
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_single_value("System Settings", "time_zone", zone)
			frappe.db.commit()
			frappe.clear_cache()

	def test_garbled_answer_is_looked_up_not_taken_for_a_refusal(self):
		self.refund_with_answer_unread(garble_after_processing_next=1)

	def test_failed_refund_whose_entry_cannot_be_cancelled_is_flagged_and_holds_up_nothing(self):
		record = self.paid()
		faults(self.own, fail_next_refund=1)
		record.refund(amount=20)
		other = self.paid()
		other.refund(amount=5)
		sandbox_admin("clock", advance=3601)
		frappe.set_user("Administrator")
		closed = frappe.ValidationError("Accounting Period is closed")
		with patch.object(PaymentEntry, "cancel", side_effect=closed):
			reconciliation.reconcile(self.own, min_age=timedelta(0))
		(failing,) = self.refunds_of(record)
		(fine,) = self.refunds_of(other)
		self.assertEqual((failing.status, failing.needs_attention, failing.entry_reversed), ("Failed", 1, 0))
		self.assertIn("could not be cancelled", failing.attention_reason)
		self.assertEqual(frappe.db.get_value("Payment Entry", failing.payment_entry, "docstatus"), 1)
		self.assertEqual(fine.status, "Sent to Bank")

	def test_credit_note_of_another_company_is_refused_before_sending(self):
		frappe.set_user("Administrator")
		make_company("Refund Other SAS", "ROS")
		invoice = make_sales_invoice("Stancer Buyer", 40.0, company="Refund Other SAS")
		from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

		note = make_sales_return(invoice.name)
		note.insert()
		note.submit()
		frappe.db.commit()
		frappe.set_user(MANAGER)
		record = self.paid()
		with self.assertRaisesRegex(frappe.ValidationError, "same company and account"):
			record.refund(credit_note=note.name)
		self.assertEqual(self.at_stancer(record), [])

	def test_refund_of_a_payment_whose_entry_was_cancelled_is_refused(self):
		record = self.paid()
		frappe.set_user("Administrator")
		frappe.get_doc("Payment Entry", record.payment_entry).cancel()
		frappe.db.commit()
		frappe.set_user(MANAGER)
		with self.assertRaisesRegex(frappe.ValidationError, "not submitted"):
			record.refund(amount=5)
		self.assertEqual(self.at_stancer(record), [])

	def test_dispute_on_a_booked_payment_is_found_by_the_reconciliation(self):
		record = self.paid()
		sandbox_admin("payment_status", payment=record.stancer_id, status="disputed")
		frappe.set_user("Administrator")
		reconciliation.reconcile(self.own, min_age=timedelta(0))
		record.reload()
		self.assertEqual((record.outcome, record.needs_attention), ("Disputed", 1))

	# -- cancelled authorizations -------------------------------------------------------------------

	def test_cancel_authorization_keeps_the_request_payable(self):
		record = self.paid(settings=self.later)
		answer = record.cancel_authorization()
		self.assertEqual(answer.status, "Authorization Cancelled")
		record.reload()
		self.assertEqual(record.outcome, "Canceled")
		self.assertFalse(record.payment_entry)
		pr = frappe.get_doc("Payment Request", record.payment_request)
		self.assertEqual(pr.docstatus, 1)
		self.assertNotEqual(pr.status, "Paid")
		(refund,) = self.refunds_of(record)
		self.assertFalse(refund.payment_entry)
		# The customer can pay again: the link makes a new attempt.
		self.pay(pr)
		records = records_for(pr.name)
		self.assertEqual([r.outcome for r in records], ["Canceled", "Authorized"])

	def test_cancel_authorization_and_the_request(self):
		record = self.paid(settings=self.later)
		record.cancel_authorization(cancel_request=1, reason="Out of stock")
		self.assertEqual(frappe.db.get_value("Payment Request", record.payment_request, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Stancer Payment", record.name, "outcome"), "Canceled")

	def test_cancel_refused_once_captured(self):
		record = self.paid(settings=self.later)
		with self.later.get_client() as client:
			client.capture(record.stancer_id)
		with self.assertRaisesRegex(frappe.ValidationError, "nothing was sent"):
			record.cancel_authorization()
		self.assertEqual(self.at_stancer(record, self.later), [])
