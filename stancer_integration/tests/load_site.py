"""Steps the many-customers test runs on another site of the bench (through `bench --site …
execute`), so that one test drives two sites served by the same web server processes."""

import frappe

from stancer_integration.tests import helpers


def prepare(count, api_base_url, public_key, secret_key):
	"""`count` submitted Payment Requests on this site, on its own Stancer account; their names
	and link paths."""
	helpers.make_company()
	settings = helpers.make_settings(
		"Load Second Site",
		keys={"public_key": public_key, "secret_key": secret_key},
		api_base_url=api_base_url,
	)
	helpers.make_customer("Stancer Load Buyer", email="load@example.org")
	made = []
	for number in range(int(count)):
		order = helpers.make_sales_order("Stancer Load Buyer", 10 + number)
		pr = helpers.make_payment_request(order, settings)
		made.append({"name": pr.name, "url": pr.get_payment_url()})
	frappe.db.commit()
	return made


def outcome(names):
	"""Per Payment Request: its status and how many submitted Payment Entries it has."""
	found = {}
	for name in frappe.parse_json(names):
		entries = frappe.get_all(
			"Payment Entry Reference",
			filters={"payment_request": name, "docstatus": 1},
			pluck="parent",
			distinct=True,
		)
		found[name] = {
			"status": frappe.db.get_value("Payment Request", name, "status"),
			"entries": len(entries),
		}
	return found
