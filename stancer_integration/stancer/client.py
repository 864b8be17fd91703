"""A Stancer API client with explicit, per-instance configuration.

One client serves one Stancer account in one mode: keys, base URL and timeouts are given to
the instance and nothing is global, because a Frappe bench serves many sites (many accounts)
from one process. That is also why the official `stancer` SDK, whose configuration is a
process-wide singleton, is not used.

Retries never risk a double charge: GETs are retried; any method is retried when the connection
failed before anything was sent; a payment POST is re-sent only when it carries a `unique_id`,
after looking the payment up by that id (and checking that what was found is this payment).
Retries back off with jitter, honour `Retry-After` and stop at a cap and at the call's deadline,
so a call made while a database row is locked ends well before the lock wait does.
"""

import email.utils
import logging
import random
import time

import requests

from stancer_integration import __version__
from stancer_integration.stancer import references, validation
from stancer_integration.stancer import refunds as refund_rules
from stancer_integration.stancer.errors import (
	APIError,
	ConflictError,
	NotFoundError,
	UnavailableError,
	ValidationError,
	error_for_status,
)
from stancer_integration.stancer.urls import STANCER_API_HOST, is_loopback_url, payment_page_url

DEFAULT_API_BASE = f"https://{STANCER_API_HOST}"
SAFE_METHODS = frozenset({"GET", "HEAD"})
MAX_PAGE = 100

log = logging.getLogger(__name__)


def object_id(value):
	"""The id of an embedded object or of a bare id string (Stancer returns either)."""
	if isinstance(value, dict):
		return value.get("id")
	return value or None


def _nothing_sent(exc):
	"""True when requests failed before the request left this machine (safe to send again)."""
	if isinstance(exc, requests.exceptions.ConnectTimeout):
		return True
	if not isinstance(exc, requests.exceptions.ConnectionError):
		return False
	seen = set()
	cause = exc
	while cause is not None and id(cause) not in seen:
		seen.add(id(cause))
		name = type(cause).__name__
		if name in ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError"):
			return True
		if isinstance(cause, ConnectionRefusedError):
			return True
		reason = getattr(cause, "reason", None)
		args0 = cause.args[0] if getattr(cause, "args", None) else None
		cause = (
			reason
			if isinstance(reason, BaseException)
			else (args0 if isinstance(args0, BaseException) else cause.__cause__ or cause.__context__)
		)
	return False


