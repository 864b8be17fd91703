"""Records customers' card payments taken through Stancer in the books, exactly once.

Every path — the return page, the checkout link, the Desk buttons, the webhooks and the
scheduled reconciliation — hands the payment it fetched from Stancer to `settle`, which under a
lock on the Payment Request records it at most once: a paid Stancer payment ends as a Paid
Payment Request with exactly one Payment Entry or, when it cannot be booked (request cancelled
or paid by other means, amount changed, ERPNext refusing the entry), as a Stancer Payment
flagged for an accountant with the reason. Nothing is lost and nothing is booked twice.
"""

import inspect
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import flt, now_datetime, nowdate

from stancer_integration import gateway_records, notifications, payment_request_info, saved_cards
from stancer_integration.permissions import as_administrator
from stancer_integration.stancer import errors, money
from stancer_integration.stancer.statuses import (
	Outcome,
	is_final,
	is_intent,
	needs_capture,
	object_outcome,
	unknown_status,
)

RECORD = "Stancer Payment"
# Fields whose change is worth a save (and a Version); last_checked alone is not.
TRACKED = (
	"stancer_id",
	"outcome",
	"stancer_status",
	"response_code",
	"card_brand",
	"card_last4",
	"payment_entry",
	"needs_attention",
	"attention_reason",
	"last_error",
)
LOCK_RETRIES = 5


@dataclass
class Settlement:
	record: str
	payment_request: str
	outcome: str  # the Stancer Payment's outcome label (Pending, Paid, Failed, …)
	payment_entry: str | None = None
	needs_attention: bool = False
	redirect_to: str | None = None


def outcome_label(outcome):
	return Outcome(outcome).value.capitalize()


def with_lock_retries(work):
	"""Run `work()` (which commits), again after a deadlock or lock wait timeout.

	MariaDB rolls a deadlocked transaction back whole, so the work starts over from its first
	lock; after the last try the error goes up and the payment stays to be recorded later."""
	for attempt in range(LOCK_RETRIES):
		try:
			return work()
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			frappe.db.rollback()
			if attempt == LOCK_RETRIES - 1:
				raise
			time.sleep(random.uniform(0.05, 0.2 * (attempt + 1)))


def sync_record(record_name, payment=None, settings=None, client=None):
	"""Fetch a record's payment from Stancer (unless given), capture it when it was asked to be
	captured at once, and record it. Callers that hold the Stancer Settings (or a client of
	theirs, reused across many records) pass them in."""
	try:
		record, payment = fetch_record(record_name, payment, settings, client)
	except Unreadable as unreadable:
		return flag_unreadable(record_name, unreadable.record, unreadable.reason)
	return settle(record_name, payment, record.payment_request)


class Unreadable(Exception):
	"""These settings cannot read the record's payment: `reason` says why, for the accountant."""

	def __init__(self, record, reason):
		super().__init__(reason)
		self.record = record
		self.reason = reason


def fetch_record(record_name, payment=None, settings=None, client=None, record=None, refunds=True):
	"""The record's values (`record`, when the caller read them) and its payment as Stancer has
	it now (`fetch_for_recording`); raises Unreadable when the settings' keys cannot read it."""
	record = record or frappe.db.get_value(
		RECORD,
		record_name,
		["payment_request", "stancer_settings", "stancer_id", "public_key", "outcome", "payment_entry"],
		as_dict=True,
	)
	settings = settings or frappe.get_doc("Stancer Settings", record.stancer_settings)
	if record.public_key and record.public_key != settings.public_key:
		# Made under keys these settings no longer hold: the new keys cannot read it.
		raise Unreadable(record, account_changed_reason(record.stancer_id, record.public_key))
	own_client = client is None
	client = client or settings.get_client()
	try:
		payment = fetch_for_recording(
			client, record.stancer_id, payment, refunds=refunds and not record.payment_entry
		)
	except errors.NotFoundError:
		raise Unreadable(
			record,
			_(
				"Stancer does not know payment {0} under the account these settings use: check it in the Stancer dashboard of the account it was made with."
			).format(record.stancer_id),
		) from None
	finally:
		if own_client:
			client.close()
	return record, payment


