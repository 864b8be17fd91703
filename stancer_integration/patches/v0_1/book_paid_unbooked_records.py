"""Payments an earlier version recorded paid and never booked (it committed the outcome of an
adopted or recovered attempt before booking it, and the booking stopped half way): read again
from Stancer and booked now, or flagged for the accountants. This version never leaves a record
so: an attempt's outcome is written by the booking, in its transaction."""

import frappe
from frappe import _

from stancer_integration.settlement import RECORD, flag_record, sync_record


def execute():
	for name in frappe.get_all(
		RECORD,
		filters={"outcome": "Paid", "payment_entry": ("is", "not set"), "needs_attention": 0},
		pluck="name",
	):
		try:
			sync_record(name)
			error = None
		except Exception as failure:
			frappe.db.rollback()
			error = type(failure).__name__
		state = frappe.db.get_value(RECORD, name, ["payment_entry", "needs_attention"], as_dict=True)
		if state and not state.payment_entry and not state.needs_attention:
			# Keys changed since, Stancer unreachable, settings gone: never left unseen.
			flag_record(
				name,
				_(
					"This payment was recorded paid by an earlier version of the app and never booked; it could not be booked on upgrade ({0}): check it in Stancer's dashboard and book it by hand."
				).format(error or _("unreadable with the current keys")),
			)
		frappe.db.commit()