class StancerClient:
	"""Client for one Stancer account and mode.

	>>> client = StancerClient(secret_key="stest_…", public_key="ptest_…")
	>>> payment = client.payments.create(amount=2599, currency="eur", description="Order 42")
	"""

	def __init__(
		self,
		secret_key,
		public_key=None,
		*,
		api_base=DEFAULT_API_BASE,
		connect_timeout=5.0,
		read_timeout=30.0,
		max_retries=2,
		backoff=0.5,
		max_backoff=8.0,
		deadline=None,
		budget=None,
		user_agent=None,
		session=None,
	):
		self.mode = validation.keys(public_key, secret_key)
		validation.api_base(api_base, self.mode)
		self._secret_key = secret_key
		self.public_key = public_key
		self.api_base = api_base.rstrip("/")
		self.timeout = (float(connect_timeout), float(read_timeout))
		self.max_retries = max(0, int(max_retries))
		self.backoff = max(0.0, float(backoff))
		self.max_backoff = max(0.0, float(max_backoff))
		# Seconds one call may take in all, its retries included (None: no limit), and seconds
		# all the calls of this client may take together, from its creation: a checkout that
		# holds a row lock makes several calls, and all of them must end before the lock wait.
		self.deadline = float(deadline) if deadline else None
		self.budget_ends = time.monotonic() + float(budget) if budget else None
		self.is_sandbox = is_loopback_url(self.api_base)
		agent = f"stancer-integration/{__version__} python-requests/{requests.__version__}"
		self.user_agent = f"{agent} {user_agent}" if user_agent else agent
		self._session = session or requests.Session()
		self.customers = Customers(self)
		self.payments = Payments(self)
		self.payment_intents = PaymentIntents(self)
		self.refunds = Refunds(self)
		self.cards = Cards(self)
		self.webhooks = Webhooks(self)

	def __repr__(self):
		# Never show the secret key, not even in a traceback's locals.
		return f"<StancerClient {self.mode} {self.api_base}>"

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.close()

	def close(self):
		self._session.close()

	# -- transport ---------------------------------------------------------------------------

	def request(self, method, path, *, json=None, params=None):
		"""Send one call, retrying only what cannot charge twice; return the decoded JSON."""
		method = method.upper()
		url = f"{self.api_base}{path}"
		ends = time.monotonic() + self.deadline if self.deadline else None
		if self.budget_ends is not None:
			ends = self.budget_ends if ends is None else min(ends, self.budget_ends)
			if time.monotonic() >= ends:
				raise UnavailableError("The time allowed for Stancer calls is spent; nothing was sent")
		attempt = 0
		while True:
			body, error, retryable = self._attempt(method, url, json, params, ends)
			if error is None:
				return body
			if not retryable or attempt >= self.max_retries:
				raise error
			delay = self.retry_delay(attempt, getattr(error, "retry_after", None))
			if ends is not None and time.monotonic() + delay >= ends:
				raise error
			time.sleep(delay)
			attempt += 1

	def retry_delay(self, attempt, retry_after=None):
		"""Seconds before retry number `attempt + 1`: what Stancer asked for (Retry-After),
		else exponential backoff with full jitter; never more than `max_backoff`."""
		if retry_after is not None:
			return min(self.max_backoff, retry_after)
		return random.uniform(0, min(self.max_backoff, self.backoff * (2**attempt)))

	def _timeout(self, ends):
		if ends is None:
			return self.timeout
		left = ends - time.monotonic()
		if left <= 0.05:
			return (0.05, 0.05)
		return (min(self.timeout[0], left), min(self.timeout[1], left))

	def _attempt(self, method, url, json, params, ends=None):
		"""One try: (body, None, _) on success, (None, error, may_retry) otherwise."""
		safe = method in SAFE_METHODS
		try:
			response = self._session.request(
				method,
				url,
				json=json,
				params=params,
				auth=(self._secret_key, ""),
				headers={"User-Agent": self.user_agent, "Accept": "application/json"},
				timeout=self._timeout(ends),
				allow_redirects=False,  # a redirect would carry the key to another address
			)
		except requests.exceptions.RequestException as exc:
			unsent = _nothing_sent(exc)
			kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "could not be reached"
			error = UnavailableError(
				f"Stancer {kind} ({type(exc).__name__})", maybe_processed=not (safe or unsent)
			)
			return None, error, safe or unsent
		log.debug(
			"stancer %s %s -> %s", method, response.request.path_url.split("?")[0], response.status_code
		)
		body = self._decode(response)
		if 200 <= response.status_code < 300:
			if body is _UNDECODABLE:
				error = APIError(
					"Stancer answered with something that is not JSON", http_status=response.status_code
				)
				return None, error, False
			return body, None, False
		error = error_for_status(
			response.status_code, None if body is _UNDECODABLE else body, response.reason or ""
		)
		if isinstance(error, UnavailableError):
			# A 5xx to a POST may come after the work was done; 429 means it was not.
			error.maybe_processed = not safe and response.status_code != 429
			error.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
			return None, error, safe or response.status_code == 429
		return None, error, False

	@staticmethod
	def _decode(response):
		if response.status_code == 204 or not response.content:
			return None
		try:
			return response.json()
		except ValueError:
			return _UNDECODABLE

	def list(self, path, key, params, limit=None):
		"""All objects of a paginated list (`{key: [...], "range": {...}}`); a 404 means none."""
		return list(self.iterate(path, key, params, limit))

	def iterate(self, path, key, params, limit=None):
		"""The objects of a paginated list one page at a time (memory: one page)."""
		params = {k: v for k, v in (params or {}).items() if v is not None}
		wanted = limit or 1000
		given = 0
		start = 0
		while given < wanted:
			page = dict(params, start=start, limit=min(MAX_PAGE, wanted - given))
			try:
				body = self.request("GET", path, params=page)
			except NotFoundError:
				return
			items = body.get(key) if isinstance(body, dict) else body
			if not isinstance(items, list):
				raise APIError(f"Stancer's list of {key} has an unexpected shape")
			yield from items[: wanted - given]
			given += len(items)
			has_more = isinstance(body, dict) and (body.get("range") or {}).get("has_more")
			if not items or not has_more:
				return
			start += len(items)

	def fetch(self, object_id, with_card=False):
		"""A payment (`paym_…`) or a payment intent (`pi_…`) by its id: the checkout may use
		either. With `with_card`, an intent's card id is replaced by the card object (brand,
		last 4 digits), as a payment already carries it."""
		if not str(object_id).startswith("pi_"):
			return self.payments.get(object_id)
		intent = self.payment_intents.get(object_id)
		if with_card and isinstance(intent.get("card"), str):
			intent = dict(intent, card=self.cards.get(intent["card"]))
		return intent

	def capture(self, object_id):
		"""Capture an authorized payment or payment intent."""
		if str(object_id).startswith("pi_"):
			return self.payment_intents.capture(object_id)
		return self.payments.capture(object_id)

	def check_connection(self):
		"""Make one cheap authenticated read; return Stancer's `live_mode` (None when unsaid).

		Raises AuthenticationError for a refused key and UnavailableError when Stancer cannot
		be reached. A list with nothing in it may answer 404: the key was accepted all the same.
		"""
		try:
			body = self.request("GET", Customers.path, params={"limit": 1})
		except NotFoundError:
			return None
		live = body.get("live_mode") if isinstance(body, dict) else None
		return None if live is None else bool(live)

	def payment_page_url(self, payment_id, lang=None):
		"""The hosted page for a `paym_` payment (intents carry their own `url`)."""
		if not self.public_key:
			raise ValidationError("A public key is needed to build the payment page URL", field="public_key")
		return payment_page_url(self.api_base, self.public_key, payment_id, lang)

	def check_return_url(self, url):
		return validation.return_url(url, allow_http=self.is_sandbox)


