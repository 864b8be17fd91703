"""Refunds and cancelled authorizations, asked from Desk and booked in the accounts.

A refund goes in three steps, each in a transaction of its own under the Payment Request's lock
(the lock every recording of the request's payments takes):

1. **start**: checks what is left to refund and writes a Stancer Refund in *Sending* — the one
   refund of this payment that may be on its way; a second click finds it and is refused;
2. **send**: reads the payment and its refunds from Stancer, then asks for one refund. Stancer's
   refunds have no `unique_id`, so one is never sent twice: when the answer is lost, the
   payment's refunds are read back and the one this request made is claimed; when even that
   cannot be read, the record stays *Sending* and the reconciliation claims it later (or, when
   Stancer made none, marks it *Not Sent*);
3. **record**: the Stancer refund id and status, and the Payment Entry paying the customer back
   from the gateway's account, keyed on the refund id (never two for one refund). When ERPNext
   refuses the entry, the refund is kept and flagged for an accountant: the money has moved.

The reconciliation follows open refunds afterwards; one the bank rejects has its entry cancelled
and is flagged.
"""

import time
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import flt, get_datetime, now_datetime, nowdate

from stancer_integration import notifications, payment_request_info
from stancer_integration.error_messages import validation_message
from stancer_integration.settlement import (
	RECORD,
	error_text,
	forget_transaction,
	in_fresh_transaction,
	sync_record,
	with_lock_retries,
)
from stancer_integration.stancer import errors, money
from stancer_integration.stancer import refunds as rules
from stancer_integration.stancer.refunds import RefundOutcome

REFUND = "Stancer Refund"
STATUS_OF = {
	RefundOutcome.PENDING: "To Refund",
	RefundOutcome.SENT: "Sent to Bank",
	RefundOutcome.REFUNDED: "Refunded",
	RefundOutcome.FAILED: "Failed",
	RefundOutcome.CANCELED: "Authorization Cancelled",
}
# Refunds Stancer made and that did not fail: what the payment's record shows as given back.
GAVE_BACK = ("To Refund", "Sent to Bank", "Refunded")
# …and the one being sent: what may no longer be refunded.
GIVING_BACK = ("Sending", *GAVE_BACK)
OPEN = ("Sending", "To Refund", "Sent to Bank")
# A refund whose answer was lost and that Stancer still does not show after this long was not made.
NOT_MADE_AFTER = timedelta(minutes=10)


def refund(record_name, amount=None, reason=None, credit_note=None, make_credit_note=False):
	"""Give back `amount` (all that is left when empty) of a paid Stancer payment; the Stancer
	Refund's name. Raises a translated error when nothing was sent."""
	refund_name = start(record_name, amount, reason, credit_note, make_credit_note)
	return send(refund_name)


def cancel_authorization(record_name, cancel_request=False, reason=None):
	"""Let an authorization go before capture (a full refund, which Stancer turns into a
	cancellation): no money moved, no entry. The Payment Request stays payable, or is
	cancelled when the accountant asks."""
	refund_name = start(record_name, None, reason, None, False, cancel=True)
	send(refund_name)
	sync_record(record_name)
	cancelled = frappe.db.get_value(REFUND, refund_name, "status") == "Authorization Cancelled"
	if cancel_request and cancelled:
		pr = frappe.get_doc("Payment Request", frappe.db.get_value(RECORD, record_name, "payment_request"))
		if pr.docstatus == 1:
			pr.cancel()
	return refund_name


def defaults(record_name):
	"""What the Refund dialog offers: what is left to refund and the invoice a credit note can
	be made from."""
	record = frappe.db.get_value(
		RECORD, record_name, ["amount", "amount_minor", "currency", "payment_request"], as_dict=True
	)
	left = record.amount_minor - given_back(record_name)
	return {
		"left": money.from_minor(max(left, 0), record.currency),
		"currency": record.currency,
		"invoice": invoice_of(record.payment_request),
	}


# -- 1. start -------------------------------------------------------------------------------------


