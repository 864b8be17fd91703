"""The references this site sends to Stancer — each attempt's `unique_id`, each customer's
`external_id` — keyed on this site, so that another site on the same Stancer account (a staging
copy, a second site, a restored backup) never makes the same ones."""

import frappe
from frappe.utils.password import get_encryption_key

from stancer_integration.stancer import references


def site_secret():
	# The site's name, its configured address and its encryption key: a copy moved elsewhere
	# differs in one of them, and this site always makes the same references. (Never the
	# request's Host header: a visitor chooses that.)
	return "\x1f".join((frappe.local.site, frappe.conf.get("host_name") or "", get_encryption_key()))


def attempt_unique_id(pr, attempt):
	"""The unique_id of attempt number `attempt` at paying Payment Request `pr` (values with
	name and creation)."""
	return references.attempt_unique_id(site_secret(), pr.name, pr.creation, attempt)


def customer_external_id(customer):
	"""The external_id under which this site's Customer is known at Stancer."""
	created = frappe.db.get_value("Customer", customer, "creation")
	return references.keyed_reference(site_secret(), "customer", customer, created)


def renewal_unique_id(doctype, name):
	"""The unique_id of the one saved-card charge for a document a subscription bills (its
	Sales Invoice on ERPNext; the request's reference on Dokos). A Subscription's invoice is
	keyed on the subscription and the period it bills, so the invoice cancelled and amended, or
	made again for the same period, is never charged twice."""
	if doctype == "Sales Invoice":
		period = frappe.db.get_value(doctype, name, ["subscription", "from_date", "to_date"], as_dict=True)
		if period and period.subscription and period.from_date and period.to_date:
			created = frappe.db.get_value("Subscription", period.subscription, "creation")
			billed = f"{period.subscription}:{period.from_date}:{period.to_date}"
			return references.renewal_unique_id(site_secret(), billed, created)
		name = root_of(doctype, name)
	created = frappe.db.get_value(doctype, name, "creation")
	return references.renewal_unique_id(site_secret(), name, created)


def root_of(doctype, name):
	"""The first document of an amendment chain (the one `name` amends, and so on)."""
	seen = {name}
	while True:
		earlier = frappe.db.get_value(doctype, name, "amended_from")
		if not earlier or earlier in seen:
			return name
		seen.add(earlier)
		name = earlier