_UNDECODABLE = object()


def retry_after_seconds(value):
	"""A Retry-After header (seconds or an HTTP date) as seconds from now, or None."""
	if not value:
		return None
	value = value.strip()
	if value.isdigit():
		return float(value)
	try:
		when = email.utils.parsedate_to_datetime(value)
	except (TypeError, ValueError):
		return None
	if when is None:
		return None
	return max(0.0, when.timestamp() - time.time())


def _clean(body):
	return {k: v for k, v in body.items() if v is not None}


class _Resource:
	def __init__(self, client):
		self.client = client

	def _get(self, path):
		return self.client.request("GET", path)


class Customers(_Resource):
	path = "/v2/customers/"

	def create(self, *, name=None, email=None, mobile=None, external_id=None, **extra):
		if not email and not mobile:
			raise ValidationError(
				"A Stancer customer needs an email or a mobile number",
				field="email",
				code="customer_contact_missing",
			)
		if name is not None:
			validation.customer_name(name)
		if email is not None:
			validation.customer_email(email)
		if mobile is not None:
			validation.customer_mobile(mobile)
		if external_id is not None:
			validation.reference(external_id, "external_id")
		body = _clean(dict(extra, name=name, email=email, mobile=mobile, external_id=external_id))
		return self.client.request("POST", self.path, json=body)

	def get(self, customer_id):
		return self._get(f"{self.path}{customer_id}")

	def find_by_external_id(self, external_id):
		"""The customer with this `external_id`, or None (the filter is re-checked here)."""
		validation.reference(external_id, "external_id")
		for customer in self.client.list(self.path, "customers", {"external_id": external_id}, limit=100):
			if customer.get("external_id") == external_id and not customer.get("deleted"):
				return customer
		return None

	def find_or_create(self, external_id, **fields):
		"""Look up by `external_id` before creating: Stancer v2 does not refuse duplicates."""
		return self.find_by_external_id(external_id) or self.create(external_id=external_id, **fields)


