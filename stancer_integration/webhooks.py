"""Stancer's notifications (webhooks): registration from Stancer Settings, the endpoint, and the
background job that records what a notification points at.

A notification is only a reason to look: the job fetches the payment from Stancer and hands it to
`settlement`, as the return page and the reconciliation do; nothing in a payload is trusted.
Whether Stancer sends webhooks at all is not settled by its public sources, so the app is right
without them (the reconciliation) and only faster with them.

The address registered with Stancer carries this account's webhook secret (`?account=…&key=…`),
so a delivery is authenticated even unsigned; when Stancer gives a signing secret at
registration, a valid `Stancer-Signature` is required as well.
"""

import hashlib
import hmac
import json
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.utils import get_url
from frappe.utils.password import decrypt, set_encrypted_password
from werkzeug.wrappers import Response

from stancer_integration import rate_limits
from stancer_integration.error_messages import validation_message
from stancer_integration.fast_pages import Answered
from stancer_integration.stancer import errors, signatures

ENDPOINT = "stancer_integration.webhooks.receive"
SETTINGS = "Stancer Settings"
SERVICE = "Stancer"
MAX_BODY = 64 * 1024  # bytes; Stancer's notifications carry one payment


class PayloadTooLarge(frappe.ValidationError):
	http_status_code = 413


class BadDelivery(frappe.ValidationError):
	http_status_code = 400


# -- registration ----------------------------------------------------------------------------


def endpoint_url(settings, base_url=None):
	"""The address Stancer calls, with this account's key in it (never shown, never logged)."""
	query = urlencode({"account": settings.name, "key": settings.get_password("webhook_secret")})
	return f"{(base_url or get_url()).rstrip('/')}/api/method/{ENDPOINT}?{query}"


def shown_url(settings, base_url=None):
	return f"{(base_url or get_url()).rstrip('/')}/api/method/{ENDPOINT}?account={settings.name}&key=…"


def register(settings, base_url=None):
	"""Register (or register again, replacing) this account's webhook; the status to show."""
	url = endpoint_url(settings, base_url)
	with settings.get_client() as client:
		try:
			if settings.webhook_id:
				try:
					client.webhooks.delete(settings.webhook_id)
				except errors.NotFoundError:
					pass
			hook = client.webhooks.create(url=url)
		except (errors.NotFoundError, errors.InvalidRequestError, errors.AuthenticationError):
			return save_registration(settings, None, None, None, not_available_message())
		except errors.ValidationError as error:
			return save_registration(settings, None, None, None, validation_message(error))
		except errors.StancerError:
			return save_registration(
				settings,
				settings.webhook_id,
				None,
				None,
				_("Stancer could not be reached to register the webhook: try again later.")
				+ " "
				+ _("Reconciliation keeps payments up to date meanwhile."),
			)
	return save_registration(
		settings,
		hook.get("id"),
		shown_url(settings, base_url),
		hook.get("secret"),
		_("Registered with Stancer."),
	)


def not_available_message():
	return _("Webhooks are not available for this account — reconciliation keeps payments up to date.")


def unregister(settings):
	"""Take this account's webhook away from Stancer (settings disabled or deleted)."""
	if not settings.webhook_id:
		return
	try:
		with settings.get_client() as client:
			client.webhooks.delete(settings.webhook_id)
	except errors.StancerError:
		pass  # gone already, or Stancer unreachable: the key in its address is changed below
	save_registration(settings, None, None, None, _("Not registered."))


def save_registration(settings, webhook_id, url, signing_secret, status):
	values = {"webhook_id": webhook_id, "webhook_url": url, "webhook_status": status}
	if signing_secret:
		set_encrypted_password(settings.doctype, settings.name, signing_secret, "webhook_signing_secret")
		values["webhook_signing_secret"] = "*" * len(signing_secret)
	elif not webhook_id:
		frappe.db.delete(
			"__Auth",
			{"doctype": settings.doctype, "name": settings.name, "fieldname": "webhook_signing_secret"},
		)
		values["webhook_signing_secret"] = None
	frappe.db.set_value(settings.doctype, settings.name, values, update_modified=False)
	settings.update(values)
	return status


