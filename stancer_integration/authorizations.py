"""Authorize now, capture later: the money is taken when the order is delivered (a Delivery
Note submitted, in a background job after the commit) or when an accountant presses Capture;
an authorization Stancer let expire is recorded as such by the reconciliation."""

import frappe
from frappe import _
from frappe.utils import flt

from stancer_integration.settlement import RECORD, capture, flag_record, sync_record, unbookable_reason


def capture_record(record_name):
	"""Capture one authorized payment at Stancer and record it; the Settlement."""
	record = frappe.db.get_value(RECORD, record_name, ["stancer_settings", "stancer_id"], as_dict=True)
	settings = frappe.get_doc("Stancer Settings", record.stancer_settings)
	with settings.get_client() as client:
		payment = capture(client, client.fetch(record.stancer_id, with_card=True))
		return sync_record(record_name, payment, settings=settings, client=client)


def on_delivery(doc, method=None):
	"""Delivery Note on_submit: capture the authorizations of the orders it delivers, after the
	commit (never inside the submit: a Stancer call must not hold the delivery's transaction)."""
	if doc.get("is_return"):
		return
	orders = sorted({item.against_sales_order for item in doc.items if item.get("against_sales_order")})
	if not orders or not frappe.db.exists(
		RECORD,
		{"reference_doctype": "Sales Order", "reference_name": ("in", orders), "outcome": "Authorized"},
	):
		return
	frappe.enqueue(
		"stancer_integration.authorizations.capture_orders",
		queue="short",
		orders=orders,
		enqueue_after_commit=True,
	)


def capture_orders(orders):
	"""Background job: capture the open authorizations of these Sales Orders once each is
	delivered in full, and only where its Payment Request can still take the money (not
	cancelled, not paid meanwhile by other means): otherwise the record is flagged instead."""
	delivered = [
		order for order in orders if flt(frappe.db.get_value("Sales Order", order, "per_delivered")) >= 99.99
	]
	for record in frappe.get_all(
		RECORD,
		filters={
			"reference_doctype": "Sales Order",
			"reference_name": ("in", delivered or [""]),
			"outcome": "Authorized",
			"needs_attention": 0,
		},
		fields=["name", "payment_request"],
	):
		name = record.name
		try:
			if not still_due(record):
				continue
			capture_record(name)
		except Exception as error:
			frappe.db.rollback()
			frappe.db.set_value(
				RECORD,
				name,
				"last_error",
				_("Capture on delivery failed: {0}").format(str(error)[:400]),
				update_modified=False,
			)
			frappe.db.commit()


def still_due(record):
	"""True when the record's Payment Request can take its money; else the record is flagged
	(an accountant lets the authorization go or books it by hand) and False."""
	doc = frappe.get_doc(RECORD, record.name)
	pr = frappe.get_doc("Payment Request", record.payment_request)
	reason = unbookable_reason(pr, doc)
	if not reason:
		return True
	flag_record(doc.name, _("Not captured on delivery: {0}").format(reason))
	return False
