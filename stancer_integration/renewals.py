"""Subscription renewals charged to the saved card, without the customer.

ERPNext 15 makes no Payment Request for a subscription's invoice. When a Sales Invoice made by a
Subscription whose plans' gateway account (`Subscription Plan.payment_gateway`) is a Stancer one is
submitted, a background job (enqueued after the commit, never inside the submit) makes a muted
Payment Request for it and charges the customer's saved card (`card` + `customer`, no page, no 3-D
Secure) under a `unique_id` derived from this site, the subscription and the period the invoice
bills: however often the job runs — a retry, a worker killed half way, the hourly sweep, Dokos
calling too, the invoice cancelled and amended — Stancer holds at most one charge for the period,
and a run that finds it records it (or flags it) instead of charging. The charge is
recorded through the one recording path (`settlement.settle`).

When there is no card to charge (none saved, forgotten, expired) or the bank refuses it, the request
stays unpaid and its link is e-mailed to the customer; a refusal shows on the Stancer Payment record,
and a card the bank says is finished stops being the default (`saved_cards`). Another gateway's
subscription is never touched. Dokos' controller entry points (`immediate_payment_processing`, the
check that a saved method can be charged) end here too.
"""

import frappe
from frappe import _
from frappe.utils import flt, nowdate

from stancer_integration import link_sharing, payment_request_info, saved_cards
from stancer_integration.checkout import adopt_if_ours, attempt_record
from stancer_integration.permissions import as_administrator
from stancer_integration.settlement import (
	RECORD,
	fetch_for_recording,
	flag_record,
	settle,
	sync_record,
	with_lock_retries,
)
from stancer_integration.site_references import customer_external_id, renewal_unique_id
from stancer_integration.stancer import errors, money
from stancer_integration.stancer import saved_cards as rules
from stancer_integration.stancer.validation import shorten_description, stable_reference

QUEUE = "default"
# The sweep looks this far back for a renewal a lost job never charged.
SWEEP_DAYS = 30
SWEEP_LIMIT = 500


def stancer_plan_account(subscription):
	"""The Stancer gateway account of a Subscription's plans, or None: every plan must name the
	same account and it must be a Stancer one (a plan of another gateway leaves it alone)."""
	if not subscription:
		return None
	plans = frappe.get_all(
		"Subscription Plan Detail",
		filters={"parent": subscription, "parenttype": "Subscription"},
		pluck="plan",
	)
	accounts = {frappe.db.get_value("Subscription Plan", plan, "payment_gateway") for plan in plans}
	if len(accounts) != 1 or not next(iter(accounts)):
		return None
	account = accounts.pop()
	gateway = frappe.db.get_value("Payment Gateway Account", account, "payment_gateway")
	return account if payment_request_info.settings_for_gateway(gateway) else None


def on_invoice_submit(doc, method=None):
	"""Sales Invoice on_submit: a Stancer subscription's invoice is charged by a job after the
	commit (nothing is sent to Stancer while the invoice is being submitted)."""
	if not doc.get("subscription") or doc.get("is_return") or flt(doc.outstanding_amount) <= 0:
		return
	if stancer_plan_account(doc.subscription):
		enqueue(doc.name)


def enqueue(invoice):
	frappe.enqueue(
		"stancer_integration.renewals.charge_invoice",
		queue=QUEUE,
		timeout=600,
		enqueue_after_commit=True,
		job_id=f"stancer-renewal::{invoice}",
		deduplicate=True,
		invoice=invoice,
	)


def sweep():
	"""Hourly: the recent Stancer subscription invoices still unpaid whose charge was never made
	(a job lost with its worker) are charged; those charged already are left to the
	reconciliation and to their link."""
	since = frappe.utils.add_days(nowdate(), -SWEEP_DAYS)
	for invoice in frappe.get_all(
		"Sales Invoice",
		filters={
			"docstatus": 1,
			"subscription": ("is", "set"),
			"is_return": 0,
			"outstanding_amount": (">", 0),
			"posting_date": (">=", since),
		},
		fields=["name", "subscription", "creation"],
		order_by="posting_date asc",
		limit=SWEEP_LIMIT,
	):
		if not frappe.db.exists(RECORD, renewal_unique_id("Sales Invoice", invoice.name)) and (
			stancer_plan_account(invoice.subscription)
			and not plans_changed_since(invoice.subscription, invoice.creation)
		):
			enqueue(invoice.name)


def plans_changed_since(subscription, since):
	"""True when a plan of the subscription was changed after `since`: an invoice made before a
	plan moved to Stancer was billed under another gateway, which may be collecting it."""
	plans = frappe.get_all(
		"Subscription Plan Detail",
		filters={"parent": subscription, "parenttype": "Subscription"},
		pluck="plan",
	)
	return bool(
		plans and frappe.db.exists("Subscription Plan", {"name": ("in", plans), "modified": (">", since)})
	)