class Payments(_Resource):
	path = "/v2/payments/"

	def create(
		self,
		*,
		amount,
		currency,
		description=None,
		order_id=None,
		unique_id=None,
		capture=True,
		three_d_secure=False,
		return_url=None,
		customer=None,
		card=None,
		methods_allowed=("card",),
	):
		"""Create a payment. `amount` is in minor units (see money.to_minor).

		With a `unique_id`, a lost answer is recovered: the payment is looked up by that id and
		sent again only if Stancer has none, so the customer is never charged twice.
		"""
		body = {
			"amount": validation.amount(amount, capture),
			"currency": validation.currency(currency),
			"capture": bool(capture),
		}
		if description is not None:
			body["description"] = validation.description(description)
		if order_id is not None:
			body["order_id"] = validation.reference(order_id, "order_id")
		if unique_id is not None:
			body["unique_id"] = validation.reference(unique_id, "unique_id")
		if three_d_secure:
			body["auth"] = True  # v2 takes a literal true; omitting it means no 3-D Secure
		if return_url is not None:
			body["return_url"] = self.client.check_return_url(return_url)
		if customer:
			body["customer"] = object_id(customer)
		if card:
			body["card"] = object_id(card)
		if methods_allowed:
			body["methods_allowed"] = list(methods_allowed)
		try:
			return self.client.request("POST", self.path, json=body)
		except UnavailableError as exc:
			if not unique_id or not exc.maybe_processed:
				raise
			return self._recover(body, exc)

	def _recover(self, body, error):
		"""After a lost answer: the payment Stancer holds under our unique_id if it is the one
		we sent (amount, currency, order), else send again; never a stranger's payment."""
		unique_id = body["unique_id"]
		for attempt in range(self.client.max_retries + 1):
			time.sleep(self.client.retry_delay(attempt))
			try:
				found = self.find_by_unique_id(unique_id)
			except UnavailableError:
				# The lookup failed too: the payment may still exist, so the caller must get
				# the original error (maybe_processed), not the GET's "nothing was sent".
				raise error from None
			if found:
				return self._ours(found, body)
			if attempt == self.client.max_retries:
				break
			try:
				return self.client.request("POST", self.path, json=body)
			except ConflictError as conflict:
				# It did go through after all: answer with the one Stancer has, if it is ours.
				try:
					found = (
						self.get(conflict.existing_id)
						if conflict.existing_id
						else self.find_by_unique_id(unique_id)
					)
				except UnavailableError:
					raise error from None
				if not found:
					raise
				return self._ours(found, body)
			except UnavailableError as again:
				if not again.maybe_processed:
					# This one was not sent, but an earlier one may have gone through.
					raise error from None
				error = again
		raise error

	@staticmethod
	def _ours(payment, body):
		if references.is_same_attempt(
			payment,
			unique_id=body["unique_id"],
			amount=body["amount"],
			currency=body["currency"],
			order_id=body.get("order_id"),
		):
			return payment
		raise ConflictError(
			"Another payment already uses this unique_id", existing_id=payment.get("id"), body=None
		)

	def get(self, payment_id):
		return self._get(f"{self.path}{payment_id}")

	def list(self, *, order_id=None, unique_id=None, created=None, created_until=None, limit=None):
		return list(
			self.iterate(
				order_id=order_id,
				unique_id=unique_id,
				created=created,
				created_until=created_until,
				limit=limit,
			)
		)

	def iterate(self, *, order_id=None, unique_id=None, created=None, created_until=None, limit=None):
		params = {
			"order_id": order_id,
			"unique_id": unique_id,
			"created": created,
			"created_until": created_until,
		}
		return self.client.iterate(self.path, "payments", params, limit=limit)

	def find_by_unique_id(self, unique_id):
		for payment in self.list(unique_id=unique_id, limit=10):
			if payment.get("unique_id") == unique_id:
				return payment
		return None

	def capture(self, payment_id):
		"""Capture an authorized payment (PATCH status=capture)."""
		return self.client.request("PATCH", f"{self.path}{payment_id}", json={"status": "capture"})

	def refunds(self, payment_id):
		"""The payment's refunds; a 404 means none (Stancer may answer an empty list so)."""
		try:
			body = self._get(f"{self.path}{payment_id}/refunds")
		except NotFoundError:
			return []
		return body if isinstance(body, list) else (body or {}).get("refunds", [])

	def with_refunds(self, payment):
		"""The payment with `refunded_amount`: minor units given back by its refunds that did
		not fail (a v2 payment does not say it; `statuses.payment_outcome` reads it)."""
		return dict(payment, refunded_amount=refund_rules.given_back(self.refunds(payment["id"])))


