"""Reconciliation: the payments still open here are read again from Stancer on a schedule, so a
customer who paid and closed the page is recorded all the same, and a refused, expired or
cancelled attempt is marked (its Payment Request stays payable). Every payment goes through the
one recording path, `settlement`, as read from Stancer: nothing trusts a notification's payload.

Runs every minute from the scheduler and does the work of each Stancer Settings whose interval
(`reconcile_every` minutes) has passed; **Reconcile now** on the settings runs it at once.
"""

from collections import Counter
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from stancer_integration import notifications, refunds
from stancer_integration.payment_return import recover_attempt
from stancer_integration.settlement import RECORD, sync_record
from stancer_integration.stancer import errors

OPEN = ("Pending", "Authorized")
# Leave the customer a few minutes on Stancer's page before looking; Stancer's authorizations
# live 7 days, after which nothing will change.
MIN_AGE = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
WARN_BEFORE_EXPIRY = timedelta(days=1)
BATCH = 5000  # records read at most in one run
CHUNK = 100


def run():
	"""Scheduler entry: a background job for each account whose interval has passed — disabled
	ones too while they have open payments (a customer may still pay a page opened before)."""
	now = now_datetime()
	for settings in frappe.get_all(
		"Stancer Settings",
		filters={"reconcile_every": (">", 0)},
		fields=["name", "enabled", "reconcile_every", "last_reconciled"],
	):
		due = not settings.last_reconciled or get_datetime(settings.last_reconciled) + timedelta(
			minutes=settings.reconcile_every
		) <= now + timedelta(seconds=30)
		if not due or (
			not settings.enabled
			and not frappe.db.exists(RECORD, {"stancer_settings": settings.name, "outcome": ("in", OPEN)})
		):
			continue
		frappe.enqueue(
			"stancer_integration.reconciliation.reconcile_account",
			queue="long",
			timeout=3600,
			job_id=f"stancer-reconcile::{frappe.local.site}::{settings.name}",
			deduplicate=True,
			settings_name=settings.name,
			now=frappe.flags.in_test,
		)


def reconcile_account(settings_name):
	"""One account's run, as a job of its own: a failing account never stops the others."""
	try:
		reconcile(frappe.get_doc("Stancer Settings", settings_name))
	except errors.StancerError as error:
		frappe.db.rollback()
		# The account's name and the error's class and words: never a key.
		frappe.log_error(
			title="Stancer reconciliation", message=f"{settings_name}: {type(error).__name__}: {error}"
		)


def reconcile(settings, limit=BATCH, min_age=MIN_AGE):
	"""Read this account's open payments (and lost attempts) from Stancer; what was found."""
	now = now_datetime()
	# Marked first: a run that stops half way is not started again by the next minute's tick.
	frappe.db.set_value("Stancer Settings", settings.name, "last_reconciled", now, update_modified=False)
	frappe.db.commit()
	found = Counter()
	# Each call still has its deadline; the run as a whole has no budget (one lock at a time).
	with settings.get_client(budget=None) as client:
		for record in open_records(settings, now, min_age, limit):
			try:
				result = sync_record(record.name, settings=settings, client=client)
			except errors.UnavailableError:
				found["stopped"] = 1  # Stancer is down: the next run carries on
				break
			except errors.StancerError as error:
				found["errors"] += 1
				frappe.db.set_value(
					RECORD,
					record.name,
					{"last_error": str(error)[:500], "last_checked": now_datetime()},
					update_modified=False,
				)
				frappe.db.commit()
				continue
			found["read"] += 1
			found[result.outcome.lower()] += 1
			found["flagged"] += bool(result.needs_attention)
			if result.outcome == "Authorized":
				warn_if_expiring(record)
		if not found["stopped"]:
			try:
				found["recovered"] = recover_lost_attempts(settings, client, now - MAX_AGE, limit)
			except errors.UnavailableError:
				found["stopped"] = 1
		if not found["stopped"]:
			follow_refunds(settings, client, limit, found)
	frappe.db.commit()
	return found