def start(record_name, amount, reason, credit_note, make_credit_note, cancel=False):
	record = frappe.db.get_value(RECORD, record_name, ["payment_request", "currency"], as_dict=True)
	if not record:
		frappe.throw(_("Stancer Payment {0} not found.").format(record_name), frappe.DoesNotExistError)
	minor = None if amount in (None, "") else to_minor(amount, record.currency)

	def work():
		payment_request_info.lock(record.payment_request)
		doc = frappe.get_doc(RECORD, record_name, for_update=True)
		check_record(doc, cancel)
		if frappe.db.exists(REFUND, {"stancer_payment": doc.name, "status": "Sending"}):
			frappe.throw(
				_(
					"A refund of this payment is being sent to Stancer: wait a minute, then press Refresh from Stancer on it."
				)
			)
		already = given_back(doc.name)
		asked = doc.amount_minor - already if minor is None else minor
		status = "authorized" if cancel else "captured"
		try:
			rules.check_refund(asked, doc.amount_minor, already, status)
		except errors.ValidationError as error:
			frappe.throw(refusal_message(error, doc.currency))
		note = checked_credit_note(doc, credit_note, make_credit_note, asked)
		new = frappe.get_doc(
			{
				"doctype": REFUND,
				"stancer_payment": doc.name,
				"status": "Sending",
				"amount": money.from_minor(asked, doc.currency),
				"amount_minor": asked,
				"currency": doc.currency,
				"customer": doc.customer,
				"payment_request": doc.payment_request,
				"credit_note": note,
				"reason": reason,
				"is_cancellation": int(cancel),
				# Unix time, for finding the refund at Stancer after a lost answer: `creation`
				# is in the site's time zone, which the server's clock need not share.
				"asked_at": int(time.time()),
				"requested_by": frappe.session.user,
				"stancer_settings": doc.stancer_settings,
			}
		)
		new.insert(ignore_permissions=True)
		return new.name

	return with_lock_retries(lambda: in_fresh_transaction(work))


def to_minor(amount, currency):
	"""The amount typed in minor units; one with more decimals than the currency has is refused,
	not rounded."""
	try:
		value = money.to_decimal(amount)
		minor = money.to_minor(value, currency)
		exact = money.from_minor(minor, currency) == value
	except (ValueError, ArithmeticError):
		exact = False
	if not exact:
		frappe.throw(_("The refund amount {0} is not a valid amount in {1}.").format(amount, currency))
	return minor


def check_record(doc, cancel):
	if cancel:
		if doc.outcome != "Authorized":
			frappe.throw(_("Only an authorization not yet captured can be cancelled."))
		return
	if doc.outcome == "Authorized":
		frappe.throw(
			_(
				"This payment is only authorized: nothing was taken yet. Cancel the authorization instead of refunding it."
			)
		)
	if doc.outcome != "Paid" or not doc.payment_entry:
		frappe.throw(_("Only a paid payment, booked in the accounts, can be refunded."))
	if frappe.db.get_value("Payment Entry", doc.payment_entry, "docstatus") != 1:
		frappe.throw(
			_(
				"Payment Entry {0} of this payment is not submitted: book the payment again before refunding it, or refund it in Stancer's dashboard and book that by hand."
			).format(doc.payment_entry)
		)


def given_back(record_name):
	"""Minor units this payment's refunds gave, or are giving, back (the failed ones and those
	never sent gave nothing)."""
	return int(
		frappe.db.get_value(
			REFUND,
			{"stancer_payment": record_name, "status": ("in", GIVING_BACK)},
			"sum(amount_minor)",
		)
		or 0
	)


