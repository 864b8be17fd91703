"""Run a few app-owned steps as Administrator inside a guest request, and only those."""

from contextlib import contextmanager

import frappe


@contextmanager
def as_administrator():
	"""Elevate for the block, then give the request back exactly the session it had.

	frappe.set_user rewrites the session in place (user, sid, data, form_dict), so all of it is
	put back: a guest stays a guest, a logged-in customer keeps their session.
	"""
	session = frappe.local.session
	saved = (session.user, session.sid, session.data, frappe.local.form_dict)
	outer_visitor = frappe.flags.stancer_visitor
	frappe.flags.stancer_visitor = visitor()
	frappe.set_user("Administrator")
	try:
		yield
	finally:
		frappe.set_user(saved[0])
		session.sid, session.data, frappe.local.form_dict = saved[1], saved[2], saved[3]
		frappe.flags.stancer_visitor = outer_visitor


def visitor():
	"""The user the request is for, even inside `as_administrator`."""
	return frappe.flags.stancer_visitor or frappe.session.user


MANAGER_ROLES = ("System Manager", "Accounts Manager")


def require_manager():
	"""Like frappe.only_for, but also enforced under tests (only_for skips its check there)."""
	if frappe.session.user == "Administrator":
		return
	if not set(MANAGER_ROLES) & set(frappe.get_roles()):
		raise frappe.PermissionError(frappe._("Only a System Manager or an Accounts Manager can do this."))