def fetch_for_recording(client, stancer_id, payment=None, refunds=True):
	"""The payment as Stancer has it now (unless given), captured when it was created to be
	captured at once. An authorization the merchant captures by hand is never captured by a
	visit, whatever the settings say now. With `refunds` (a payment not booked yet), a paid one
	comes with what its refunds gave back (`read_refunds`)."""
	if payment is None:
		payment = client.fetch(stancer_id, with_card=True)
	if needs_capture(payment) and payment.get("capture") is True:
		payment = capture(client, payment)
	return read_refunds(client, payment) if refunds else payment


def read_refunds(client, payment):
	"""A paid payment with what its refunds gave back, so one refunded before anybody saw it is
	not booked as paid."""
	if is_intent(payment) or object_outcome(payment) is not Outcome.PAID:
		return payment
	try:
		return client.payments.with_refunds(payment)
	except errors.StancerError:
		# Stancer's v2 refund list is not reliable yet (its own plugins read v1): without it
		# the payment is booked as paid, the usual case, rather than not at all.
		return payment


def account_changed_reason(stancer_id, public_key):
	return _(
		"Stancer payment {0} was made with the Stancer account of public key {1}; these Stancer Settings now use another account and cannot read it. Check it in that account's dashboard."
	).format(stancer_id, public_key)


def flag_unreadable(record_name, record, reason):
	"""Flag an open record the current keys cannot read; a settled one is left as it is."""
	if record.payment_entry or record.outcome not in ("Pending", "Authorized", None, ""):
		return Settlement(record_name, record.payment_request, record.outcome, record.payment_entry)
	return flag_record(record_name, reason, record.payment_request)


def flag_record(record_name, reason, payment_request=None, own_transaction=True):
	"""Flag a record for the accountants (told once), under its Payment Request's lock: in
	transactions of its own, or (own_transaction=False) in the caller's, committing nothing."""
	payment_request = payment_request or frappe.db.get_value(RECORD, record_name, "payment_request")

	def work():
		payment_request_info.lock(payment_request)
		doc = frappe.get_doc(RECORD, record_name, for_update=True)
		before = tracked(doc)
		if not doc.needs_attention:
			flag(doc, reason)
		save_if_changed(doc, before)
		return _result(Settlement(doc.name, doc.payment_request, doc.outcome), doc)

	if not own_transaction:
		return work()

	with as_administrator():
		return with_lock_retries(lambda: in_fresh_transaction(work))


def capture(client, payment):
	"""Capture an authorized payment or intent; a capture made meanwhile by a concurrent
	request (Stancer answers 409) is read back instead."""
	try:
		captured = client.capture(payment["id"])
	except errors.ConflictError:
		return client.fetch(payment["id"], with_card=True)
	# An intent's capture answer names its card by id only: keep the card we fetched.
	return dict(captured, card=payment.get("card")) if is_intent(captured) else captured


def settle(record_name, payment, payment_request=None):
	"""Record what Stancer says of a payment. Safe to call any number of times, concurrently."""
	with as_administrator():
		if not payment_request:
			# Never changes once set: read before the transaction that takes the locks.
			payment_request = frappe.db.get_value(RECORD, record_name, "payment_request")
		return with_lock_retries(lambda: _settle_in_transaction(record_name, payment, payment_request))


class BookingRefused(Exception):
	"""ERPNext (or another app's hook) refused to book a paid payment: `reason` for the
	accountant, `details` the error as it was raised."""

	def __init__(self, reason, details):
		super().__init__(reason)
		self.reason = reason
		self.details = details


def in_fresh_transaction(work):
	"""`work()` in a transaction of its own, committed. Its first read must be its lock:
	MariaDB's repeatable read takes its snapshot at the first plain read, which must come after
	the lock to see what the request that held it before committed (its Payment Entry, say)."""
	frappe.db.commit()
	result = work()
	frappe.db.commit()
	return result


def _settle_in_transaction(record_name, payment, payment_request):
	def work():
		payment_request_info.lock(payment_request)
		try:
			return settle_locked(record_name, payment)
		except BookingRefused as refused:
			# Undo the whole attempt (a savepoint would keep what it queued for after the
			# commit: webhooks of an entry that never was), then flag the record cleanly.
			forget_transaction()
			payment_request_info.lock(payment_request)
			return settle_locked(record_name, payment, refused=refused)

	return in_fresh_transaction(work)


