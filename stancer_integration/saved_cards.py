"""The card a customer keeps for a subscription: saved when they pay a subscription's link, the
default payment method of their row in the Customer's Stancer table (one per account and mode),
replaced by the card of a later payment of the subscription, dropped when the bank says the card is
finished (lost, stolen, expired) or when an Accounts Manager forgets it.

Only the two ids are stored (Stancer customer id, card id); brand and last 4 digits are read from
Stancer when the Customer form shows them. A one-off payment never saves a card: the customer agreed
to later charges only through a subscription.
"""

import functools

import frappe
from frappe import _

from stancer_integration import customers, payment_request_info
from stancer_integration.customers import CHILD_DOCTYPE, TABLE_FIELD
from stancer_integration.permissions import require_manager
from stancer_integration.stancer import errors
from stancer_integration.stancer import saved_cards as rules
from stancer_integration.stancer.validation import shorten_description


def is_subscription_request(payment_request):
	"""True when the Payment Request (a name, or its values as `payment_request_info.read`
	gives them) belongs to a subscription: ERPNext's `is_a_subscription`, Dokos' `subscription`
	field, or a Sales Invoice (or Order) a Subscription made."""
	if isinstance(payment_request, dict):
		values = payment_request
	else:
		values = payment_request_info.read(payment_request)
	if not values:
		return False
	if values.get("is_a_subscription") or values.get("subscription"):
		return True
	subscription = reference_subscription(values.reference_doctype, values.reference_name)
	if not subscription:
		return False
	from stancer_integration.renewals import stancer_plan_account

	# Another gateway's subscription: its renewals are not charged here, so no card is kept.
	return bool(stancer_plan_account(subscription))


def checkout_description(pr, lang=None):
	"""What Stancer's page shows for a link: what is paid, and for a subscription, that the card
	is kept for it; in `lang`, the page's language (else the one this request speaks)."""
	lang = (lang or frappe.local.lang or "en").split("-")[0]
	if is_subscription_request(pr):
		text = _("Card kept for the subscription: {0}", lang=lang).format(pr.reference_name)
	else:
		# What is paid, in the page's language: ERPNext's subject is English whoever the
		# customer is.
		text = f"{label(frappe.local.site, lang, pr.reference_doctype)} {pr.reference_name}"
	return shorten_description(text, fallback=pr.name)


@functools.lru_cache(maxsize=256)
def label(site, lang, doctype):
	"""A doctype's name in a language, kept by the process: the first translation a request asks
	for loads the language's whole dictionary, a cost every click of a link would pay."""
	return _(doctype, lang=lang)


def reference_subscription(doctype, name):
	"""The Subscription that made a Sales Invoice (or, on Dokos, a Sales Order), or None."""
	if doctype not in ("Sales Invoice", "Sales Order") or not name:
		return None
	# The table's columns, not the doctype's meta: a Sales Order's meta is heavy to load, and
	# every click of a link asks.
	if not frappe.db.has_column(doctype, "subscription"):
		return None
	return frappe.db.get_value(doctype, name, "subscription") or None


def after_update(record, payment, outcome_before):
	"""Settlement's call after it copied a Stancer answer onto a record (under the request's
	lock, in its transaction): a subscription's first paid payment saves its card; a refusal
	saying the card is finished drops it as the default."""
	if record.outcome == outcome_before:
		return
	if record.outcome == "Paid":
		remember(record, payment)
	elif record.outcome == "Failed" and rules.card_unusable(payment):
		stop_default(record.customer, record.stancer_settings, rules.card_id_of(payment))


def remember(record, payment):
	"""Make the card of a paid subscription payment the customer's default for its account."""
	card = rules.card_id_of(payment)
	stancer_customer = rules.customer_id_of(payment) or record.stancer_customer_id
	if not (card and stancer_customer and record.customer and record.payment_request):
		return
	if not is_subscription_request(record.payment_request):
		return
	settings = frappe.get_doc("Stancer Settings", record.stancer_settings)
	if record.public_key and record.public_key != settings.public_key:
		return  # made under another account: its ids mean nothing to the current one
	customers.set_reference(record.customer, settings, stancer_customer)
	row = customers.get_reference(record.customer, settings)
	# The two ids go together: the card is charged as this customer's.
	frappe.db.set_value(
		CHILD_DOCTYPE,
		row.name,
		{"stancer_customer_id": stancer_customer, "payment_method_id": card},
		update_modified=False,
	)


