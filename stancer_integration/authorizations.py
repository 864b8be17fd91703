"""Authorize now, capture later: the money is taken when the order is delivered (a Delivery
Note submitted, in a background job after the commit) or when an accountant presses Capture;
an authorization Stancer let expire is recorded as such by the reconciliation."""

import frappe
from frappe import _

from stancer_integration.settlement import RECORD, capture, sync_record


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
	"""Background job: capture each open authorization of these Sales Orders."""
	for name in frappe.get_all(
		RECORD,
		filters={
			"reference_doctype": "Sales Order",
			"reference_name": ("in", orders),
			"outcome": "Authorized",
			"needs_attention": 0,
		},
		pluck="name",
	):
		try:
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