def forget_transaction():
	frappe.db.rollback()
	if hasattr(frappe.local, "_webhook_queue"):
		del frappe.local._webhook_queue


def settle_locked(record_name, payment, refused=None):
	"""`settle` for a caller that holds the Payment Request's lock; commits nothing. With
	`refused`, a booking that failed before is not tried again: the record is flagged.

	Locks are always taken in one order — the Payment Request, then its Stancer Payment — and
	nothing else is locked, so settling one payment never waits on another's."""
	record = frappe.get_doc(RECORD, record_name, for_update=True)
	before = tracked(record)
	result = Settlement(record.name, record.payment_request, record.outcome)
	mismatch = not_this_payment(record, payment)
	if mismatch:
		if not record.needs_attention:
			flag(record, mismatch)
		save_if_changed(record, before)
		return _result(result, record)
	update_record(record, payment)
	saved_cards.after_update(record, payment, before["outcome"])
	if record.payment_entry and record.outcome == "Disputed" and not record.needs_attention:
		flag(
			record,
			_(
				"The cardholder disputes Stancer payment {0}, booked in Payment Entry {1}: the bank may take the money back. Nothing was booked for the dispute; answer it in Stancer's dashboard."
			).format(record.stancer_id, record.payment_entry),
		)
	if record.payment_entry or record.needs_attention:
		save_if_changed(record, before)
		return _result(result, record)
	reason = unexpected_status_reason(record, payment)
	if reason:
		flag(record, reason)
	elif record.outcome == "Paid" and refused:
		flag(record, refused.reason, error=refused.details)
	elif record.outcome == "Paid":
		entry, result.redirect_to = book(record)
		record.payment_entry = entry
	save_if_changed(record, before)
	return _result(result, record)


def will_book(record, payment):
	"""Whether `settle` would book `payment` for `record` (the values of its Stancer Payment) as
	a Payment Entry, with nothing known ahead to stop it: `settle_locked`'s checks, read without
	locks or writes, for answering a customer before the booking, which `settle` decides again
	under the lock. What only trying shows (ERPNext or another app refusing the entry) is not
	known here."""
	if object_outcome(payment) is not Outcome.PAID:
		return False
	if record.payment_entry or record.needs_attention or not_this_payment(record, payment):
		return False
	record = frappe._dict(record, outcome="Paid")
	if unexpected_status_reason(record, payment):
		return False
	pr = payment_request_info.read(record.payment_request)
	return bool(pr) and not unbookable_reason(pr, record)


def _result(result, record):
	result.outcome = record.outcome
	result.payment_entry = record.payment_entry
	result.needs_attention = bool(record.needs_attention)
	return result


def tracked(record):
	return {field: record.get(field) for field in TRACKED}


def save_if_changed(record, before):
	"""Save (and so keep a Version) only when something worth knowing changed; a record that
	comes to need an accountant tells them, once."""
	if tracked(record) != before:
		if record.needs_attention and not record.attention_notified:
			record.attention_notified = 1
			notifications.needs_attention(record)
		record.save(ignore_permissions=True)
	else:
		frappe.db.set_value(RECORD, record.name, "last_checked", record.last_checked, update_modified=False)


def not_this_payment(record, payment):
	"""Why `payment` cannot be this record's, or None: a record only ever takes the payment it
	was made for, at the amount and in the currency it asked for."""
	if record.stancer_id and payment.get("id") != record.stancer_id:
		return _(
			"Stancer answered with payment {0} for the record of payment {1}: nothing was recorded."
		).format(payment.get("id"), record.stancer_id)
	amount = payment.get("amount")
	currency = str(payment.get("currency") or "").upper()
	if amount != record.amount_minor or currency != (record.currency or "").upper():
		shown = money.from_minor(amount, currency) if isinstance(amount, int) and currency else amount
		return _(
			"Stancer payment {0} is for {1} {2} but this attempt asked for {3} {4}: nothing was booked; check it by hand."
		).format(payment.get("id"), shown, currency, record.amount, record.currency)
	return None


