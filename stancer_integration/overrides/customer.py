"""Customer doc events: the Stancer ids on a Customer are written by the app only."""

import frappe
from frappe import _

from stancer_integration.customers import CHILD_DOCTYPE, TABLE_FIELD


def keep_references_read_only(doc, method=None):
	"""Customer validate hook: users cannot add, change or drop Stancer rows; the app can."""
	if doc.flags.stancer_references_update:
		return
	if doc.is_new():
		# A new Customer starts with none: a row copied from another would charge their card.
		doc.set(TABLE_FIELD, [])
		return
	saved = frappe.get_all(
		CHILD_DOCTYPE,
		filters={"parent": doc.name, "parenttype": "Customer", "parentfield": TABLE_FIELD},
		fields=[
			"name",
			"stancer_settings",
			"mode",
			"public_key",
			"stancer_customer_id",
			"payment_method_id",
			"idx",
		],
		order_by="idx asc",
	)

	def key(row):
		return (
			row.get("stancer_settings"),
			row.get("public_key"),
			row.get("stancer_customer_id"),
			row.get("payment_method_id"),
		)

	current = [key(r.as_dict() if hasattr(r, "as_dict") else r) for r in doc.get(TABLE_FIELD) or []]
	if current != [key(r) for r in saved]:
		frappe.msgprint(_("The Stancer table is filled by the app and cannot be edited."), alert=True)
		# Put back what is stored (same row names) rather than failing the whole Customer save.
		doc.set(TABLE_FIELD, [])
		for row in saved:
			doc.append(TABLE_FIELD, row)