def refusal_message(error, currency):
	p = error.params
	messages = {
		"nothing_left": lambda: _("Everything paid has been refunded already."),
		"too_small": lambda: _("Stancer does not refund less than {0} {1}.").format(
			money.from_minor(p.get("minimum"), currency), currency
		),
		"too_much": lambda: _("At most {0} {1} is left to refund on this payment.").format(
			money.from_minor(p.get("left"), currency), currency
		),
		"partial_before_capture": lambda: _(
			"An authorization not yet captured cannot be partly refunded: capture it first, or cancel it whole."
		),
		"not_refundable": lambda: _("Stancer cannot refund a payment whose status is {0}.").format(
			p.get("status") or _("not decided")
		),
	}
	message = messages.get(error.code)
	return message() if message else validation_message(error)


# -- credit notes ---------------------------------------------------------------------------------


def invoice_of(payment_request):
	"""The one submitted Sales Invoice the request was paid for, when there is exactly one."""
	pr = frappe.db.get_value(
		"Payment Request", payment_request, ["reference_doctype", "reference_name"], as_dict=True
	)
	if not pr:
		return None
	if pr.reference_doctype == "Sales Invoice":
		return pr.reference_name
	if pr.reference_doctype != "Sales Order":
		return None
	invoices = frappe.db.sql_list(
		"""select distinct si.name from `tabSales Invoice` si
		join `tabSales Invoice Item` item on item.parent = si.name
		where item.sales_order = %s and si.docstatus = 1 and si.is_return = 0""",
		pr.reference_name,
	)
	return invoices[0] if len(invoices) == 1 else None


def checked_credit_note(doc, credit_note, make_credit_note, asked):
	"""The credit note the refund goes against: one given (checked here, before anything is
	sent), or a draft made now from the paid invoice, submitted with the refund's entry."""
	if credit_note:
		note = frappe.db.get_value(
			"Sales Invoice",
			credit_note,
			["docstatus", "is_return", "customer", "outstanding_amount", "company", "debit_to"],
			as_dict=True,
		)
		if not note or note.docstatus != 1 or not note.is_return:
			frappe.throw(
				_("{0} is not a submitted credit note (a return Sales Invoice).").format(credit_note)
			)
		if note.customer != doc.customer:
			frappe.throw(
				_("Credit note {0} is for customer {1}, not {2}.").format(
					credit_note, note.customer, doc.customer
				)
			)
		paid = frappe.db.get_value("Payment Entry", doc.payment_entry, ["company", "paid_from"], as_dict=True)
		if (note.company, note.debit_to) != (paid.company, paid.paid_from):
			frappe.throw(
				_(
					"Credit note {0} is booked in {1}, account {2}; the payment was received in {3}, account {4}: choose a credit note of the same company and account."
				).format(credit_note, note.company, note.debit_to, paid.company, paid.paid_from)
			)
		if flt(note.outstanding_amount) >= 0:
			frappe.throw(_("Credit note {0} has nothing left to pay back.").format(credit_note))
		return credit_note
	if not make_credit_note:
		return None
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	invoice = invoice_of(doc.payment_request)
	if not invoice:
		frappe.throw(
			_(
				"No single Sales Invoice was paid by this payment: make the credit note by hand, then choose it."
			)
		)
	total = frappe.db.get_value(
		"Sales Invoice", invoice, ["rounded_total", "grand_total", "currency"], as_dict=True
	)
	if (total.currency or "").upper() != (doc.currency or "").upper() or money.to_minor(
		money.to_decimal(flt(total.rounded_total or total.grand_total)), doc.currency
	) != asked:
		frappe.throw(
			_(
				"A credit note is made from invoice {0} only for a refund of the whole invoice: for a part, make the credit note by hand, then choose it."
			).format(invoice)
		)
	note = make_sales_return(invoice)
	if note.meta.has_field("update_outstanding_for_self"):
		note.update_outstanding_for_self = 1  # the refund is allocated to the note itself
	note.flags.ignore_permissions = True
	note.insert()
	return note.name


# -- 2. send --------------------------------------------------------------------------------------