def unexpected_status_reason(record, payment):
	"""A reason to flag a payment first seen refunded, disputed, or in a status the app does
	not know; None otherwise. (A record booked before is not flagged here.)"""
	status = unknown_status(payment)
	if status:
		return _(
			"Stancer reports payment {0} as {1}, a status this app does not know: check it by hand."
		).format(record.stancer_id, status)
	if payment.get("refunded_amount") and record.outcome == "Paid":
		return _(
			"Stancer payment {0} was partly refunded before it was recorded here: nothing was booked; check it by hand."
		).format(record.stancer_id)
	if record.outcome == "Refunded":
		return _("Stancer payment {0} was refunded before it was recorded here: nothing was booked.").format(
			record.stancer_id
		)
	if record.outcome == "Disputed":
		return _(
			"Stancer payment {0} was disputed by the cardholder before it was recorded here: nothing was booked; check it by hand."
		).format(record.stancer_id)
	return None


def update_record(record, payment):
	"""Copy what Stancer says onto the record (ids and labels only: no card number, ever).

	A snapshot fetched before another request's newer one is never allowed to move a record
	back from a final outcome (Paid, Failed…) to an open one (Pending, Authorized).
	"""
	record.stancer_id = record.stancer_id or payment.get("id")
	record.last_checked = now_datetime()
	outcome = object_outcome(payment)
	if record.outcome and is_final(record.outcome.lower()) and not is_final(outcome):
		return
	record.stancer_status = payment.get("status") or ""
	record.response_code = payment.get("response") or ""
	record.outcome = outcome_label(outcome)
	card = payment.get("card")
	if isinstance(card, dict):
		record.card_brand = card.get("brand") or record.card_brand
		record.card_last4 = card.get("last4") or record.card_last4


def first_seen(record, payment):
	"""A new record of a payment Stancer already holds (an adopted or recovered attempt): its
	ids, status and card, its outcome left Pending for `settle`, which books a paid one in the
	same transaction. A record is never committed paid and unbooked: one whose recording stops
	half way stays open, and the reconciliation reads it again."""
	update_record(record, payment)
	record.outcome = outcome_label(Outcome.PENDING)


def flag(record, reason, error=None):
	record.needs_attention = 1
	record.attention_reason = reason
	if error:
		record.last_error = error


# -- booking ------------------------------------------------------------------------------------


def book(record):
	"""The Payment Entry of a paid record: adopted, or made now; None when it cannot be booked
	(the record is then flagged with the reason). Returns (entry, redirect from other apps).
	Raises BookingRefused when ERPNext or a hook refuses: the caller undoes the transaction."""
	entry = entry_for(record.stancer_id)
	if entry:
		# Booked already under this id (say, by Dokos before a crash): adopt it, book nothing.
		return entry, None
	pr = frappe.get_doc("Payment Request", record.payment_request)
	reason = unbookable_reason(pr, record)
	if reason:
		flag(record, reason)
		return None, None
	messages = len(frappe.local.message_log or [])
	try:
		redirect_to = None
		if order_is_billed(pr):
			# Invoiced since the link was sent: other apps' hooks would try to pay the order.
			entry = create_entry(pr, record)
		else:
			# The same read before and after the hooks: what only the second sees was made by
			# them, in this transaction (others' entries committed meanwhile are not seen).
			since = now_datetime() - timedelta(days=1)
			before = entries_of(pr, since)
			redirect_to = run_payment_authorized_hooks(pr, record.stancer_id)
			entry = entry_for(record.stancer_id) or _adopt_new_entry(pr, before, since, record)
			if not entry:
				entry = create_entry(pr, record)
	except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
		raise  # the whole transaction is gone: with_lock_retries starts over
	except Exception as error:
		# What ERPNext said goes on the record, not on the customer's page.
		del frappe.local.message_log[messages:]
		raise BookingRefused(
			_("Stancer payment {0} was paid but could not be booked on Payment Request {1}: {2}").format(
				record.stancer_id, pr.name, error_text(error)
			),
			frappe.get_traceback(with_context=False)[-2000:],
		) from error
	return entry, redirect_to