def charge_invoice(invoice):
	"""The job: the invoice's muted Payment Request, then its one charge of the saved card."""
	with as_administrator():
		payment_request = with_lock_retries(lambda: request_for(invoice))
		if payment_request:
			charge_request(payment_request, renewal_unique_id("Sales Invoice", invoice))


def request_for(invoice):
	"""The invoice's submitted Stancer Payment Request, made (muted) when it has none; None when
	the invoice is not a Stancer subscription's any more, or nothing is due. Under the invoice's
	lock, so two jobs never make two requests."""
	frappe.db.commit()
	values = frappe.db.get_value(
		"Sales Invoice",
		invoice,
		["name", "docstatus", "subscription", "customer", "contact_email", "outstanding_amount"],
		as_dict=True,
		for_update=True,
	)
	account = values and values.docstatus == 1 and stancer_plan_account(values.subscription)
	if not account:
		frappe.db.commit()
		return None
	existing = frappe.get_all(
		"Payment Request",
		filters={
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice,
			"docstatus": 1,
			"status": ("!=", "Cancelled"),
			"payment_gateway_account": account,
		},
		pluck="name",
		order_by="creation asc",
		limit=1,
	)
	if existing or flt(values.outstanding_amount) <= 0:
		frappe.db.commit()
		return existing[0] if existing else None
	if frappe.db.exists(
		"Payment Request",
		{
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice,
			"docstatus": 1,
			"status": ("not in", ("Cancelled", "Paid")),
		},
	):
		# Another gateway is asking for this invoice: it is that gateway's to collect.
		frappe.db.commit()
		return None
	from erpnext.accounts.doctype.payment_request.payment_request import make_payment_request

	email = values.contact_email or frappe.db.get_value("Customer", values.customer, "email_id")
	pr = make_payment_request(
		dt="Sales Invoice",
		dn=invoice,
		payment_gateway_account=account,
		recipient_id=email,
		submit_doc=1,
		mute_email=1,
		return_doc=1,
	)
	frappe.db.commit()
	return pr.name


def charge_request(payment_request, unique_id):
	"""Charge the saved card for what is due on a Payment Request, once for `unique_id`, and
	record it; e-mail the link when nothing could be charged or the bank refused. Returns the
	Stancer payment id, or None."""
	with as_administrator():
		outcome, stancer_id = with_lock_retries(lambda: _charge(payment_request, unique_id))
		if outcome in ("no card", "Failed", "Expired", "Canceled"):
			ask_customer(payment_request)
		return stancer_id


def _charge(name, unique_id):
	# Fresh transaction, then the request's lock: a second run waits here, then finds the
	# first one's record instead of charging again.
	frappe.db.commit()
	pr = payment_request_info.read(name, lock=True)
	settings = pr and payment_request_info.settings_for_gateway(pr.payment_gateway)
	if not settings or pr.docstatus != 1 or not settings.enabled:
		frappe.db.commit()
		return "skipped", None
	record = frappe.db.get_value(
		RECORD, unique_id, ["name", "stancer_id", "outcome", "payment_request"], as_dict=True
	)
	if record and record.payment_request != name:
		# This period was charged for an invoice since cancelled (and amended, or made again):
		# never charged twice; the accountants book the charge against the new one.
		frappe.db.commit()
		if record.outcome in ("Pending", "Authorized", "Paid"):
			flag_record(
				record.name,
				_(
					"Stancer payment {0} paid this subscription period through Payment Request {1}, since cancelled; Payment Request {2} bills the same period and was not charged again: book the payment against it by hand."
				).format(record.stancer_id, record.payment_request, name),
			)
			return "charged before", record.stancer_id
		# Its charge was refused: never charged again under the same reference; the customer
		# is sent the new request's link.
		return "no card", None
	if record:
		# Charged before (a retry, or a run killed after recording): read it again, never charge.
		frappe.db.commit()
		if record.stancer_id and record.outcome in ("Pending", "Authorized", "Paid"):
			return sync_record(record.name).outcome, record.stancer_id
		return record.outcome, record.stancer_id
	due = payment_request_info.amount_due(pr)
	if due <= 0:
		frappe.db.commit()
		return "paid", None
	if frappe.db.exists(
		RECORD,
		{
			"payment_request": name,
			"outcome": ("not in", ("Failed", "Expired", "Canceled")),
			"name": ("!=", unique_id),
		},
	):
		# The customer has the request's link open (it was e-mailed), or paid it and the
		# accountants have the payment to book (ERPNext refused it): never charged meanwhile.
		frappe.db.commit()
		return "customer paying", None
	customer = payment_request_info.customer_of(pr)
	card = saved_cards.default_card(customer, settings)
	if not card:
		frappe.db.commit()
		return "no card", None
	stancer_customer, card_id = card
	with settings.get_client() as client:
		if not is_this_customer(client, stancer_customer, customer):
			frappe.db.commit()
			frappe.log_error(
				title="Stancer renewal",
				message=f"{name}: the saved Stancer customer {stancer_customer} is not {customer}'s; not charged.",
			)
			return "no card", None
		if not usable(client, card_id):
			saved_cards.stop_default(customer, settings.name, card_id)
			frappe.db.commit()
			return "no card", None
		amount_minor = money.to_minor(due, pr.currency)
		order_id = stable_reference(pr.name)
		try:
			payment = client.payments.create(
				amount=amount_minor,
				currency=pr.currency,
				description=shorten_description(pr.subject or pr.reference_name, fallback=pr.name),
				order_id=order_id,
				unique_id=unique_id,
				capture=True,
				customer=stancer_customer,
				card=card_id,
			)
		except errors.ConflictError as conflict:
			# Stancer holds a charge under this reference already (a run killed before it
			# recorded it): take it when it is provably this one, never charge again.
			payment = adopt_if_ours(client, conflict, unique_id, amount_minor, pr.currency, order_id)
			if payment is None:
				frappe.db.commit()
				return "skipped", None
		except errors.StancerError as error:
			frappe.db.rollback()
			frappe.log_error(title="Stancer renewal", message=f"{name}: {type(error).__name__}: {error}")
			return "error", None
		record = attempt_record(pr, settings, unique_id, amount_minor, customer, stancer_customer)
		# Kept Pending with its id: settlement copies the answer, and so sees the outcome change
		# (a refusal saying the card is finished drops it as the default).
		record.stancer_id = payment["id"]
		record.outcome = "Pending"
		record.last_checked = frappe.utils.now_datetime()
		record.set_user_and_timestamp()
		record.db_insert()
		frappe.db.commit()
		result = settle(record.name, fetch_for_recording(client, payment["id"]), pr.name)
	return result.outcome, payment["id"]


