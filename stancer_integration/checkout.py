"""Opening a payment link: find or create the Stancer payment for what is due on the Payment
Request, then send the customer to Stancer's hosted page.

The amount always comes from the Payment Request on the server, never from the URL.
"""

from dataclasses import dataclass

import frappe
from frappe import _

from stancer_integration import customers, links
from stancer_integration.messages import error_message
from stancer_integration.privileges import as_administrator
from stancer_integration.settlement import RECORD, amount_due, settle, sync_record, update_record
from stancer_integration.stancer import errors, money
from stancer_integration.stancer.statuses import Outcome, is_intent, object_outcome
from stancer_integration.stancer.validation import shorten_description, stable_reference

# Attempts that still stand: one waiting for the customer, or one the bank authorized and the
# merchant captures later (the customer has paid: never ask them again).
STANDING = ("Pending", "Authorized")
# What the link needs of a Payment Request: read as values, not as a whole document.
PR_FIELDS = (
	"name",
	"docstatus",
	"status",
	"payment_gateway",
	"currency",
	"grand_total",
	"outstanding_amount",
	"party_account_currency",
	"party_type",
	"party",
	"subject",
	"email_to",
	"reference_doctype",
	"reference_name",
)


@dataclass
class Checkout:
	state: str  # redirect | paid | cancelled | disabled | unavailable | error
	payment_request: str
	location: str | None = None
	message: str | None = None


def settings_for_gateway(payment_gateway):
	"""The Stancer Settings behind a Payment Gateway, or None when it is not a Stancer one."""
	if not payment_gateway:
		return None
	gateway = frappe.db.get_value(
		"Payment Gateway", payment_gateway, ["gateway_settings", "gateway_controller"], as_dict=True
	)
	if not gateway or gateway.gateway_settings != "Stancer Settings" or not gateway.gateway_controller:
		return None
	return frappe.get_doc("Stancer Settings", gateway.gateway_controller)


def payment_request_for_token(token):
	"""The Payment Request name a link token carries; 404 for anything else."""
	name = links.read_token(token)
	if not name:
		raise frappe.PageDoesNotExistError
	return name


def open_link(token, lang=None):
	name = payment_request_for_token(token)
	with as_administrator():
		return _open(name, token, lang)


def read_payment_request(name, lock=False):
	return frappe.db.get_value("Payment Request", name, PR_FIELDS, as_dict=True, for_update=lock)


def _open(name, token, lang):
	# Fresh transaction, then the Payment Request lock: a double click waits here and then
	# finds the first click's payment instead of making another (and, the lock coming before
	# any plain read, MariaDB's snapshot includes what that click committed).
	frappe.db.commit()
	pr = read_payment_request(name, lock=True)
	if not pr:
		raise frappe.PageDoesNotExistError
	settings = settings_for_gateway(pr.payment_gateway)
	if settings is None or pr.docstatus == 0:
		raise frappe.PageDoesNotExistError
	if pr.docstatus == 2 or pr.status == "Cancelled":
		return Checkout("cancelled", name, message=_("This payment request has been cancelled."))
	if amount_due(pr) <= 0:
		return Checkout(
			"paid", name, location=links.success_url(name), message=_("This payment request is paid.")
		)
	if not settings.enabled:
		return Checkout(
			"disabled", name, message=_("Card payment is not available for this request any more.")
		)
	try:
		with settings.get_client() as client:
			return _pay(pr, settings, client, token, lang)
	except errors.UnavailableError as error:
		frappe.db.rollback()
		return Checkout("unavailable", name, message=error_message(error))
	except errors.StancerError as error:
		frappe.db.rollback()
		frappe.log_error(title="Stancer checkout", message=f"{name}: {type(error).__name__}: {error}")
		return Checkout("error", name, message=error_message(error))


