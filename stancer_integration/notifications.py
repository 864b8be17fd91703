"""Telling the accountants: a Stancer payment that needs one of them, or an authorization about
to expire, notifies every Accounts Manager once (Frappe's notifications: the bell, and e-mail
where their settings ask for it), with a link to the record.

The notifications are written in the same transaction as the change they tell of, so a change
that is rolled back tells nobody.
"""

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

ROLE = "Accounts Manager"


def accountants():
	users = frappe.get_all("Has Role", filters={"role": ROLE, "parenttype": "User"}, pluck="parent")
	return frappe.get_all(
		"User",
		filters={"name": ("in", users or [""]), "enabled": 1, "user_type": "System User"},
		pluck="email",
	)


def tell(record, subject, message):
	users = accountants()
	if not users:
		return
	make_notification_logs(
		frappe._dict(
			type="Alert",
			document_type=record.doctype,
			document_name=record.name,
			subject=subject,
			email_content=message,
			from_user="Administrator",
		),
		users,
	)


def needs_attention(record):
	tell(
		record,
		_("Stancer payment {0} needs an accountant").format(record.stancer_id or record.name),
		record.attention_reason,
	)


def authorization_expiring(record):
	tell(
		record,
		_("Stancer authorization {0} expires tomorrow").format(record.stancer_id),
		_(
			"The card authorization of {0} {1} for Payment Request {2} expires at Stancer tomorrow: capture it today or it is lost."
		).format(record.amount, record.currency, record.payment_request),
	)
