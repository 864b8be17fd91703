"""Opening a payment link: find or create the Stancer payment for what is due on the Payment
Request, then send the customer to Stancer's hosted page.

The amount always comes from the Payment Request on the server, never from the URL.
"""

from dataclasses import dataclass
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from stancer_integration import customers, payment_links, payment_request_info, saved_cards
from stancer_integration.error_messages import error_message
from stancer_integration.permissions import as_administrator
from stancer_integration.settlement import (
	RECORD,
	fetch_for_recording,
	first_seen,
	settle,
	with_lock_retries,
)
from stancer_integration.site_references import attempt_unique_id
from stancer_integration.stancer import errors, money, references
from stancer_integration.stancer.statuses import Outcome, is_intent, object_outcome
from stancer_integration.stancer.validation import stable_reference

# Attempts that still stand: one waiting for the customer, or one the bank authorized and the
# merchant captures later (the customer has paid: never ask them again).
STANDING = ("Pending", "Authorized")
# A waiting attempt is offered again for this long; then a new one is made, so a customer never
# pays an attempt older than the reconciliation still reads (7 days).
REUSE_FOR = timedelta(days=5)
# Stancer payments one Payment Request may make: a bound on card testing through one link.
DEFAULT_MAX_ATTEMPTS = 10


@dataclass
class Checkout:
	state: str  # redirect | paid | received | cancelled | disabled | unavailable | error | too_many
	payment_request: str
	location: str | None = None
	message: str | None = None


def max_attempts():
	return int(frappe.conf.get("stancer_max_attempts") or DEFAULT_MAX_ATTEMPTS)


def payment_request_for_token(token):
	"""The Payment Request name a link token carries; 404 for anything else."""
	name = payment_links.read_token(token)
	if not name:
		raise frappe.PageDoesNotExistError
	return name


# _pay's answer when it recorded an attempt that moved on: look again from a fresh lock.
AGAIN = object()


def open_link(name, token, lang=None):
	"""Open the payment link of Payment Request `name`, read by the page from `token`; `lang`
	is the language for Stancer's page when the settings name none."""
	with as_administrator():
		for _ in range(max_attempts() + 1):
			result = with_lock_retries(lambda: _open(name, token, lang))
			if result is not AGAIN:
				return result
	return Checkout("unavailable", name, message=_("Please try again in a moment."))


def _open(name, token, lang):
	# Fresh transaction, then the Payment Request lock, held until the checkout ends: a double
	# click waits here and then finds the first click's payment instead of making another
	# (and, the lock coming before any plain read, MariaDB's snapshot includes what that click
	# committed).
	frappe.db.commit()
	pr = payment_request_info.read(name, lock=True)
	if not pr:
		raise frappe.PageDoesNotExistError
	settings = payment_request_info.settings_for_gateway(pr.payment_gateway)
	if settings is None or pr.docstatus == 0:
		raise frappe.PageDoesNotExistError
	if pr.docstatus == 2 or pr.status == "Cancelled":
		return Checkout("cancelled", name, message=_("This payment request has been cancelled."))
	if payment_request_info.amount_due(pr) <= 0:
		return Checkout(
			"paid", name, location=payment_links.success_url(name), message=_("This payment request is paid.")
		)
	if not settings.enabled:
		return Checkout(
			"disabled", name, message=_("Card payment is not available for this request any more.")
		)
	try:
		with settings.get_client() as client:
			result = _pay(pr, settings, client, token, lang)
	except errors.UnavailableError as error:
		frappe.db.rollback()
		return Checkout("unavailable", name, message=error_message(error))
	except errors.StancerError as error:
		frappe.db.rollback()
		frappe.log_error(title="Stancer checkout", message=f"{name}: {type(error).__name__}: {error}")
		return Checkout("error", name, message=error_message(error))
	if result is not AGAIN:
		frappe.db.commit()
	return result


