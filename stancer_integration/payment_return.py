"""The customer back from Stancer's page (`/stancer_return?ref=<unique_id>&pr=<request>`): find
the attempt — even one whose record was lost —, ask Stancer (never the query string), record
it, and say what happened.
"""

import frappe
from frappe import _

from stancer_integration import after_answer, payment_links, payment_request_info
from stancer_integration.checkout import Checkout, attempt_record, max_attempts
from stancer_integration.error_messages import error_message
from stancer_integration.permissions import as_administrator, visitor
from stancer_integration.settlement import (
	RECORD,
	Settlement,
	Unreadable,
	fetch_record,
	first_seen,
	flag_unreadable,
	in_fresh_transaction,
	read_refunds,
	settle,
	will_book,
	with_lock_retries,
)
from stancer_integration.site_references import attempt_unique_id
from stancer_integration.stancer import errors
from stancer_integration.stancer.statuses import is_final
from stancer_integration.stancer.validation import stable_reference


def speak_customers_language(payment_request):
	"""The customer's language for the rest of this page (else the visitor's, as Frappe set);
	returns it, or None when the request's customer has none."""
	if not payment_request or not isinstance(payment_request, str):
		return None
	language = payment_request_info.language_of_request(payment_request)
	if language:
		frappe.local.lang = language
	return language


# What a return reads of its Stancer Payment: one plain query, on every return.
RETURN_FIELDS = (
	"name",
	"payment_request",
	"stancer_settings",
	"link_token",
	"stancer_id",
	"public_key",
	"amount",
	"amount_minor",
	"currency",
	"outcome",
	"payment_entry",
	"needs_attention",
)


def read_record(ref):
	"""The values of the Stancer Payment a return address names: by name (its unique_id), or by
	unique_id for records named before that rule; None when it names none."""
	if not ref or not isinstance(ref, str) or len(ref) > 140:
		return None
	rows = frappe.db.sql(
		"select {} from `tabStancer Payment` where name = %(ref)s or unique_id = %(ref)s "
		"order by name = %(ref)s desc limit 1".format(", ".join(f"`{f}`" for f in RETURN_FIELDS)),
		{"ref": ref},
		as_dict=True,
	)
	return rows[0] if rows else None


def recover_attempt(payment_request, unique_id):
	"""The record of an attempt Stancer holds but this site lost (its record was rolled back
	after Stancer made the payment), made again from what Stancer says; None when `unique_id`
	is not one of this request's attempts or Stancer has no such payment."""
	if not payment_request or not isinstance(payment_request, str):
		return None
	pr = payment_request_info.read(payment_request)
	if not pr or pr.docstatus == 0:
		return None
	if unique_id not in {attempt_unique_id(pr, n) for n in range(1, max_attempts() + 1)}:
		return None  # not a reference this site made for this request
	settings = payment_request_info.settings_for_gateway(pr.payment_gateway)
	if settings is None:
		return None
	order_id = stable_reference(pr.name)
	with settings.get_client() as client:
		payment = find_attempt(client, settings, unique_id, order_id)
	if not payment or str(payment.get("currency") or "").upper() != pr.currency.upper():
		return None
	if payment.get("order_id") != order_id or not isinstance(payment.get("amount"), int):
		return None

	def work():
		payment_request_info.lock(pr.name)
		if frappe.db.exists(RECORD, unique_id):
			return unique_id  # made meanwhile by a concurrent return
		record = attempt_record(
			pr, settings, unique_id, payment["amount"], payment_request_info.customer_of(pr)
		)
		first_seen(record, payment)
		record.set_user_and_timestamp()
		record.db_insert()
		return unique_id

	return with_lock_retries(lambda: in_fresh_transaction(work))


def find_attempt(client, settings, unique_id, order_id):
	"""What Stancer holds under this attempt's unique_id (in an intent's metadata for intents)."""
	if settings.uses_payment_intents:
		for intent in client.payment_intents.list(order_id=order_id, limit=100):
			metadata = intent.get("metadata") if isinstance(intent.get("metadata"), dict) else {}
			if metadata.get("unique_id") == unique_id:
				return intent
		return None
	return client.payments.find_by_unique_id(unique_id)