def is_this_customer(client, stancer_customer, customer):
	"""The Stancer customer is the one this site made for `customer` (a row copied onto another
	Customer never charges the first one's card)."""
	try:
		found = client.customers.get(stancer_customer)
	except errors.NotFoundError:
		return False
	return found.get("external_id") == customer_external_id(customer)


def usable(client, card_id):
	"""The saved card can be charged: Stancer still knows it and it has not expired."""
	try:
		card = client.cards.get(card_id)
	except errors.NotFoundError:
		return False
	return not rules.card_expired(card)


def ask_customer(payment_request):
	"""E-mail the request's link to the customer, once per request."""
	pr = frappe.db.get_value(
		"Payment Request",
		payment_request,
		["reference_doctype", "reference_name", "subject", "email_to"],
		as_dict=True,
	)
	if not pr or not pr.email_to:
		return
	sent = frappe.db.exists(
		"Communication",
		{
			"reference_doctype": pr.reference_doctype,
			"reference_name": pr.reference_name,
			"subject": pr.subject,
		},
	)
	if sent:
		return
	try:
		link_sharing.send_link(payment_request)
	except frappe.ValidationError:
		frappe.db.rollback()  # paid or cancelled meanwhile: nothing to ask
		return
	except Exception as error:
		# The charge is recorded already; the link stays on the request for the accountant.
		frappe.db.rollback()
		frappe.log_error(
			title="Stancer renewal e-mail", message=f"{payment_request}: {type(error).__name__}: {error}"
		)
		return
	frappe.db.commit()


# -- Dokos (its controller contract; untested here: Dokos is not available) ----------------------


def reference_key(payment_request):
	"""The document a Dokos request charges for (what its renewal reference is derived from)."""
	ref = frappe.db.get_value(
		"Payment Request", payment_request, ["reference_doctype", "reference_name"], as_dict=True
	)
	return (ref.reference_doctype, ref.reference_name) if ref else (None, None)


def immediate_payment_processing(settings, reference, customer=None, **kwargs):
	"""Dokos' `immediate_payment_processing(reference=<Payment Request>, customer, amount,
	currency, description, metadata)`: the saved card is charged for what is due on the request
	(the amount passed is not trusted), once per document it bills; the Stancer id is returned."""
	pr = payment_request_info.read(reference)
	if not pr or payment_request_info.settings_for_gateway(pr.payment_gateway) is None:
		frappe.throw(_("Payment Request {0} is not a Stancer one.").format(reference))
	if not saved_cards.is_subscription_request(pr):
		# The customer agreed to charges without them through a subscription only.
		frappe.throw(
			_(
				"Payment Request {0} is not a subscription's: its card is not charged without the customer."
			).format(reference)
		)
	doctype, name = reference_key(reference)
	return charge_request(reference, renewal_unique_id(doctype, name))


def can_make_immediate_payment(settings, payment_request):
	"""Dokos' check: the request's customer has a saved card for these settings that has not
	expired (read from Stancer)."""
	pr = payment_request_info.read(getattr(payment_request, "name", payment_request))
	customer = pr and payment_request_info.customer_of(pr)
	card = saved_cards.default_card(customer, settings)
	if not card:
		return False
	try:
		with settings.get_client() as client:
			return usable(client, card[1])
	except errors.StancerError:
		return False