def _pay(pr, settings, client, token, lang):
	due = payment_request_info.amount_due(pr)
	amount_minor = money.to_minor(due, pr.currency)
	page_lang = payment_page_language(settings, lang)

	attempts = frappe.db.sql(
		"""select name, creation, stancer_id, outcome, amount_minor, currency, stancer_settings,
			public_key
		from `tabStancer Payment` where payment_request = %s order by creation desc""",
		pr.name,
		as_dict=True,
	)
	for attempt in attempts:
		if (
			attempt.outcome in STANDING
			and attempt.stancer_id
			# An older one is left to the reconciliation, which reads attempts for 7 days.
			and get_datetime(attempt.creation) > now_datetime() - REUSE_FOR
			and attempt.amount_minor == amount_minor
			and (attempt.currency or "").upper() == pr.currency.upper()
			and attempt.stancer_settings == settings.name
			and attempt.public_key == settings.public_key
		):
			payment = fetch_for_recording(client, attempt.stancer_id)
			if object_outcome(payment) is Outcome.PENDING:
				return Checkout("redirect", pr.name, location=page_url(client, payment, page_lang))
			# It moved on while the customer was away (paid, refused…): record that first,
			# then look again from a fresh lock (what is due, and the attempts, may have
			# changed while recording let go of it).
			result = settle(attempt.name, payment, pr.name)
			if result.outcome in ("Paid", "Authorized"):
				return paid_checkout(pr.name, result)
			return AGAIN

	customer = payment_request_info.customer_of(pr)
	stancer_customer = (
		customers.ensure_stancer_customer(customer, settings, client, email=pr.email_to) if customer else None
	)
	order_id = stable_reference(pr.name)
	taken = {attempt.name for attempt in attempts}  # records are named after their unique_id
	for number in range(len(attempts) + 1, max_attempts() + 1):
		unique_id = attempt_unique_id(pr, number)
		if unique_id in taken:
			continue
		fields = dict(
			amount=amount_minor,
			currency=pr.currency,
			description=saved_cards.checkout_description(pr, page_lang),
			order_id=order_id,
			capture=settings.capture_mode == "Immediately",
			three_d_secure=bool(settings.three_d_secure),
			return_url=payment_links.return_url(unique_id, pr.name),
		)
		try:
			payment, stancer_customer = create_payment(
				client, settings, fields, unique_id, pr, customer, stancer_customer
			)
		except errors.ConflictError as conflict:
			# This reference is taken at Stancer: by an attempt of ours whose record was rolled
			# back (adopt it), or by someone else (never book it: take the next reference).
			payment = adopt_if_ours(client, conflict, unique_id, amount_minor, pr.currency, order_id)
			if payment is None:
				continue
		break
	else:
		return Checkout(
			"too_many",
			pr.name,
			message=_(
				"This payment link has been tried too many times. Please contact us to pay this request."
			),
		)

	record = attempt_record(pr, settings, unique_id, amount_minor, customer, stancer_customer, token)
	first_seen(record, payment)
	# The record is the app's own log and every value on it was just read or computed here:
	# written directly, without the document hooks a user-made document needs (hot path).
	record.set_user_and_timestamp()
	record.db_insert()
	if object_outcome(payment) is not Outcome.PENDING:
		# Adopted payment already decided: keep its record, record it, and let the customer
		# try again if it failed.
		frappe.db.commit()
		result = settle(record.name, fetch_for_recording(client, payment["id"]), pr.name)
		if result.outcome in ("Paid", "Authorized"):
			return paid_checkout(pr.name, result)
		return Checkout(
			"error", pr.name, message=_("The previous attempt was not completed. Please try again.")
		)
	return Checkout("redirect", pr.name, location=page_url(client, payment, page_lang))


def attempt_record(pr, settings, unique_id, amount_minor, customer, stancer_customer=None, token=None):
	"""The (unsaved) Stancer Payment of one attempt at paying `pr`, named after its unique_id:
	the return address names it, whatever became of an earlier record of the same attempt."""
	record = frappe.get_doc(
		{
			"doctype": RECORD,
			"payment_request": pr.name,
			"reference_doctype": pr.reference_doctype,
			"reference_name": pr.reference_name,
			"customer": customer,
			"stancer_settings": settings.name,
			"mode": settings.mode,
			"public_key": settings.public_key,
			"amount": money.from_minor(amount_minor, pr.currency),
			"currency": pr.currency,
			"amount_minor": amount_minor,
			"unique_id": unique_id,
			"stancer_customer_id": stancer_customer,
			"link_token": token or payment_links.make_token(pr.name),
		}
	)
	record.name = unique_id
	return record


def create_payment(client, settings, fields, unique_id, pr, customer, stancer_customer):
	"""Create the Stancer payment (or intent) of one attempt; return it with the customer id
	used. A Stancer customer Stancer no longer knows is made again."""

	def create(stancer_customer):
		if settings.uses_payment_intents:
			# Intents take no unique_id: it travels in their metadata, for is_same_attempt.
			metadata = {"payment_request": pr.name, "unique_id": unique_id}
			return client.payment_intents.create(**fields, customer=stancer_customer, metadata=metadata)
		return client.payments.create(**fields, customer=stancer_customer, unique_id=unique_id)

	try:
		return create(stancer_customer), stancer_customer
	except errors.NotFoundError:
		if not stancer_customer:
			raise
		# The stored customer id is unknown to Stancer (deleted there): make it again. The
		# payment was not created, so the same unique_id is still free.
		customers.forget_stancer_customer(customer, settings)
		stancer_customer = customers.ensure_stancer_customer(customer, settings, client, email=pr.email_to)
		return create(stancer_customer), stancer_customer


def adopt_if_ours(client, conflict, unique_id, amount_minor, currency, order_id):
	"""The payment behind a 409 on our unique_id when it is provably this attempt's, else None."""
	try:
		existing = (
			client.payments.get(conflict.existing_id)
			if conflict.existing_id
			else client.payments.find_by_unique_id(unique_id)
		)
	except errors.NotFoundError:
		return None
	if existing and references.is_same_attempt(
		existing, unique_id=unique_id, amount=amount_minor, currency=currency, order_id=order_id
	):
		return existing
	frappe.log_error(
		title="Stancer reference taken",
		message=f"Stancer holds {conflict.existing_id or 'a payment'} under unique_id {unique_id}, "
		"but not for this attempt (another site on the same Stancer account?). Not recorded here.",
	)
	return None


def paid_checkout(payment_request, result):
	if result.needs_attention:
		return Checkout(
			"received",
			payment_request,
			message=_("Your payment was received. Our team will contact you about this order."),
		)
	return Checkout(
		"paid",
		payment_request,
		location=payment_links.success_url(
			payment_request, payment_links.redirect_for_visitor(result.redirect_to)
		),
	)


def page_url(client, payment, lang):
	"""Stancer's hosted page: an intent brings its own address, a payment's is built."""
	return payment["url"] if is_intent(payment) else client.payment_page_url(payment["id"], lang)


def payment_page_language(settings, lang=None):
	"""The settings' language, else `lang` (the page passes the customer's, else the
	visitor's), else the site's."""
	return settings.payment_page_language or lang or frappe.get_system_settings("language") or "en"
