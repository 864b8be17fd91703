# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt

import secrets
from datetime import timedelta

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils.password import set_encrypted_password

from stancer_integration import gateway_records, payment_links, webhooks
from stancer_integration.error_messages import error_message, validation_message
from stancer_integration.permissions import require_manager
from stancer_integration.stancer import StancerClient, errors, money, validation
from stancer_integration.stancer.client import DEFAULT_API_BASE

CALL_DEADLINE = 15  # seconds
CLIENT_BUDGET = 30  # seconds


class StancerSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		api_base_url: DF.Data
		bank_account: DF.Link | None
		capture_mode: DF.Literal["Immediately", "Authorize now, capture later"]
		checkout_flow: DF.Literal["Payment and hosted page", "Payment intent"]
		company: DF.Link
		currency: DF.Link
		enabled: DF.Check
		failure_redirect_url: DF.Data | None
		gateway_name: DF.Data
		make_default: DF.Check
		mode: DF.Literal["", "Test", "Live"]
		payment_account: DF.Link | None
		payment_gateway: DF.Link | None
		payment_gateway_account: DF.Link | None
		payment_page_language: DF.Literal["", "fr", "en", "de", "es", "it", "nl", "pt"]
		public_key: DF.Data
		redirect_url: DF.Data | None
		secret_key: DF.Password
		three_d_secure: DF.Check
		webhook_id: DF.Data | None
		webhook_secret: DF.Password | None
	# end: auto-generated types

	def validate(self):
		self.gateway_name = (self.gateway_name or "").strip()
		self.public_key = (self.public_key or "").strip()
		self.api_base_url = (self.api_base_url or "").strip().rstrip("/")
		self.default_currency_from_company()
		self.validate_keys()
		self.validate_api_base_url()
		self.validate_currency()
		gateway_records.validate_payment_account(self)
		masked = set(self.webhook_secret or "*") <= {"*"}
		stored = not self.is_new() and self.get_password("webhook_secret", raise_exception=False)
		if masked and not stored:  # none yet, or a copy's mask: a copy gets its own secret
			# Stored in a Password field; it only ever leaves the site inside the webhook URL
			# registered with Stancer.
			self.webhook_secret = secrets.token_hex(32)

	def rotate_webhook_secret(self):
		secret = secrets.token_hex(32)
		set_encrypted_password(self.doctype, self.name, secret, "webhook_secret")
		if self.webhook_id or self.webhook_url:
			webhooks.register(self)

	def _set_defaults(self):
		# Frappe fills a new document's missing fields from the site's defaults, currency
		# included: the company's currency must win over the site's when none was chosen.
		chosen = self.get("currency")
		super()._set_defaults()
		if not chosen and self.company:
			self.currency = None
			self.default_currency_from_company()

	def default_currency_from_company(self):
		if self.company and not self.currency:
			self.currency = frappe.get_cached_value("Company", self.company, "default_currency")

	def validate_keys(self):
		secret = self.get_secret_key()
		try:
			mode = validation.keys(self.public_key, secret)
		except errors.ValidationError as error:
			frappe.throw(validation_message(error), title=_("Invalid Stancer key"))
		self.mode = "Live" if mode == "live" else "Test"

	def validate_api_base_url(self):
		try:
			self.get_client(secret_key=self.get_secret_key())
		except errors.ValidationError as error:
			frappe.throw(validation_message(error), title=_("Invalid API base URL"))

	def validate_currency(self):
		try:
			validation.currency(self.currency)
		except errors.ValidationError as error:
			frappe.throw(validation_message(error), title=_("Currency not supported"))

	def on_update(self):
		previous = self.get_doc_before_save()
		if previous and previous.public_key and previous.public_key != self.public_key:
			# Another Stancer account: its open payments cannot be read with the new keys, and
			# the webhook's address gets a new key (the old account's holder keeps none).
			flag_payments_of_old_keys(self.name, previous.public_key)
			self.rotate_webhook_secret()
		if not self.enabled and self.webhook_id:
			webhooks.unregister(self)
		elif webhooks.can_register_on_save(self) and self.webhook_url != webhooks.shown_url(self):
			webhooks.register(self)  # never blocks the save: a refusal becomes the status
		self.db_set(self.gateway_values(), notify=True)

	def after_rename(self, old, new, merge=False):
		self.db_set("gateway_name", new)
		gateway_records.rename(old, new)
		self.reload()
		self.db_set(self.gateway_values())

	def gateway_values(self):
		"""Make the gateway records agree with these settings; the values the form shows of them,
		the account the money is booked to among them (the one the app made, when none is set)."""
		gateway, gateway_account = gateway_records.sync(self)
		return {
			"payment_gateway": gateway,
			"payment_gateway_account": gateway_account,
			"receiving_account": frappe.db.get_value(
				"Payment Gateway Account", gateway_account, "payment_account"
			),
		}

	def on_trash(self):
		gateway = gateway_records.gateway_name(self.name)
		if frappe.db.exists("Payment Request", {"payment_gateway": gateway, "docstatus": ("<", 2)}):
			frappe.throw(
				_(
					"Payment Requests use the gateway {0}: disable these Stancer Settings instead of deleting them."
				).format(frappe.bold(gateway))
			)
		webhooks.unregister(self)
		for name in frappe.get_all("Payment Gateway Account", {"payment_gateway": gateway}, pluck="name"):
			frappe.delete_doc("Payment Gateway Account", name, ignore_permissions=True, force=True)
		if frappe.db.exists("Payment Gateway", gateway):
			frappe.delete_doc("Payment Gateway", gateway, ignore_permissions=True, force=True)
		gateway_records.drop_mode_of_payment(self.name)

	# -- Stancer access -------------------------------------------------------------------

	def get_secret_key(self):
		"""The real secret key: the one being typed, else the stored one (never the mask)."""
		typed = self.secret_key or ""
		if typed and not set(typed) <= {"*"}:
			return typed.strip()
		if self.is_new():
			return None
		return self.get_password("secret_key", raise_exception=False)

	@property
	def uses_payment_intents(self):
		return self.checkout_flow == "Payment intent"

	@property
	def reconciled_on_schedule(self):
		"""Whether the scheduled reconciliation reads this account's open payments again: what
		books a payment whose recording stopped half way (the return page counts on it). Frappe's
		`is_scheduler_inactive` asks the same, but reads System Settings from the database; on a
		customer's click, this reads them from the document cache."""
		conf = frappe.local.conf
		if (
			not self.reconcile_every
			or conf.maintenance_mode
			or conf.pause_scheduler
			or conf.disable_scheduler
		):
			return False
		return bool(frappe.utils.cint(frappe.get_system_settings("enable_scheduler")))

	def get_client(self, secret_key=None, budget=CLIENT_BUDGET):
		"""A client for this account only: one site's keys never serve another's call.

		Calls are often made while a Payment Request row is locked: each ends, retries
		included, within CALL_DEADLINE seconds, and all of one client's calls within
		CLIENT_BUDGET seconds, well under MariaDB's lock wait (50 s). A background job that
		reads many payments one lock at a time passes budget=None."""
		return StancerClient(
			secret_key=secret_key or self.get_secret_key(),
			public_key=self.public_key,
			api_base=self.api_base_url or DEFAULT_API_BASE,
			connect_timeout=5,
			read_timeout=15,
			deadline=CALL_DEADLINE,
			budget=budget,
			user_agent=f"frappe/{frappe.__version__}",
		)

	@frappe.whitelist()
	def test_connection(self):
		"""Call Stancer with the stored secret key and say what happened, in the user's words."""
		require_manager()
		try:
			client = self.get_client()
		except errors.ValidationError as error:
			return {"ok": False, "message": validation_message(error)}
		try:
			live = client.check_connection()
		except errors.AuthenticationError:
			return {
				"ok": False,
				"message": _("Stancer refused the secret key: check that it is complete and not revoked."),
			}
		except errors.UnavailableError:
			return {
				"ok": False,
				"message": _(
					"Stancer could not be reached at {0}. Check the API base URL and the network."
				).format(client.api_base),
			}
		except errors.StancerError as error:
			return {"ok": False, "message": error_message(error)}
		finally:
			client.close()
		if live is not None and live != (self.mode == "Live"):
			return {
				"ok": False,
				"message": _("Stancer answered in {0} mode but the keys are {1} keys.").format(
					_("Live") if live else _("Test"), _(self.mode)
				),
			}
		return {
			"ok": True,
			"mode": self.mode,
			"message": _("Connected to Stancer in {0} mode.").format(_(self.mode)),
		}

	@frappe.whitelist()
	def register_webhook(self):
		"""Desk button: register (again) this account's webhook with Stancer; what happened."""
		require_manager()
		status = webhooks.register(frappe.get_doc(self.doctype, self.name))
		return {"registered": status == _("Registered with Stancer."), "message": status}

	@frappe.whitelist()
	def reconcile_now(self):
		"""Desk button: read this account's open payments from Stancer now; what was found."""
		require_manager()
		from stancer_integration import reconciliation

		# All open payments, the newest too: reading one a customer is still paying changes nothing.
		found = reconciliation.reconcile(frappe.get_doc(self.doctype, self.name), min_age=timedelta(0))
		return {"found": dict(found), "message": reconciliation.summary(found)}

	# -- what ERPNext, payments and Dokos call on a gateway controller ----------------------

	def validate_transaction_currency(self, currency):
		try:
			validation.currency(currency)
		except errors.ValidationError as error:
			frappe.throw(validation_message(error), title=_("Currency not supported"))

	def validate_minimum_transaction_amount(self, currency, amount):
		try:
			validation.amount(money.to_minor(amount, currency))
		except errors.ValidationError as error:
			frappe.throw(validation_message(error), title=_("Amount too small"))

	def get_payment_url(self, **kwargs):
		"""Our own checkout link for a Payment Request: an opaque token, never an amount.

		Callers pass title, description and payer name (sometimes as bytes) and extra keys such
		as payment_key, payment_gateway or redirect_to: all accepted, none trusted; the
		Payment Request is read on the server when the link is opened.
		"""
		reference_doctype = kwargs.get("reference_doctype")
		reference_name = kwargs.get("reference_docname") or kwargs.get("order_id")
		if isinstance(reference_name, bytes):
			reference_name = reference_name.decode()
		if reference_doctype != "Payment Request":
			frappe.throw(_("Stancer payments are taken through Payment Requests."))
		if not reference_name or not frappe.db.exists("Payment Request", reference_name):
			frappe.throw(_("Payment Request {0} does not exist.").format(reference_name))
		return payment_links.checkout_url(reference_name)

	# Dokos' contract for charging a saved method (subscriptions); untested here, Dokos is not
	# available. Both end in renewals, where a document is charged once whoever asks.
	def immediate_payment_processing(self, reference, customer=None, **kwargs):
		from stancer_integration.renewals import immediate_payment_processing

		return immediate_payment_processing(self, reference, customer, **kwargs)

	def can_make_immediate_payment(self, payment_request):
		from stancer_integration.renewals import can_make_immediate_payment

		return can_make_immediate_payment(self, payment_request)

	def on_payment_request_submission(self, payment_request):
		"""True: ERPNext then makes the payment URL and sends it by e-mail."""
		self.validate_transaction_currency(payment_request.currency)
		return True


def flag_payments_of_old_keys(settings_name, old_public_key):
	"""After a change of keys: the open payments made under the old account cannot be read
	with the new keys; each is flagged with the reason instead of failing in the log."""
	from stancer_integration.settlement import RECORD, account_changed_reason, flag_record

	for name, stancer_id in frappe.get_all(
		RECORD,
		filters={
			"stancer_settings": settings_name,
			"public_key": old_public_key,
			"outcome": ("in", ("Pending", "Authorized")),
			"needs_attention": 0,
		},
		fields=["name", "stancer_id"],
		as_list=True,
	):
		flag_record(name, account_changed_reason(stancer_id, old_public_key), own_transaction=False)