def send(refund_name):
	doc = frappe.get_doc(REFUND, refund_name)
	record = frappe.get_doc(RECORD, doc.stancer_payment)
	settings = frappe.get_doc("Stancer Settings", record.stancer_settings)
	cancel = bool(doc.is_cancellation)
	payment = {}
	with settings.get_client() as client:
		try:
			payment = payment_of(client, record.stancer_id)
			if cancel != (payment.get("status") == "authorized"):
				# Captured (or let go) since the accountant asked: a full refund would not
				# be the cancellation asked for, nor a cancellation the refund.
				not_sent(doc, payment.get("status") or "")
				frappe.throw(
					_(
						"Stancer says this payment is now {0}: nothing was sent. Refresh the payment and ask again."
					).format(payment.get("status") or _("not decided"))
				)
			at_stancer = client.payments.refunds(payment["id"])
			rules.check_refund(
				doc.amount_minor, payment.get("amount"), rules.given_back(at_stancer), payment.get("status")
			)
		except errors.ValidationError as error:
			not_sent(doc, refusal_message(error, doc.currency))
			if payment.get("status") == "disputed":
				sync_record(record.name, settings=settings, client=client)  # flags the dispute
			frappe.throw(refusal_message(error, doc.currency))
		except errors.StancerError as error:
			not_sent(doc, str(error))
			frappe.throw(_("Stancer could not be reached: nothing was refunded. Try again in a moment."))
		try:
			answer = client.refunds.create(payment=payment["id"], amount=None if cancel else doc.amount_minor)
		except errors.StancerError as error:
			if isinstance(error, errors.UnavailableError) and not error.maybe_processed:
				not_sent(doc, str(error))
				frappe.throw(_("Stancer could not be reached: nothing was refunded. Try again in a moment."))
			if refused_by_stancer(error):
				not_sent(doc, str(error))
				frappe.throw(_("Stancer refused the refund: {0}").format(error.message))
			# Anything else may have been made (a lost or garbled answer): look for it.
			answer = claim(doc, client, payment["id"], str(error))
			if answer is None:
				return doc.name
	record_answer(doc.name, answer)
	return doc.name


def refused_by_stancer(error):
	"""True when Stancer answered that it made nothing (a 4xx other than "too many")."""
	return not isinstance(error, errors.UnavailableError) and 400 <= (error.http_status or 0) < 500


def payment_of(client, stancer_id):
	"""The Stancer payment (`paym_…`) behind a record, whose id refunds take: an intent's own."""
	found = client.fetch(stancer_id)
	if str(stancer_id).startswith("pi_"):
		return client.payments.get(found.get("payment"))
	return found


def claim(doc, client, payment_id, error_text_):
	"""After a lost answer: the refund this request made, read back from Stancer, or None (the
	record then stays Sending with the error, for the reconciliation to settle)."""
	try:
		found = find_made(doc, client.payments.refunds(payment_id))
	except errors.StancerError:
		found = None
	if found is None:
		set_values(doc.name, {"last_error": error_text_[:500], "last_checked": now_datetime()})
		frappe.msgprint(
			_(
				"Stancer did not answer: the refund may have been made. Do not refund again; the app checks with Stancer in a few minutes."
			),
			indicator="orange",
		)
	return found


def find_made(doc, at_stancer):
	claimed = set(
		frappe.get_all(
			REFUND,
			filters={"stancer_payment": doc.stancer_payment, "stancer_refund_id": ("is", "set")},
			pluck="stancer_refund_id",
		)
	)
	return rules.unclaimed(at_stancer, claimed, doc.amount_minor, doc.asked_at)


def not_sent(doc, error):
	set_values(doc.name, {"status": "Not Sent", "last_error": error[:500], "last_checked": now_datetime()})
	if doc.credit_note and frappe.db.get_value("Sales Invoice", doc.credit_note, "docstatus") == 0:
		frappe.delete_doc("Sales Invoice", doc.credit_note, ignore_permissions=True)
		set_values(doc.name, {"credit_note": None})


def set_values(refund_name, values):
	frappe.db.set_value(REFUND, refund_name, values, update_modified=False)
	frappe.db.commit()


# -- 3. record ------------------------------------------------------------------------------------