def _pay(pr, settings, client, token, lang):
	due = amount_due(pr)
	amount_minor = money.to_minor(due, pr.currency)
	page_lang = payment_page_language(pr, settings, lang)

	attempts = frappe.get_all(
		RECORD,
		filters={"payment_request": pr.name},
		fields=[
			"name",
			"stancer_id",
			"outcome",
			"amount_minor",
			"currency",
			"stancer_settings",
			"public_key",
		],
		order_by="creation desc",
	)
	for attempt in attempts:
		if (
			attempt.outcome in STANDING
			and attempt.stancer_id
			and attempt.amount_minor == amount_minor
			and (attempt.currency or "").upper() == pr.currency.upper()
			and attempt.stancer_settings == settings.name
			and attempt.public_key == settings.public_key
		):
			payment = client.fetch(attempt.stancer_id)
			if object_outcome(payment) is Outcome.PENDING:
				frappe.db.commit()
				return Checkout("redirect", pr.name, location=page_url(client, payment, page_lang))
			# It moved on while the customer was away (paid, refused…): record that first.
			result = sync_record(attempt.name, payment, settings=settings)
			if result.outcome in ("Paid", "Authorized"):
				return Checkout("paid", pr.name, location=links.success_url(pr.name, result.redirect_to))
			frappe.db.get_value("Payment Request", pr.name, "name", for_update=True)

	customer = payment_request_customer(pr)
	stancer_customer = (
		customers.ensure_stancer_customer(customer, settings, client, email=pr.email_to) if customer else None
	)
	# One unique_id per attempt: a lost answer is found again, a new try after a refusal is new.
	unique_id = stable_reference(f"{pr.name}-{len(attempts) + 1}")
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
			"amount": due,
			"currency": pr.currency,
			"amount_minor": amount_minor,
			"unique_id": unique_id,
			"stancer_customer_id": stancer_customer,
			"link_token": token,
		}
	)
	record.set_new_name()

	def create(stancer_customer):
		fields = dict(
			amount=amount_minor,
			currency=pr.currency,
			description=shorten_description(pr.subject or pr.reference_name, fallback=pr.name),
			order_id=stable_reference(pr.name),
			capture=settings.capture_mode == "Immediately",
			three_d_secure=bool(settings.three_d_secure),
			return_url=links.return_url(record.name),
			customer=stancer_customer,
		)
		if settings.uses_payment_intents:
			# Intents take no unique_id; the Payment Request lock still allows one per click.
			return client.payment_intents.create(**fields, metadata={"payment_request": pr.name})
		return client.payments.create(**fields, unique_id=unique_id)

	try:
		payment = create(stancer_customer)
	except errors.NotFoundError:
		if not stancer_customer:
			raise
		# The stored customer id is unknown to Stancer (deleted there): make it again. The
		# payment was not created, so the same unique_id is still free.
		customers.forget_stancer_customer(customer, settings)
		stancer_customer = customers.ensure_stancer_customer(customer, settings, client, email=pr.email_to)
		record.stancer_customer_id = stancer_customer
		payment = create(stancer_customer)
	except errors.ConflictError as conflict:
		# An earlier try with this unique_id reached Stancer but its record was rolled back.
		if not conflict.existing_id:
			raise
		payment = client.payments.get(conflict.existing_id)
	update_record(record, payment)
	# The record is the app's own log and every value on it was just read or computed here:
	# written directly, without the document hooks a user-made document needs (hot path).
	record.set_user_and_timestamp()
	record.db_insert()
	frappe.db.commit()
	if object_outcome(payment) is not Outcome.PENDING:
		# Adopted payment already decided: record it, and let the customer try again if it failed.
		result = settle(record.name, payment)
		if result.outcome == "Paid":
			return Checkout("paid", pr.name, location=links.success_url(pr.name, result.redirect_to))
		return Checkout(
			"error", pr.name, message=_("The previous attempt was not completed. Please try again.")
		)
	return Checkout("redirect", pr.name, location=page_url(client, payment, page_lang))


def page_url(client, payment, lang):
	"""Stancer's hosted page: an intent brings its own address, a payment's is built."""
	return payment["url"] if is_intent(payment) else client.payment_page_url(payment["id"], lang)


def payment_request_customer(pr):
	if pr.get("party_type") == "Customer" and pr.get("party"):
		return pr.party
	customer = frappe.db.get_value(pr.reference_doctype, pr.reference_name, "customer")
	return customer or None


def payment_page_language(pr, settings, lang=None):
	"""The settings' language, else the customer's, else the visitor's or the site's."""
	if settings.payment_page_language:
		return settings.payment_page_language
	customer = payment_request_customer(pr)
	language = frappe.db.get_value("Customer", customer, "language") if customer else None
	return language or lang or frappe.get_system_settings("language") or "en"


def handle_return(record_name):
	"""The customer is back from Stancer: ask Stancer (never the query string), record, answer."""
	if not record_name or not isinstance(record_name, str):
		raise frappe.PageDoesNotExistError
	with as_administrator():
		record = frappe.db.get_value(
			RECORD, record_name, ["payment_request", "stancer_settings", "link_token"], as_dict=True
		)
		if not record:
			raise frappe.PageDoesNotExistError
		settings = frappe.get_doc("Stancer Settings", record.stancer_settings)
		retry = links.checkout_url(record.payment_request, record.link_token or None)
		try:
			result = sync_record(record_name, settings=settings)
		except errors.UnavailableError:
			frappe.db.rollback()
			return Checkout(
				"unavailable",
				record.payment_request,
				location=links.return_url(record_name),
				message=_(
					"Stancer cannot be reached right now: your payment is safe. Please reload this page in a moment."
				),
			)
		except errors.StancerError as error:
			frappe.db.rollback()
			frappe.log_error(
				title="Stancer return", message=f"{record_name}: {type(error).__name__}: {error}"
			)
			return Checkout("error", record.payment_request, location=retry, message=error_message(error))
	redirect_to = result.redirect_to or links.configured_redirect(settings.redirect_url)
	if result.outcome == "Paid" and result.needs_attention:
		return Checkout(
			"received",
			record.payment_request,
			message=_("Your payment was received. Our team will contact you about this order."),
		)
	if result.outcome in ("Paid", "Authorized"):
		return Checkout(
			"paid", record.payment_request, location=links.success_url(record.payment_request, redirect_to)
		)
	if result.outcome == "Pending":
		return Checkout(
			"pending",
			record.payment_request,
			location=links.return_url(record_name),
			message=_("Your payment is being processed. This page will tell you the result in a moment."),
		)
	failure = links.configured_redirect(settings.failure_redirect_url)
	if failure:
		return Checkout("redirect", record.payment_request, location=failure)
	return Checkout(
		"failed",
		record.payment_request,
		location=retry,
		message=_("The payment did not go through and nothing was charged. You can try again."),
	)