def error_text(error):
	text = frappe.utils.strip_html(str(error) or type(error).__name__)
	return text[:500]


def unbookable_reason(pr, record):
	if pr.docstatus == 2 or pr.status == "Cancelled":
		return _(
			"Stancer payment {0} was paid but Payment Request {1} is cancelled: refund it or book it by hand."
		).format(record.stancer_id, pr.name)
	if pr.docstatus != 1:
		return _("Stancer payment {0} was paid but Payment Request {1} is not submitted.").format(
			record.stancer_id, pr.name
		)
	due = payment_request_info.amount_due(pr)
	if due <= 0:
		return _(
			"Stancer payment {0} was paid but Payment Request {1} was already paid by other means: refund it or book it by hand."
		).format(record.stancer_id, pr.name)
	if (
		money.to_minor(due, pr.currency) != record.amount_minor
		or (record.currency or "").upper() != (pr.currency or "").upper()
	):
		return _(
			"Stancer payment {0} is for {1} {2} but {3} {4} is due on Payment Request {5}: book it by hand."
		).format(record.stancer_id, record.amount, record.currency, due, pr.currency, pr.name)
	return None


def entry_for(stancer_id):
	"""A submitted Payment Entry already keyed on this Stancer payment id.

	A plain read, never a locking one: the Payment Request's lock already serializes every
	recording of its payments, and a locking scan of Payment Entry (reference_no has no index)
	would lock other payments' entries and deadlock against them."""
	return frappe.db.get_value("Payment Entry", {"reference_no": stancer_id, "docstatus": 1}, "name")


def entries_of(pr, since=None):
	"""Submitted Payment Entries that may be the request's: allocated to it, keyed on its name
	(what ERPNext's set_as_paid writes), or — with `since` — any payment received from its party
	created since then. ERPNext re-points an entry to the invoice made from the order and clears
	its request on the row; another version may key it otherwise: whatever an app's hook books for
	the payment is still a payment received from the party, and the one the same read did not
	show before the hook ran. Money paid back (a refund) is never one."""
	allocated = frappe.get_all(
		"Payment Entry Reference",
		filters={"payment_request": pr.name, "docstatus": 1},
		pluck="parent",
	)
	keyed = frappe.get_all("Payment Entry", filters={"reference_no": pr.name, "docstatus": 1}, pluck="name")
	made = []
	party = pr.get("party") or payment_request_info.customer_of(pr)
	if since is not None and party:
		made = frappe.get_all(
			"Payment Entry",
			filters={
				"party_type": pr.get("party_type") or "Customer",
				"party": party,
				"payment_type": "Receive",
				"docstatus": 1,
				"creation": (">=", since),
			},
			pluck="name",
		)
	return set(allocated) | set(keyed) | set(made)


def run_payment_authorized_hooks(pr, stancer_id):
	"""Let other apps act (webshop, Dokos): ERPNext 15 itself settles nothing here.

	Dokos' on_payment_authorized(status, reference_no) books the payment itself, keyed on
	reference_no, so it receives the Stancer id.
	"""
	method = getattr(pr, "on_payment_authorized", None)
	kwargs = {}
	if method is not None and "reference_no" in inspect.signature(method).parameters:
		kwargs["reference_no"] = stancer_id
	redirect = pr.run_method("on_payment_authorized", "Completed", **kwargs)
	return redirect if isinstance(redirect, str) and redirect != "no-redirection" else None


def _adopt_new_entry(pr, before, since, record):
	"""A Payment Entry a hook just made for this request becomes the record's, keyed on the
	Stancer id and given the gateway's mode of payment. Several (a hook booking twice) are
	never guessed away: the one for the amount charged is kept and the record flagged."""
	new = sorted(entries_of(pr, since) - before)
	if not new:
		return None
	entry = new[0]
	if len(new) > 1:
		charged = flt(record.amount)
		amounts = dict(
			frappe.get_all(
				"Payment Entry",
				filters={"name": ("in", new)},
				fields=["name", "received_amount"],
				as_list=True,
			)
		)
		entry = next((name for name in new if flt(amounts.get(name)) == charged), entry)
		flag(
			record,
			_(
				"Stancer payment {0}: other apps booked several Payment Entries for it ({1}); {2} is kept as its entry. Check the others."
			).format(record.stancer_id, ", ".join(new), entry),
		)
	# The hook keyed it on the request's name; key it on the Stancer id, as our own entries are.
	values = {"reference_no": record.stancer_id}
	mode = gateway_records.mode_of_payment_of(pr.payment_gateway)
	if mode and not frappe.db.get_value("Payment Entry", entry, "mode_of_payment"):
		values["mode_of_payment"] = mode
	frappe.db.set_value("Payment Entry", entry, values, update_modified=False)
	return entry