def stop_default(customer, settings_name, card):
	"""The card is no default any more (only where it still is: a newer card stays)."""
	if not (customer and settings_name and card):
		return
	frappe.db.get_value("Customer", customer, "name", for_update=True)
	for row in frappe.get_all(
		CHILD_DOCTYPE,
		filters={
			"parenttype": "Customer",
			"parent": customer,
			"parentfield": TABLE_FIELD,
			"stancer_settings": settings_name,
			"payment_method_id": card,
		},
		pluck="name",
	):
		frappe.db.set_value(CHILD_DOCTYPE, row, "payment_method_id", None, update_modified=False)


def default_card(customer, settings):
	"""(Stancer customer id, card id) to charge for this customer under these settings, or None."""
	row = customers.get_reference(customer, settings) if customer else None
	if row and row.stancer_customer_id and row.payment_method_id:
		return row.stancer_customer_id, row.payment_method_id
	return None


def saved_rows(customer):
	return frappe.get_all(
		CHILD_DOCTYPE,
		filters={
			"parenttype": "Customer",
			"parent": customer,
			"parentfield": TABLE_FIELD,
			"payment_method_id": ("is", "set"),
		},
		fields=["name", "stancer_settings", "mode", "public_key", "payment_method_id"],
		order_by="idx asc",
	)


@frappe.whitelist()
def cards_of(customer):
	"""The saved cards of a Customer for its form, per Stancer account and mode: brand and last 4
	digits read from Stancer now (never stored), and whether the user may forget them."""
	frappe.has_permission("Customer", "read", customer, throw=True)
	may_forget = can_forget()
	shown = []
	for row in saved_rows(customer):
		card = {
			"row": row.name,
			"settings": row.stancer_settings,
			"mode": row.mode,
			"can_forget": may_forget,
		}
		card.update(read_card(row))
		shown.append(card)
	return shown


def read_card(row):
	"""What Stancer says of a saved card now, or why it cannot be read."""
	if not frappe.db.exists("Stancer Settings", row.stancer_settings):
		return {"error": _("The Stancer Settings of this card no longer exist.")}
	settings = frappe.get_doc("Stancer Settings", row.stancer_settings)
	if settings.public_key != row.public_key:
		return {"error": _("Saved under another Stancer account than these settings now use.")}
	try:
		with settings.get_client() as client:
			card = client.cards.get(row.payment_method_id)
	except errors.StancerError as error:
		return {"error": _("Stancer could not be read: {0}").format(type(error).__name__)}
	return {
		"label": rules.card_label(card),
		"expiry": f"{int(card.get('exp_month') or 0):02d}/{card.get('exp_year') or ''}",
		"expired": rules.card_expired(card),
	}


def can_forget():
	try:
		require_manager()
	except frappe.PermissionError:
		return False
	return True


@frappe.whitelist(methods=["POST"])
def forget(customer, row):
	"""Forget a customer's saved card (the customer withdrew consent): the next renewal e-mails
	the payment link instead of charging it. Accounts Managers only."""
	require_manager()
	frappe.has_permission("Customer", "read", customer, throw=True)
	card = frappe.db.get_value(
		CHILD_DOCTYPE,
		{"name": row, "parent": customer, "parenttype": "Customer", "parentfield": TABLE_FIELD},
		["stancer_settings", "payment_method_id"],
		as_dict=True,
	)
	if not card or not card.payment_method_id:
		frappe.throw(_("This customer has no saved card there."))
	stop_default(customer, card.stancer_settings, card.payment_method_id)
	frappe.get_doc("Customer", customer).add_comment(
		"Info",
		_("Saved Stancer card of {0} forgotten by {1}: the next renewals send the payment link.").format(
			card.stancer_settings, frappe.session.user
		),
	)
	return _("The saved card is forgotten.")