def follow_refunds(settings, client, limit, found):
	"""Refunds still on their way: their status moves on, a failed one is reversed, one whose
	answer was lost is claimed (or marked Not Sent)."""
	for name in refunds.open_refunds(settings.name, limit):
		try:
			refunds.follow(name, client)
		except errors.UnavailableError:
			found["stopped"] = 1
			return
		except Exception as error:
			# One refund ERPNext or Stancer refuses to move on never holds up the others: it is
			# read last next time, with what went wrong.
			frappe.db.rollback()
			found["errors"] += 1
			frappe.db.set_value(
				refunds.REFUND,
				name,
				{"last_error": str(error)[:500], "last_checked": now_datetime()},
				update_modified=False,
			)
			frappe.db.commit()
			continue
		found["refunds"] += 1


def open_records(settings, now, min_age, limit):
	"""This account's open records to read again, oldest-read first, a chunk at a time (memory
	stays flat however many are open); each is read at most once a run."""
	given = 0
	seen = set()
	while given < limit:
		chunk = frappe.get_all(
			RECORD,
			filters={
				"stancer_settings": settings.name,
				"public_key": settings.public_key,
				"outcome": ("in", OPEN),
				"needs_attention": 0,
				"payment_entry": ("is", "not set"),
				"creation": ("between", [now - MAX_AGE, now - min_age]),
				"last_checked": ("<", now),
			},
			fields=["name", "creation"],
			order_by="last_checked asc",
			limit=min(CHUNK, limit - given),
		)
		chunk = [record for record in chunk if record.name not in seen]
		if not chunk:
			return
		for record in chunk:
			seen.add(record.name)
			given += 1
			yield record


def warn_if_expiring(record):
	"""An authorization a day from Stancer's 7-day limit tells the accountants, once."""
	if get_datetime(record.creation) + MAX_AGE - WARN_BEFORE_EXPIRY > now_datetime():
		return
	doc = frappe.get_doc(RECORD, record.name)
	if doc.expiry_warned:
		return
	notifications.authorization_expiring(doc)
	doc.db_set("expiry_warned", 1, update_modified=False)
	frappe.db.commit()


def recover_lost_attempts(settings, client, since, limit):
	"""Stancer payments made under this site's references whose record was lost (rolled back
	after Stancer made the payment), found in the account's list of recent payments: one call a
	hundred payments. Another site's payments on the account are passed over (their references
	are not this site's). Returns how many were found again."""
	found = 0
	for payment in client.payments.iterate(created=int(since.timestamp()), limit=limit):
		if payment.get("status") == "disputed":
			flag_dispute(payment, settings, client)
		unique_id, order_id = payment.get("unique_id"), payment.get("order_id")
		if not unique_id or not order_id or frappe.db.exists(RECORD, unique_id):
			continue
		if frappe.db.exists(RECORD, {"unique_id": unique_id}) or not frappe.db.exists(
			"Payment Request", order_id
		):
			continue
		recovered = recover_attempt(order_id, unique_id)
		if recovered:
			found += 1
			sync_record(recovered, settings=settings, client=client)
	return found


def flag_dispute(payment, settings, client):
	"""A booked payment the list shows disputed is recorded so (and flagged) with no extra call."""
	record = frappe.db.get_value(
		RECORD,
		{"stancer_id": payment.get("id"), "stancer_settings": settings.name, "outcome": ("!=", "Disputed")},
		"name",
	)
	if record:
		sync_record(record, payment=payment, settings=settings, client=client)


def summary(found):
	"""What a run found, in the accountant's words."""
	parts = [
		_("{0} open payments read again").format(found.get("read", 0)),
		_("{0} paid").format(found.get("paid", 0)),
		_("{0} refused or failed").format(found.get("failed", 0)),
		_("{0} expired or cancelled").format(found.get("expired", 0) + found.get("canceled", 0)),
		_("{0} still open").format(found.get("pending", 0) + found.get("authorized", 0)),
		_("{0} found again after being lost").format(found.get("recovered", 0)),
		_("{0} refunds followed").format(found.get("refunds", 0)),
		_("{0} need an accountant").format(found.get("flagged", 0)),
	]
	text = ", ".join(parts) + "."
	if found.get("stopped"):
		text += " " + _("Stancer could not be reached: the next run carries on.")
	return text
