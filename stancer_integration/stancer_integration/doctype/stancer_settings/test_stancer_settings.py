# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt

import json
import socket

import frappe
from frappe.tests.utils import FrappeTestCase

from stancer_integration import customers, install
from stancer_integration.tests.helpers import (
	COMPANY,
	make_company,
	make_customer,
	make_settings,
	make_user,
	sandbox,
)

MANAGER = "stancer-manager@example.com"
ACCOUNTS_USER = "stancer-accounts-user@example.com"


def closed_port():
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class TestStancerSettings(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		make_user(MANAGER, ["Accounts Manager"])
		make_user(ACCOUNTS_USER, ["Accounts User"])

	def tearDown(self):
		frappe.set_user("Administrator")

	# -- keys and mode -----------------------------------------------------------------------

	def test_valid_test_and_live_keys_set_the_mode(self):
		self.assertEqual(make_settings("Mode Test").mode, "Test")
		self.assertEqual(make_settings("Mode Live", live=True).mode, "Live")

	def test_bad_keys_are_refused_with_their_message(self):
		keys = sandbox().create_account()
		live = sandbox().create_account(live=True)
		cases = [
			(
				{"public_key": keys["secret_key"], "secret_key": keys["secret_key"]},
				"public key must start with ptest_",
			),
			(
				{"public_key": keys["public_key"], "secret_key": keys["public_key"]},
				"secret key must start with stest_",
			),
			({"public_key": keys["public_key"], "secret_key": "stest_short"}, "is not a Stancer key"),
			({"public_key": "ptest_" + "é" * 24, "secret_key": keys["secret_key"]}, "is not a Stancer key"),
			({"public_key": live["public_key"], "secret_key": keys["secret_key"]}, "same mode"),
		]
		for index, (values, message) in enumerate(cases):
			with self.subTest(message=message):
				with self.assertRaises(frappe.ValidationError) as raised:
					make_settings(f"Bad Key {index}", keys=values)
				self.assertIn(message, str(raised.exception))
				# The message never repeats a key.
				for key in values.values():
					self.assertNotIn(key, str(raised.exception))

	def test_switching_keys_to_live_changes_the_mode(self):
		settings = make_settings("Switch Mode")
		live = sandbox().create_account(live=True)
		settings.public_key = live["public_key"]
		settings.secret_key = live["secret_key"]
		settings.api_base_url = "https://api.stancer.com"
		settings.save()
		self.assertEqual(settings.mode, "Live")
		self.assertEqual(settings.get_password("secret_key"), live["secret_key"])
		# The change is tracked (Version) without either secret in it.
		versions = frappe.get_all(
			"Version", filters={"ref_doctype": "Stancer Settings", "docname": settings.name}, pluck="data"
		)
		self.assertTrue(versions)
		for data in versions:
			self.assertNotIn(live["secret_key"], data)
			self.assertNotIn("stest_", data)

	def test_unsupported_currency_is_refused(self):
		with self.assertRaises(frappe.ValidationError) as raised:
			make_settings("Bad Currency", currency="INR")
		self.assertIn("Stancer does not accept payments in INR", str(raised.exception))

	def test_plain_http_api_base_is_refused_outside_loopback(self):
		with self.assertRaises(frappe.ValidationError):
			make_settings("Bad Base", api_base_url="http://api.example.org")

	# -- gateway records ---------------------------------------------------------------------

	def test_gateway_and_gateway_account_created_once(self):
		settings = make_settings("Once")
		settings.save()
		settings.save()
		self.assertEqual(settings.payment_gateway, "Stancer-Once")
		gateway = frappe.get_doc("Payment Gateway", "Stancer-Once")
		self.assertEqual((gateway.gateway_settings, gateway.gateway_controller), ("Stancer Settings", "Once"))
		accounts = frappe.get_all(
			"Payment Gateway Account",
			filters={"payment_gateway": "Stancer-Once"},
			fields=["name", "company", "currency", "payment_account"],
		)
		self.assertEqual(len(accounts), 1)
		self.assertEqual(accounts[0].company, COMPANY)
		self.assertEqual(accounts[0].currency, "EUR")
		self.assertEqual(frappe.db.get_value("Account", accounts[0].payment_account, "account_type"), "Bank")
		self.assertEqual(settings.payment_gateway_account, accounts[0].name)
		# The form says which account the money is booked to, though none was chosen.
		self.assertFalse(settings.payment_account)
		self.assertEqual(settings.receiving_account, accounts[0].payment_account)

	def test_rename_keeps_gateway_records_in_step(self):
		settings = make_settings("Before Rename")
		old_account = settings.payment_gateway_account
		frappe.rename_doc("Stancer Settings", "Before Rename", "After Rename", force=True)
		renamed = frappe.get_doc("Stancer Settings", "After Rename")
		self.assertEqual(renamed.gateway_name, "After Rename")
		self.assertFalse(frappe.db.exists("Payment Gateway", "Stancer-Before Rename"))
		gateway = frappe.get_doc("Payment Gateway", "Stancer-After Rename")
		self.assertEqual(gateway.gateway_controller, "After Rename")
		self.assertFalse(frappe.db.exists("Payment Gateway Account", old_account))
		self.assertEqual(
			frappe.get_all(
				"Payment Gateway Account", {"payment_gateway": "Stancer-After Rename"}, pluck="name"
			),
			[renamed.payment_gateway_account],
		)

	def test_change_of_company_moves_the_gateway_account(self):
		other = make_company("Stancer Autre SARL", "SAS2")
		settings = make_settings("Moving")
		settings.company = other
		settings.save()
		accounts = frappe.get_all(
			"Payment Gateway Account", {"payment_gateway": "Stancer-Moving"}, ["name", "company"]
		)
		self.assertEqual([a.company for a in accounts], [other])
		self.assertEqual(settings.payment_gateway_account, accounts[0].name)
		self.assertEqual(frappe.db.get_value("Account", settings.receiving_account, "company"), other)

	def test_default_of_another_gateway_left_alone(self):
		if not frappe.db.exists("Payment Gateway", "_Test Other Gateway"):
			frappe.get_doc({"doctype": "Payment Gateway", "gateway": "_Test Other Gateway"}).insert()
		cash = frappe.db.get_value("Account", {"company": COMPANY, "account_type": "Cash", "is_group": 0})
		other = frappe.get_doc(
			{
				"doctype": "Payment Gateway Account",
				"payment_gateway": "_Test Other Gateway",
				"payment_account": cash,
				"company": COMPANY,
				"is_default": 1,
			}
		).insert()
		settings = make_settings("Not Default")
		self.assertEqual(frappe.db.get_value("Payment Gateway Account", other.name, "is_default"), 1)
		self.assertEqual(
			frappe.db.get_value("Payment Gateway Account", settings.payment_gateway_account, "is_default"), 0
		)
		# Asked: Stancer's account becomes the default (ERPNext then clears the other one).
		settings.make_default = 1
		settings.save()
		self.assertEqual(
			frappe.db.get_value("Payment Gateway Account", settings.payment_gateway_account, "is_default"), 1
		)
		self.assertEqual(frappe.db.get_value("Payment Gateway Account", other.name, "is_default"), 0)

	# -- test connection ---------------------------------------------------------------------

	def test_connection_good_key(self):
		result = make_settings("Conn Good").test_connection()
		self.assertTrue(result["ok"], result)
		self.assertEqual(result["mode"], "Test")
		self.assertIn("Test", result["message"])

	def test_connection_unknown_key(self):
		settings = make_settings("Conn Bad")
		settings.db_set("public_key", "ptest_" + "A" * 24)
		frappe.utils.password.set_encrypted_password(
			"Stancer Settings", settings.name, "stest_" + "B" * 24, "secret_key"
		)
		result = frappe.get_doc("Stancer Settings", "Conn Bad").test_connection()
		self.assertFalse(result["ok"])
		self.assertIn("refused the secret key", result["message"])

	def test_connection_unreachable(self):
		settings = make_settings("Conn Down")
		settings.db_set("api_base_url", f"http://127.0.0.1:{closed_port()}")
		result = frappe.get_doc("Stancer Settings", "Conn Down").test_connection()
		self.assertFalse(result["ok"])
		self.assertIn("could not be reached", result["message"])

	def test_connection_needs_a_manager(self):
		settings = make_settings("Conn Perm")
		frappe.set_user(ACCOUNTS_USER)
		with self.assertRaises(frappe.PermissionError):
			settings.test_connection()

	# -- the secret never reaches a browser --------------------------------------------------

	def test_secret_absent_from_browser_responses(self):
		settings = make_settings("Secret")
		secret = settings.get_password("secret_key")
		webhook_secret = settings.get_password("webhook_secret")
		self.assertTrue(webhook_secret)
		frappe.set_user(MANAGER)
		from frappe.client import get as client_get
		from frappe.desk.form.load import getdoc

		doc = client_get("Stancer Settings", "Secret")
		frappe.local.response = frappe._dict({"docs": []})
		getdoc("Stancer Settings", "Secret")
		payloads = [json.dumps(doc, default=str), json.dumps(frappe.local.response, default=str)]
		for payload in payloads:
			self.assertNotIn(secret, payload)
			self.assertNotIn(webhook_secret, payload)
		self.assertEqual(set(doc["secret_key"]), {"*"})

	def test_only_managers_can_read(self):
		make_settings("Perm")
		self.assertTrue(frappe.has_permission("Stancer Settings", "read", user=MANAGER))
		self.assertTrue(frappe.has_permission("Stancer Settings", "write", user=MANAGER))
		self.assertFalse(frappe.has_permission("Stancer Settings", "read", user=ACCOUNTS_USER))

	# -- Customer table ----------------------------------------------------------------------

	def test_customer_table_is_read_only_and_per_account(self):
		field = frappe.get_meta("Customer").get_field("stancer_references")
		self.assertTrue(field and field.read_only)
		customer = make_customer("Stancer Reference Customer")
		test_settings = make_settings("Ref Test")
		live_settings = make_settings("Ref Live", live=True)
		customers.set_reference(customer, test_settings, "cust_" + "t" * 24)
		customers.set_reference(customer, live_settings, "cust_" + "l" * 24)
		customers.set_reference(customer, test_settings, payment_method_id="card_" + "c" * 24)
		# A second id for the same account (two checkouts racing) does not replace the first.
		self.assertEqual(
			customers.set_reference(customer, test_settings, "cust_" + "x" * 24), "cust_" + "t" * 24
		)
		self.assertEqual(
			customers.get_reference(customer, test_settings).stancer_customer_id, "cust_" + "t" * 24
		)
		self.assertEqual(
			customers.get_reference(customer, test_settings).payment_method_id, "card_" + "c" * 24
		)
		self.assertEqual(
			customers.get_reference(customer, live_settings).stancer_customer_id, "cust_" + "l" * 24
		)
		doc = frappe.get_doc("Customer", customer)
		self.assertEqual(len(doc.stancer_references), 2)
		# Same settings, keys switched to another account: the old ids are not offered.
		other = sandbox().create_account()
		test_settings.public_key, test_settings.secret_key = other["public_key"], other["secret_key"]
		test_settings.save()
		self.assertIsNone(customers.get_reference(customer, test_settings))
		# A user edit of the table is put back on save.
		doc.stancer_references[0].stancer_customer_id = "cust_forged"
		doc.append("stancer_references", {"stancer_customer_id": "cust_added"})
		doc.save(ignore_permissions=True)
		stored = frappe.get_all(
			"Stancer Customer Reference", {"parent": customer}, pluck="stancer_customer_id", order_by="idx"
		)
		self.assertEqual(sorted(stored), sorted(["cust_" + "t" * 24, "cust_" + "l" * 24]))

	def test_custom_fields_are_idempotent(self):
		install.make_custom_fields()
		install.make_custom_fields()
		self.assertEqual(
			frappe.db.count("Custom Field", {"dt": "Customer", "fieldname": "stancer_references"}), 1
		)

	def test_install_refused_beside_another_stancer_settings(self):
		if not frappe.db.exists("Module Def", "Dokos Stancer Probe"):
			frappe.get_doc(
				{"doctype": "Module Def", "module_name": "Dokos Stancer Probe", "app_name": "payments"}
			).insert()
		frappe.db.set_value(
			"DocType", "Stancer Settings", "module", "Dokos Stancer Probe", update_modified=False
		)
		try:
			with self.assertRaises(frappe.ValidationError) as raised:
				install.before_install()
			self.assertIn("payments", str(raised.exception))
		finally:
			frappe.db.set_value(
				"DocType", "Stancer Settings", "module", "Stancer Integration", update_modified=False
			)
		install.before_install()  # our own doctype: no objection