def can_register_on_save(settings):
	"""On save, only from a site Stancer can reach: a public https address."""
	from stancer_integration.stancer.urls import is_loopback_url

	url = get_url()
	return bool(settings.enabled and url.startswith("https://") and not is_loopback_url(url))


# -- the endpoint ----------------------------------------------------------------------------------


ENDPOINT_PATH = f"/api/method/{ENDPOINT}"


def receive_early():
	"""before_request hook (guest deliveries): a delivery is answered ahead of Frappe's API
	handler, which would only call `receive` the same way; a refusal still goes to Frappe's
	error answer (raised from here as from there)."""
	request = frappe.local.request
	if request.method != "POST" or request.path != ENDPOINT_PATH:
		return
	answer = receive()
	response = Response(json.dumps({"message": answer}), mimetype="application/json")
	response.status_code = frappe.local.response.get("http_status_code") or 200
	raise Answered(response)


# Guest: Stancer calls it without a session; the key in its address (and the signature, when
# Stancer gave a signing secret) is what authenticates a delivery.
@frappe.whitelist(allow_guest=True, methods=["POST"])
def receive(**kwargs):
	"""Accept one delivery: authenticate it, keep it once, and hand it to a background job."""
	request = frappe.request
	if (request.content_length or 0) > MAX_BODY:
		raise PayloadTooLarge(_("The notification is too large."))
	body = request.get_data(cache=True)
	if len(body) > MAX_BODY:
		raise PayloadTooLarge(_("The notification is too large."))
	account = request.args.get("account") or ""
	try:
		authenticate(account, request.args.get("key") or "", body)
	except (frappe.PermissionError, frappe.AuthenticationError):
		# Only refused deliveries count against an address: Stancer's own are never limited.
		rate_limits.hit("webhook-refused")
		raise
	event = parse(body)
	name = delivery_name(account, event, body)
	try:
		if keep(account, name, event, body):
			frappe.enqueue(
				"stancer_integration.webhooks.process",
				queue="short",
				docname=name,
				enqueue_after_commit=True,
			)
		frappe.db.commit()
	except Exception as error:
		# Answered here, not by Frappe's error page: its error snapshot would keep the request,
		# whose address carries the key. Stancer delivers again; the reconciliation reads anyway.
		frappe.db.rollback()
		frappe.log_error(title="Stancer webhook", message=f"{account}: {type(error).__name__}")
		frappe.local.response.http_status_code = 503
		return {"received": False}
	return {"received": True}


def authenticate(account, key, body):
	"""Check a delivery is for this site's account `account`: a 4xx for a wrong key, or a bad
	or stale signature. Reads values, not the settings document (it answers every delivery).
	A disabled account's deliveries are taken too: a customer may still pay a page opened before."""
	secrets = secrets_of(account) if account else {}
	secret = secrets.get("webhook_secret")
	if not secret or not hmac.compare_digest(key.encode(), secret.encode()):
		raise frappe.PermissionError(_("This notification is not for this site."))
	signing = secrets.get("webhook_signing_secret")
	if signing:
		try:
			signatures.verify(signing, body, frappe.request.headers.get(signatures.HEADER))
		except errors.SignatureError as error:
			raise frappe.AuthenticationError(
				_("Bad notification signature: {0}").format(error.message)
			) from None


def secrets_of(account):
	"""The account's webhook secrets, decrypted, in one read."""
	rows = frappe.db.sql(
		"""select fieldname, `password` from `__Auth` where doctype = %s and name = %s
		and fieldname in ('webhook_secret', 'webhook_signing_secret') and encrypted = 1""",
		(SETTINGS, account),
	)
	return {fieldname: decrypt(password) for fieldname, password in rows}