def record_answer(refund_name, answer):
	"""Record what Stancer answered of a refund (its creation or a later read) and book it once."""
	payment_request = frappe.db.get_value(REFUND, refund_name, "payment_request")

	def work(refused=None):
		payment_request_info.lock(payment_request)
		doc = frappe.get_doc(REFUND, refund_name, for_update=True)
		update(doc, answer)
		outcome = rules.refund_outcome(answer.get("status"))
		if outcome is None:
			flag(
				doc,
				_(
					"Stancer reports refund {0} as {1}, a status this app does not know: check it by hand."
				).format(doc.stancer_refund_id, answer.get("status")),
			)
		elif refused:
			flag(doc, refused, again=True)
		elif outcome is RefundOutcome.FAILED:
			reverse(doc)
		elif (
			outcome is not RefundOutcome.CANCELED
			and not doc.is_cancellation  # nothing was taken: nothing to pay back
			and not doc.payment_entry
			and not doc.needs_attention
		):
			doc.payment_entry = book(doc)
		doc.save(ignore_permissions=True)
		show_refunded(doc.stancer_payment)
		return doc

	def attempt():
		try:
			return in_fresh_transaction(work)
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			raise
		except Exception as error:
			forget_transaction()
			if rules.refund_outcome(answer.get("status")) is RefundOutcome.FAILED:
				reason = _(
					"Stancer refund {0} failed, so nothing was given back, but its Payment Entry could not be cancelled: {1}. Cancel it by hand."
				).format(answer.get("id"), error_text(error))
			else:
				reason = _(
					"Stancer refund {0} was made but its Payment Entry could not be booked: {1}. Book it by hand."
				).format(answer.get("id"), error_text(error))
			return in_fresh_transaction(lambda: work(refused=reason))

	return with_lock_retries(attempt)


def show_refunded(record_name):
	"""Keep on the payment's record what its refunds give back, for the form and the list."""
	currency = frappe.db.get_value(RECORD, record_name, "currency")
	given = frappe.db.get_value(
		REFUND,
		{"stancer_payment": record_name, "status": ("in", GAVE_BACK)},
		"sum(amount_minor)",
	)
	frappe.db.set_value(
		RECORD,
		record_name,
		"refunded_amount",
		money.from_minor(int(given or 0), currency),
		update_modified=False,
	)


def update(doc, answer):
	doc.stancer_refund_id = doc.stancer_refund_id or answer.get("id")
	doc.stancer_status = answer.get("status") or ""
	doc.last_checked = now_datetime()
	outcome = rules.refund_outcome(answer.get("status"))
	if outcome is not None:
		doc.status = STATUS_OF[outcome]
	if answer.get("date_refund"):
		doc.sent_on = from_timestamp(answer["date_refund"])
	if answer.get("date_bank"):
		doc.credited_on = from_timestamp(answer["date_bank"])


def from_timestamp(value):
	from datetime import datetime

	from frappe.utils import convert_utc_to_system_timezone

	return convert_utc_to_system_timezone(datetime.utcfromtimestamp(int(value))).replace(tzinfo=None)


def flag(doc, reason, again=False):
	"""Flag a refund for the accountants, told once; `again` replaces an earlier reason."""
	if doc.needs_attention and not again:
		return
	doc.needs_attention = 1
	doc.attention_reason = reason
	if not doc.attention_notified:
		doc.attention_notified = 1
		notifications.tell(
			doc, _("Stancer refund {0} needs an accountant").format(doc.stancer_refund_id or doc.name), reason
		)


def reverse(doc):
	"""A refund the bank rejected gave nothing back: its entry is cancelled, the accountants told."""
	if doc.payment_entry and not doc.entry_reversed:
		entry = frappe.get_doc("Payment Entry", doc.payment_entry)
		if entry.docstatus == 1:
			entry.flags.ignore_permissions = True
			entry.cancel()
		doc.entry_reversed = 1
	flag(
		doc,
		_(
			"Stancer refund {0} of {1} {2} failed: the money stayed with you. Its Payment Entry was cancelled; refund again or settle with the customer."
		).format(doc.stancer_refund_id, doc.amount, doc.currency),
		again=True,
	)