def settled(record_name, record):
	"""What a record settled for good already says (a reload, the back button, a webhook that
	came first): nothing Stancer says of it now changes what the customer is shown. None while
	it is open, or paid and not booked yet."""
	outcome = (record.outcome or "pending").lower()
	if not is_final(outcome) or (
		outcome == "paid" and not record.payment_entry and not record.needs_attention
	):
		return None
	return Settlement(
		record_name,
		record.payment_request,
		record.outcome,
		record.payment_entry,
		bool(record.needs_attention),
	)


def record_now_or_after_answer(record, settings):
	"""Record what Stancer says of the attempt (`record`: its values), or — for a guest whose
	paid payment nothing known stops from being booked — answer first and book once the answer
	is sent: ERPNext's Payment Entry is most of a return's time. Only where the reconciliation
	runs, which books it should the booking stop half way. A logged-in payer waits for the
	booking: a shop sends them on to its order page, which must show it paid."""
	pr = record.payment_request
	with settings.get_client() as client:
		try:
			# What refunds gave back is read before booking: after the answer, when there is one.
			record, payment = fetch_record(
				record.name, settings=settings, client=client, record=record, refunds=False
			)
		except Unreadable as unreadable:
			return flag_unreadable(record.name, unreadable.record, unreadable.reason)
		if will_book(record, payment):
			if (
				visitor() == "Guest"
				and settings.reconciled_on_schedule
				and after_answer.book_later(record.name, pr, settings)
			):
				return Settlement(record.name, pr, "Paid")
			# Another attempt of the request, paid too (two tabs), is being booked after its
			# answer: this one waits for it, to be told, as before, that the team will call.
			after_answer.wait_for_other(pr)
		payment = read_refunds(client, payment)
	return settle(record.name, payment, pr)


def handle_return(ref, payment_request=None, record=None):
	"""The customer is back from Stancer: ask Stancer (never the query string), record, answer.
	`record` is what `read_record(ref)` read, when the caller read it already."""
	with as_administrator():
		record = record or read_record(ref)
		if not record:
			try:
				record = read_record(recover_attempt(payment_request, ref))
			except errors.StancerError:
				record = None
		if not record:
			raise frappe.PageDoesNotExistError
		record_name = record.name
		settings = frappe.get_cached_doc("Stancer Settings", record.stancer_settings)
		retry = payment_links.checkout_url(record.payment_request, record.link_token or None)
		try:
			result = settled(record_name, record) or record_now_or_after_answer(record, settings)
		except errors.UnavailableError:
			frappe.db.rollback()
			return Checkout(
				"unavailable",
				record.payment_request,
				location=payment_links.return_url(record_name, record.payment_request),
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
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			# Still busy after every retry: the payment is safe at Stancer and recorded on a
			# later visit; the customer is told so, not shown an error.
			frappe.db.rollback()
			return Checkout(
				"pending",
				record.payment_request,
				location=payment_links.return_url(record_name, record.payment_request),
				message=_("Your payment is being processed. This page will tell you the result in a moment."),
			)
	redirect_to = payment_links.redirect_for_visitor(result.redirect_to) or payment_links.configured_redirect(
		settings.redirect_url
	)
	if result.needs_attention and result.outcome in ("Paid", "Authorized", "Disputed", "Refunded"):
		return Checkout(
			"received",
			record.payment_request,
			message=_("Your payment was received. Our team will contact you about this order."),
		)
	if result.needs_attention and result.outcome == "Pending":
		return Checkout(
			"received",
			record.payment_request,
			message=_(
				"We could not confirm your payment automatically. Our team will check it and contact you."
			),
		)
	if result.outcome in ("Paid", "Authorized"):
		return Checkout(
			"paid",
			record.payment_request,
			location=payment_links.success_url(record.payment_request, redirect_to),
		)
	if result.outcome == "Pending":
		return Checkout(
			"pending",
			record.payment_request,
			location=payment_links.return_url(record_name, record.payment_request),
			message=_("Your payment is being processed. This page will tell you the result in a moment."),
		)
	failure = payment_links.configured_redirect(settings.failure_redirect_url)
	if failure:
		return Checkout("redirect", record.payment_request, location=failure)
	return Checkout(
		"failed",
		record.payment_request,
		location=retry,
		message=_("The payment did not go through and nothing was charged. You can try again."),
	)
