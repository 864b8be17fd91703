"""Stancer ids kept on the ERPNext Customer: one row per Stancer account and mode.

Only ids are stored (customer id, default payment-method id), never card data. A row is
keyed by the settings document and the account's public key, so an id made under one account
or mode is never sent to another.
"""

import re

import frappe

from stancer_integration.site_references import customer_external_id
from stancer_integration.stancer import validation

CHILD_DOCTYPE = "Stancer Customer Reference"
TABLE_FIELD = "stancer_references"


def _row_filters(customer, settings):
	return {
		"parenttype": "Customer",
		"parent": customer,
		"parentfield": TABLE_FIELD,
		"stancer_settings": settings.name,
		"public_key": settings.public_key,
	}


def get_reference(customer, settings):
	"""The row (dict) for this customer and Stancer account/mode, or None."""
	# A plain query: every click of a link reads it.
	rows = frappe.db.sql(
		"""select name, stancer_customer_id, payment_method_id, mode
		from `tabStancer Customer Reference`
		where parenttype = 'Customer' and parent = %s and parentfield = %s
			and stancer_settings = %s and public_key = %s
		limit 1""",
		(customer, TABLE_FIELD, settings.name, settings.public_key),
		as_dict=True,
	)
	return rows[0] if rows else None


def set_reference(customer, settings, stancer_customer_id=None, payment_method_id=None):
	"""Create or update the row, without saving the Customer (no Customer validation runs);
	return the Stancer customer id the row holds afterwards.

	Rows are written directly so a guest checkout never needs write access to the Customer.
	A customer id already stored wins over a new one (two checkouts of one customer racing
	each made one); a new payment method replaces the old.
	"""
	# Lock the customer, then read the row with a locking read: it sees what a concurrent
	# checkout of the same customer committed.
	frappe.db.get_value("Customer", customer, "name", for_update=True)
	row = frappe.db.get_value(
		CHILD_DOCTYPE,
		_row_filters(customer, settings),
		["name", "stancer_customer_id"],
		as_dict=True,
		for_update=True,
	)
	values = {}
	if stancer_customer_id and not (row and row.stancer_customer_id):
		values["stancer_customer_id"] = stancer_customer_id
	if payment_method_id:
		values["payment_method_id"] = payment_method_id
	if row:
		if values:
			frappe.db.set_value(CHILD_DOCTYPE, row.name, values, update_modified=False)
		return row.stancer_customer_id or stancer_customer_id
	idx = frappe.db.count(CHILD_DOCTYPE, {"parent": customer, "parenttype": "Customer"}) + 1
	frappe.get_doc(
		dict(
			_row_filters(customer, settings),
			doctype=CHILD_DOCTYPE,
			idx=idx,
			mode=settings.mode,
			**values,
		)
	).db_insert()
	return stancer_customer_id


def forget_stancer_customer(customer, settings):
	"""Drop a Stancer customer id that Stancer no longer knows (its card id goes with it)."""
	row = get_reference(customer, settings)
	if row:
		frappe.db.set_value(
			CHILD_DOCTYPE,
			row.name,
			{"stancer_customer_id": None, "payment_method_id": None},
			update_modified=False,
		)


E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def ensure_stancer_customer(customer, settings, client, email=None):
	"""The Stancer customer id for this Customer under this account and mode, made once.

	Stancer v2 does not refuse duplicates, so it is looked up by external_id before being
	created. Returns None when the Customer has neither an email nor a mobile number (Stancer
	needs one); the payment then goes ahead without a Stancer customer.
	"""
	row = get_reference(customer, settings)
	if row and row.stancer_customer_id:
		return row.stancer_customer_id
	data = frappe.db.get_value("Customer", customer, ["customer_name", "email_id", "mobile_no"], as_dict=True)
	if not data:
		return None
	email = next((e for e in (email, data.email_id) if usable_email(e)), None)
	mobile = (data.mobile_no or "").replace(" ", "")
	mobile = mobile if E164.match(mobile) else None
	if not email and not mobile:
		return None
	name = " ".join((data.customer_name or customer).split())[: validation.MAX_CUSTOMER_FIELD]
	name = name if len(name) >= validation.MIN_CUSTOMER_NAME else None  # Stancer refuses shorter
	stancer = client.customers.find_or_create(
		customer_external_id(customer), name=name, email=email, mobile=mobile
	)
	return set_reference(customer, settings, stancer["id"])


def usable_email(email):
	"""An address Stancer takes (its length limits), else False."""
	return bool(
		email
		and "@" in email
		and validation.MIN_CUSTOMER_EMAIL <= len(email) <= validation.MAX_CUSTOMER_FIELD
	)