def book(doc):
	"""The Payment Entry paying the customer back, keyed on the refund id: the payment's own
	entry turned around (same accounts, same exchange rates), for the refund's amount,
	allocated to the credit note when there is one."""
	existing = frappe.db.get_value(
		"Payment Entry", {"reference_no": doc.stancer_refund_id, "docstatus": 1}, "name"
	)
	if existing:
		return existing
	original = frappe.get_doc(
		"Payment Entry", frappe.db.get_value(RECORD, doc.stancer_payment, "payment_entry")
	)
	bank_amount = flt(doc.amount)
	party_amount = flt(
		bank_amount * flt(original.paid_amount) / flt(original.received_amount),
		original.precision("paid_amount"),
	)
	entry = frappe.new_doc("Payment Entry")
	entry.update(
		{
			"payment_type": "Pay",
			"company": original.company,
			"posting_date": nowdate(),
			"mode_of_payment": original.mode_of_payment,
			"party_type": original.party_type,
			"party": original.party,
			"party_name": original.party_name,
			"paid_from": original.paid_to,
			"paid_from_account_currency": original.paid_to_account_currency,
			"paid_to": original.paid_from,
			"paid_to_account_currency": original.paid_from_account_currency,
			"paid_amount": bank_amount,
			"received_amount": party_amount,
			"source_exchange_rate": original.target_exchange_rate,
			"target_exchange_rate": original.source_exchange_rate,
			"cost_center": original.cost_center,
			"reference_no": doc.stancer_refund_id,
			"reference_date": nowdate(),
			"remarks": _("Refund {0} of Stancer payment {1} (Payment Entry {2}). {3}")
			.format(
				doc.stancer_refund_id,
				frappe.db.get_value(RECORD, doc.stancer_payment, "stancer_id"),
				original.name,
				doc.reason or "",
			)
			.strip(),
		}
	)
	if doc.credit_note:
		note = frappe.get_doc("Sales Invoice", doc.credit_note)
		if note.docstatus == 0:
			note.flags.ignore_permissions = True
			note.submit()
		entry.append(
			"references",
			{
				"reference_doctype": "Sales Invoice",
				"reference_name": note.name,
				# ERPNext allocates to a credit note (negative outstanding) in negative.
				"allocated_amount": -min(party_amount, -flt(note.outstanding_amount)),
			},
		)
	entry.setup_party_account_field()
	entry.set_missing_values()
	if doc.credit_note:
		entry.set_missing_ref_details(force=True)
	entry.flags.ignore_permissions = True
	entry.insert(ignore_permissions=True)
	entry.submit()
	return entry.name


# -- following refunds ----------------------------------------------------------------------------


def follow(refund_name, client):
	"""Read an open refund again from Stancer and record what changed. One still Sending (its
	answer was lost) is claimed when Stancer shows it, and marked Not Sent when Stancer still
	does not, long after."""
	doc = frappe.get_doc(REFUND, refund_name)
	if doc.status == "Sending":
		record = frappe.db.get_value(RECORD, doc.stancer_payment, "stancer_id")
		payment = payment_of(client, record)
		found = find_made(doc, client.payments.refunds(payment["id"]))
		if found is not None:
			return record_answer(doc.name, found)
		if get_datetime(doc.creation) + NOT_MADE_AFTER < now_datetime():
			not_sent(doc, _("Stancer never made this refund: nothing was given back."))
		return frappe.get_doc(REFUND, refund_name)
	return record_answer(doc.name, client.refunds.get(doc.stancer_refund_id))


def open_refunds(settings_name, limit):
	return frappe.get_all(
		REFUND,
		filters={"stancer_settings": settings_name, "status": ("in", OPEN)},
		order_by="last_checked asc",
		limit=limit,
		pluck="name",
	)
