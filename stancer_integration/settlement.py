"""Recording a paid Stancer payment exactly once.

Every path — the return page, webhooks and the scheduled reconciliation — hands the payment it
fetched from Stancer to `settle`, which under a lock on the Payment Request records it at most
once: a paid Stancer payment ends as a Paid Payment Request with exactly one Payment Entry, or,
when it cannot be booked (request cancelled or paid by other means, amount changed), as a
Stancer Payment flagged for an accountant. Nothing is lost and nothing is booked twice.
"""

import inspect
from dataclasses import dataclass
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt, now_datetime, nowdate

from stancer_integration.privileges import as_administrator
from stancer_integration.stancer import errors, money
from stancer_integration.stancer.statuses import Outcome, is_final, is_intent, needs_capture, object_outcome

RECORD = "Stancer Payment"


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


def sync_record(record_name, payment=None, settings=None):
	"""Fetch a record's payment from Stancer (unless given), capture it when due, record it.

	Callers that hold the record's Stancer Settings already pass them in."""
	stancer_settings, stancer_id = frappe.db.get_value(
		RECORD, record_name, ["stancer_settings", "stancer_id"]
	)
	settings = settings or frappe.get_doc("Stancer Settings", stancer_settings)
	with settings.get_client() as client:
		if payment is None:
			payment = client.fetch(stancer_id, with_card=True)
		if needs_capture(payment) and settings.capture_mode == "Immediately":
			payment = capture(client, payment)
	return settle(record_name, payment)


def capture(client, payment):
	"""Capture an authorized payment or intent; a capture made meanwhile by a concurrent
	request (Stancer answers 409) is read back instead."""
	try:
		captured = client.capture(payment["id"])
	except errors.ConflictError:
		return client.fetch(payment["id"], with_card=True)
	# An intent's capture answer names its card by id only: keep the card we fetched.
	return dict(captured, card=payment.get("card")) if is_intent(captured) else captured


def settle(record_name, payment):
	"""Record what Stancer says of a payment. Safe to call any number of times, concurrently."""
	with as_administrator():
		# A fresh transaction, so the reads after the lock see what other requests committed.
		frappe.db.commit()
		try:
			result = _settle_locked(record_name, payment)
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			raise
	return result


def _settle_locked(record_name, payment):
	# Locking reads only until the Payment Request is locked: MariaDB's repeatable read takes
	# its snapshot at the first plain read, which must come after the lock to see what the
	# request that held it before us committed (its Payment Entry, say).
	payment_request = frappe.db.get_value(RECORD, record_name, "payment_request", for_update=True)
	# The one lock every path takes: the Payment Request row.
	frappe.db.get_value("Payment Request", payment_request, "name", for_update=True)
	record = frappe.get_doc(RECORD, record_name, for_update=True)
	update_record(record, payment)
	result = Settlement(record.name, payment_request, record.outcome)
	if record.payment_entry or record.needs_attention or record.outcome != "Paid":
		record.save(ignore_permissions=True)
		return _finish(result, record)

	# Booked already under this id (say, by Dokos before a crash): adopt it, book nothing.
	entry = entry_for(record.stancer_id)
	if not entry:
		pr = frappe.get_doc("Payment Request", payment_request)
		reason = unbookable_reason(pr, record)
		if reason:
			flag(record, reason)
			record.save(ignore_permissions=True)
			return _finish(result, record)
		before = allocated_entries(pr.name)
		result.redirect_to = run_payment_authorized_hooks(pr, record.stancer_id)
		entry = entry_for(record.stancer_id) or _adopt_new_entry(pr.name, before, record.stancer_id)
		if not entry:
			entry = create_entry(pr, record)
	record.payment_entry = entry
	record.save(ignore_permissions=True)
	return _finish(result, record)


def _finish(result, record):
	result.outcome = record.outcome
	result.payment_entry = record.payment_entry
	result.needs_attention = bool(record.needs_attention)
	return result


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


def flag(record, reason):
	record.needs_attention = 1
	record.attention_reason = reason


def amount_due(pr):
	"""What is still due on a Payment Request, in the request's own currency (Decimal).

	`outstanding_amount` is in the party account's currency; when that differs from the
	request's, it is brought back to the request's currency in proportion.
	"""
	if pr.docstatus != 1 or pr.status in ("Paid", "Cancelled"):
		return Decimal(0)
	outstanding = money.to_decimal(flt(pr.outstanding_amount))
	grand_total = money.to_decimal(flt(pr.grand_total))
	if outstanding <= 0:
		return Decimal(0)
	party_currency = pr.get("party_account_currency") or pr.currency
	if party_currency == pr.currency:
		return outstanding
	ref = frappe.db.get_value(
		pr.reference_doctype,
		pr.reference_name,
		["rounded_total", "grand_total", "base_rounded_total", "base_grand_total"],
		as_dict=True,
	)
	doc_total = money.to_decimal(flt(ref.rounded_total or ref.grand_total))
	base_total = money.to_decimal(flt(ref.base_rounded_total or ref.base_grand_total))
	full_outstanding = grand_total / doc_total * base_total if doc_total else outstanding
	if not full_outstanding:
		return grand_total
	due = grand_total * outstanding / full_outstanding
	return min(due, grand_total).quantize(Decimal(1).scaleb(-money.exponent(pr.currency)))


def unbookable_reason(pr, record):
	if pr.docstatus == 2 or pr.status == "Cancelled":
		return _(
			"Stancer payment {0} was paid but Payment Request {1} is cancelled: refund it or book it by hand."
		).format(record.stancer_id, pr.name)
	if pr.docstatus != 1:
		return _("Stancer payment {0} was paid but Payment Request {1} is not submitted.").format(
			record.stancer_id, pr.name
		)
	due = amount_due(pr)
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
	"""A submitted Payment Entry already keyed on this Stancer payment id."""
	return frappe.db.get_value(
		"Payment Entry", {"reference_no": stancer_id, "docstatus": 1}, "name", for_update=True
	)


def allocated_entries(payment_request):
	return set(
		frappe.get_all(
			"Payment Entry Reference",
			filters={"payment_request": payment_request, "docstatus": 1},
			pluck="parent",
		)
	)


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


def _adopt_new_entry(payment_request, before, stancer_id):
	"""A Payment Entry a hook just made for this request becomes the record's, keyed on the id."""
	new = sorted(allocated_entries(payment_request) - before)
	if not new:
		return None
	entry = new[0]
	# The hook keyed it on the request's name; key it on the Stancer id, as our own entries are.
	frappe.db.set_value("Payment Entry", entry, "reference_no", stancer_id, update_modified=False)
	return entry


def create_entry(pr, record):
	entry = pr.create_payment_entry(submit=False)
	entry.reference_no = record.stancer_id
	entry.reference_date = nowdate()
	entry.remarks = (entry.remarks or "") + "\n" + _("Stancer payment {0}").format(record.stancer_id)
	entry.flags.ignore_permissions = True
	entry.insert(ignore_permissions=True)
	entry.submit()
	if hasattr(pr, "make_invoice"):
		pr.make_invoice()  # what set_as_paid does for webshop orders (Shopping Cart only)
	return entry.name
