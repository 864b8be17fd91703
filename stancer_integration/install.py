"""Install, migrate and uninstall steps."""

import frappe
from frappe import _
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from stancer_integration import gateway_records

SETTINGS_DOCTYPE = "Stancer Settings"
MODULE = "Stancer Integration"

CUSTOM_FIELDS = {
	"Customer": [
		{
			"fieldname": "stancer_tab",
			"fieldtype": "Tab Break",
			"label": "Stancer",
			"insert_after": "portal_users",
		},
		{
			"fieldname": "stancer_references",
			"fieldtype": "Table",
			"label": "Stancer",
			"options": "Stancer Customer Reference",
			"insert_after": "stancer_tab",
			"read_only": 1,
			"no_copy": 1,
			"description": "Ids of this customer at Stancer, one row per Stancer account and mode. Filled by the app.",
		},
	]
}


def before_install():
	"""Stop before changing anything when another app already owns a "Stancer Settings" doctype.

	Dokos v4 ships its own Stancer connector with a doctype of that name; installing over it
	would take the doctype away from it.
	"""
	module = frappe.db.get_value("DocType", SETTINGS_DOCTYPE, "module")
	if module and module != MODULE:
		app = frappe.db.get_value("Module Def", module, "app_name") or module
		frappe.throw(
			_(
				"The app {0} already provides the doctype {1}. Stancer Integration cannot be installed on this site beside it: use {0}'s Stancer connector, or uninstall it first."
			).format(frappe.bold(app), frappe.bold(SETTINGS_DOCTYPE)),
			title=_("Another Stancer connector is installed"),
		)


def after_install():
	make_custom_fields()


def after_migrate():
	make_custom_fields()
	make_modes_of_payment()


def make_modes_of_payment():
	"""Settings made before modes of payment existed get theirs (and nothing else changes)."""
	for name in frappe.get_all(SETTINGS_DOCTYPE, pluck="name"):
		settings = frappe.get_doc(SETTINGS_DOCTYPE, name)
		if settings.payment_gateway and settings.payment_gateway_account:
			account = frappe.db.get_value(
				"Payment Gateway Account", settings.payment_gateway_account, "payment_account"
			)
			if account:
				gateway_records.ensure_mode_of_payment(settings, settings.payment_gateway, account)
			if account and not settings.receiving_account:
				# Settings made before the form showed it: where their money is booked.
				settings.db_set("receiving_account", account, update_modified=False)


def make_custom_fields():
	# create_custom_fields updates existing fields in place: safe on every migrate.
	create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)


def before_uninstall():
	"""Refuse while payment records an accountant still needs exist; else take away the custom
	fields and the gateway records, which would point at doctypes that are gone."""
	refuse_while_payments_matter()
	drop_gateway_records()
	for doctype, fields in CUSTOM_FIELDS.items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True)


def refuse_while_payments_matter():
	if not frappe.db.table_exists("Stancer Payment"):
		return
	counts = {
		_("paid"): frappe.db.count("Stancer Payment", {"outcome": "Paid"}),
		_("authorized, not captured"): frappe.db.count("Stancer Payment", {"outcome": "Authorized"}),
		_("flagged Needs Attention"): frappe.db.count("Stancer Payment", {"needs_attention": 1}),
	}
	found = {label: count for label, count in counts.items() if count}
	if found:
		frappe.throw(
			_(
				"Stancer Integration keeps {0} in the Stancer Payment list (Accounting > Stancer Payment). They are the record of money taken through Stancer: export them, then delete them, before uninstalling."
			).format(", ".join(f"{count} {label}" for label, count in found.items())),
			title=_("Stancer payments would be lost"),
		)


def drop_gateway_records():
	gateways = frappe.get_all("Payment Gateway", filters={"gateway_settings": SETTINGS_DOCTYPE}, pluck="name")
	for name in frappe.get_all(
		"Payment Gateway Account", filters={"payment_gateway": ("in", gateways or [""])}, pluck="name"
	):
		frappe.delete_doc("Payment Gateway Account", name, ignore_permissions=True, force=True)
	for name in gateways:
		frappe.delete_doc("Payment Gateway", name, ignore_permissions=True, force=True)
	for name in frappe.get_all(SETTINGS_DOCTYPE, pluck="name"):
		gateway_records.drop_mode_of_payment(name)
