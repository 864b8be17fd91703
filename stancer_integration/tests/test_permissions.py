"""The guest pages run a few steps as Administrator and must give the request back as it was."""

import frappe
from frappe.tests.utils import FrappeTestCase

from stancer_integration.permissions import as_administrator, require_manager
from stancer_integration.tests.helpers import make_user


class TestPrivileges(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def test_guest_is_guest_again_after_the_block(self):
		frappe.set_user("Guest")
		frappe.local.form_dict = frappe._dict(token="abc")
		session = frappe.local.session
		with as_administrator():
			self.assertEqual(frappe.session.user, "Administrator")
			self.assertIn("System Manager", frappe.get_roles())
		self.assertEqual(frappe.session.user, "Guest")
		self.assertIs(frappe.local.session, session)
		self.assertEqual(frappe.session.sid, "Guest")
		self.assertEqual(frappe.form_dict.token, "abc")
		self.assertNotIn("System Manager", frappe.get_roles())

	def test_restored_even_when_the_block_fails(self):
		frappe.set_user("Guest")
		with self.assertRaises(ZeroDivisionError):
			with as_administrator():
				1 / 0  # noqa: B018
		self.assertEqual(frappe.session.user, "Guest")

	def test_require_manager(self):
		user = make_user("stancer-plain-user@example.com", ["Accounts User"])
		manager = make_user("stancer-manager@example.com", ["Accounts Manager"])
		frappe.set_user(user)
		with self.assertRaises(frappe.PermissionError):
			require_manager()
		frappe.set_user(manager)
		require_manager()