class PaymentIntents(_Resource):
	path = "/v2/payment_intents/"

	def create(
		self,
		*,
		amount,
		currency,
		description=None,
		order_id=None,
		capture=True,
		three_d_secure=True,
		return_url=None,
		customer=None,
		card=None,
		methods_allowed=("card",),
		metadata=None,
	):
		"""Create an intent (its `url` is the hosted page). Intents have no unique_id: never retried."""
		body = {
			"amount": validation.amount(amount, capture),
			"currency": validation.currency(currency),
			"capture": bool(capture),
			"threeds": "required" if three_d_secure else "none",
			"methods_allowed": list(methods_allowed or ()),
		}
		if description is not None:
			body["description"] = validation.description(description)
		if order_id is not None:
			body["order_id"] = validation.reference(order_id, "order_id")
		if return_url is not None:
			body["return_url"] = self.client.check_return_url(return_url)
		if customer:
			body["customer"] = object_id(customer)
		if card:
			body["card"] = object_id(card)
		if metadata is not None:
			body["metadata"] = metadata
		return self.client.request("POST", self.path, json=body)

	def get(self, intent_id):
		return self._get(f"{self.path}{intent_id}")

	def list(self, *, order_id=None, limit=None):
		return self.client.list(self.path, "payment_intents", {"order_id": order_id}, limit=limit)

	def capture(self, intent_id):
		return self.client.request("POST", f"{self.path}{intent_id}/capture", json={})


class Refunds(_Resource):
	# v1, as Stancer's own plugins do: v2 refunds are not reliable yet (stancer-api.md §6).
	path = "/v1/refunds/"

	def create(self, *, payment, amount=None):
		"""Refund `amount` minor units (all that is left when omitted). Never retried."""
		body = {"payment": object_id(payment)}
		if amount is not None:
			body["amount"] = validation.amount(amount)
		return self.client.request("POST", self.path, json=body)

	def get(self, refund_id):
		return self._get(f"{self.path}{refund_id}")


class Cards(_Resource):
	path = "/v2/cards/"

	def get(self, card_id):
		return self._get(f"{self.path}{card_id}")


class Webhooks(_Resource):
	path = "/v2/webhooks/"

	def create(self, *, url, events=None):
		body = {"url": validation.return_url(url, allow_http=self.client.is_sandbox, field="url")}
		if events:
			body["events"] = list(events)
		return self.client.request("POST", self.path, json=body)

	def list(self):
		return self.client.list(self.path, "webhooks", {}, limit=100)

	def delete(self, webhook_id):
		return self.client.request("DELETE", f"{self.path}{webhook_id}")
