# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""The Mode of Payment of each Stancer Settings: made with its gateway records, its company
account the gateway's, following a change of account, a rename and a deletion."""

import frappe
from frappe.tests.utils import FrappeTestCase

from stancer_integration import gateway_records
from stancer_integration.tests.helpers import COMPANY, make_company, make_settings

test_ignore = ["Company", "Stancer Settings", "Currency"]


def company_account(mode):
	return frappe.db.get_value(
		"Mode of Payment Account", {"parent": mode, "company": COMPANY}, "default_account"
	)


class TestModeOfPayment(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def gateway_account(self, settings):
		return frappe.db.get_value(
			"Payment Gateway Account", settings.payment_gateway_account, "payment_account"
		)

	def test_made_with_the_gateway_and_kept_in_step(self):
		settings = make_settings("Shop Modes")
		mode = gateway_records.mode_of_payment_name(settings.name)
		self.assertTrue(frappe.db.get_value("Mode of Payment", mode, "enabled"))
		self.assertEqual(company_account(mode), self.gateway_account(settings))
		# Another payment account chosen in the settings: the mode follows.
		other = frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "Shop Modes Bank",
				"parent_account": frappe.db.get_value(
					"Account", {"account_type": "Bank", "is_group": 1, "company": COMPANY}
				),
				"company": COMPANY,
				"account_type": "Bank",
				"account_currency": "EUR",
			}
		).insert(ignore_permissions=True)
		settings.payment_account = other.name
		settings.save(ignore_permissions=True)
		self.assertEqual(company_account(mode), other.name)
		self.assertEqual(frappe.db.count("Mode of Payment Account", {"parent": mode}), 1)
		# Where Payment Gateway has a link to Mode of Payment (ERPNext adds one on some
		# versions), it is set; where it has none, nothing is invented.
		for field in gateway_records.link_fields("Payment Gateway", "Mode of Payment"):
			self.assertEqual(frappe.db.get_value("Payment Gateway", settings.payment_gateway, field), mode)

	def test_follows_a_rename_and_goes_with_the_settings(self):
		settings = make_settings("Shop Modes Renamed")
		old = gateway_records.mode_of_payment_name(settings.name)
		frappe.rename_doc("Stancer Settings", settings.name, "Shop Modes Renamed 2", force=True)
		new = gateway_records.mode_of_payment_name("Shop Modes Renamed 2")
		self.assertFalse(frappe.db.exists("Mode of Payment", old))
		self.assertTrue(frappe.db.exists("Mode of Payment", new))
		frappe.delete_doc("Stancer Settings", "Shop Modes Renamed 2", ignore_permissions=True)
		self.assertFalse(frappe.db.exists("Mode of Payment", new))

	def test_kept_disabled_when_an_entry_uses_it(self):
		settings = make_settings("Shop Modes Used")
		mode = gateway_records.mode_of_payment_name(settings.name)
		bank = self.gateway_account(settings)
		cash = frappe.db.get_value("Account", {"account_type": "Cash", "is_group": 0, "company": COMPANY})
		frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"company": COMPANY,
				"posting_date": frappe.utils.nowdate(),
				"mode_of_payment": mode,
				"accounts": [
					{"account": bank, "debit_in_account_currency": 10},
					{"account": cash, "credit_in_account_currency": 10},
				],
			}
		).insert(ignore_permissions=True)
		frappe.delete_doc("Stancer Settings", settings.name, ignore_permissions=True)
		self.assertEqual(frappe.db.get_value("Mode of Payment", mode, "enabled"), 0)