def create_entry(pr, record):
	"""Book what Stancer took: a Payment Entry keyed on the Stancer id, for the amount charged.

	A Sales Order invoiced in full since the link was sent cannot take a payment any more
	(ERPNext: "Can only make payment against unbilled Sales Order"): the entry then goes to the
	order's submitted invoices, as an accountant would book it.
	"""
	if order_is_billed(pr):
		entry = entry_against_invoices(pr)
	else:
		entry = pr.create_payment_entry(submit=False)
	book_amount_charged(entry, record)
	entry.reference_no = record.stancer_id
	entry.reference_date = nowdate()
	entry.mode_of_payment = entry.get("mode_of_payment") or gateway_records.mode_of_payment_of(
		pr.payment_gateway
	)
	entry.remarks = (entry.remarks or "") + "\n" + _("Stancer payment {0}").format(record.stancer_id)
	entry.flags.ignore_permissions = True
	entry.insert(ignore_permissions=True)
	entry.submit()
	if hasattr(pr, "make_invoice") and not order_is_billed(pr):
		pr.make_invoice()  # what set_as_paid does for webshop orders (Shopping Cart only)
	return entry.name


def book_amount_charged(entry, record):
	"""The bank side of the entry is what Stancer charged, to the cent; the exchange rate
	follows, so the party side (the request's outstanding amount) is unchanged."""
	charged = flt(record.amount)
	if entry.paid_to_account_currency != (record.currency or "").upper() or not charged:
		return
	if flt(entry.received_amount) == charged:
		return
	entry.received_amount = charged
	if entry.paid_to_account_currency != entry.paid_from_account_currency:
		entry.target_exchange_rate = flt(entry.base_paid_amount) / charged
		entry.base_received_amount = flt(entry.base_paid_amount)


def order_is_billed(pr):
	if pr.reference_doctype != "Sales Order":
		return False
	return flt(frappe.db.get_value("Sales Order", pr.reference_name, "per_billed"), 2) >= 99.99


def entry_against_invoices(pr):
	"""A Payment Entry for the request's amount, allocated to the order's submitted invoices."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	invoices = frappe.db.sql(
		"""select distinct si.name, si.outstanding_amount
		from `tabSales Invoice` si join `tabSales Invoice Item` item on item.parent = si.name
		where item.sales_order = %s and si.docstatus = 1 and si.outstanding_amount > 0
		order by si.posting_date, si.name""",
		pr.reference_name,
		as_dict=True,
	)
	amount = flt(pr.outstanding_amount)
	if sum(flt(i.outstanding_amount) for i in invoices) + 0.005 < amount:
		frappe.throw(
			_("Sales Order {0} is invoiced and its invoices have less outstanding than the {1} paid.").format(
				pr.reference_name, amount
			)
		)
	entry = get_payment_entry(
		"Sales Invoice", invoices[0].name, party_amount=amount, bank_account=pr.payment_account
	)
	entry.set("references", [])
	left = amount
	for invoice in invoices:
		if left <= 0:
			break
		allocated = min(left, flt(invoice.outstanding_amount))
		entry.append(
			"references",
			{
				"reference_doctype": "Sales Invoice",
				"reference_name": invoice.name,
				"allocated_amount": allocated,
				"payment_request": pr.name,
			},
		)
		left = flt(left - allocated, 2)
	entry.set_missing_ref_details(force=True)
	entry.remarks = _(
		"Payment Entry against Sales Order {0}, invoiced in {1}, via Payment Request {2}"
	).format(pr.reference_name, ", ".join(i.name for i in invoices), pr.name)
	entry.mode_of_payment = pr.get("mode_of_payment")
	return entry