def parse(body):
	try:
		event = json.loads(body)
	except ValueError:
		raise BadDelivery(_("The notification is not JSON.")) from None
	if not isinstance(event, dict):
		raise BadDelivery(_("The notification is not a JSON object."))
	return event


def delivery_name(account, event, body):
	"""One name a delivery: its event id, else a hash of its body; a repeat finds it taken."""
	event_id = event.get("id") if isinstance(event.get("id"), str) else None
	digest = hashlib.sha256(
		f"{account}\x1f{event_id or body.decode('utf-8', 'replace')}".encode()
	).hexdigest()
	return f"stancer-{digest[:40]}"


def keep(account, name, event, body):
	"""Keep the delivery under its name, unless kept already; True when kept now. (Our own log:
	written directly, without the hooks a user's document needs.)"""
	doc = frappe.get_doc(
		{
			"doctype": "Integration Request",
			"integration_request_service": SERVICE,
			"is_remote_request": 1,
			"request_description": str(event.get("type") or "notification")[:140],
			"request_id": str(event.get("id") or "")[:140],
			"status": "Queued",
			"data": body.decode("utf-8", "replace"),
			"reference_doctype": SETTINGS,
			"reference_docname": account,
		}
	)
	doc.name = name
	doc.set_user_and_timestamp()
	try:
		doc.db_insert()
	except frappe.DuplicateEntryError:
		# The same delivery again: kept and handed on the first time, unless its job failed,
		# when Stancer's retry is a reason to try once more.
		if frappe.db.get_value("Integration Request", name, "status") != "Failed":
			return False
		frappe.db.set_value("Integration Request", name, "status", "Queued", update_modified=False)
	return True


# -- the job ---------------------------------------------------------------------------------------


def process(docname=None, doctype=None, **kwargs):
	"""Background job (and Dokos' `webhooks_handler`, called with doctype and docname): fetch
	the payment a delivery names from Stancer and record it through `settlement`."""
	from stancer_integration.payment_return import recover_attempt
	from stancer_integration.settlement import RECORD, sync_record

	request = frappe.get_doc("Integration Request", docname)
	event = json.loads(request.data or "{}")
	object_id = named_object(event)
	try:
		record = frappe.db.get_value(RECORD, {"stancer_id": object_id}, "name") if object_id else None
		if not record and object_id:
			settings = frappe.get_doc("Stancer Settings", request.reference_docname)
			with settings.get_client() as client:
				payment = client.fetch(object_id)
			unique_id = payment.get("unique_id") or (payment.get("metadata") or {}).get("unique_id")
			order_id = payment.get("order_id")
			if unique_id and order_id and frappe.db.exists("Payment Request", order_id):
				record = recover_attempt(order_id, unique_id)
		if not record:
			request.db_set({"status": "Completed", "output": "No payment of this site is named."})
			return
		result = sync_record(record)
	except Exception as error:
		frappe.db.rollback()
		request.db_set({"status": "Failed", "error": f"{type(error).__name__}: {str(error)[:500]}"})
		frappe.db.commit()
		raise
	request.db_set({"status": "Completed", "output": f"{record}: {result.outcome}"})
	frappe.db.commit()


def named_object(event):
	"""The payment (`paym_…`) or intent (`pi_…`) id a notification names, wherever it puts it."""
	data = event.get("data") if isinstance(event.get("data"), dict) else {}
	candidates = [
		(data.get("object") or {}).get("id") if isinstance(data.get("object"), dict) else data.get("object"),
		data.get("id"),
		data.get("payment"),
		(event.get("object") or {}).get("id") if isinstance(event.get("object"), dict) else None,
		event.get("payment"),
	]
	for value in candidates:
		if isinstance(value, str) and value.startswith(("paym_", "pi_")):
			return value
	return None
