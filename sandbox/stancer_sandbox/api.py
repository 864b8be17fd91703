"""The `/v1/` and `/v2/` API: authentication, faults, routing to handlers, JSON answers, request log."""

import base64
import json
import time

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Response

from stancer_sandbox.api_errors import ApiError, unauthorized
from stancer_sandbox.endpoints import cards, customers, intents, payments, refunds, webhooks
from stancer_sandbox.endpoints.context import Ctx


def _rules():
	table = [
		("/v2/customers/", "GET", customers.list_),
		("/v2/customers/", "POST", customers.create),
		("/v2/customers/<object_id>", "GET", customers.get),
		("/v2/customers/<object_id>", "PATCH", customers.update),
		("/v2/customers/<object_id>", "DELETE", customers.delete),
		("/v2/payments/", "GET", payments.list_),
		("/v2/payments/", "POST", payments.create),
		("/v2/payments/<object_id>", "GET", payments.get),
		("/v2/payments/<object_id>", "PATCH", payments.update),
		("/v2/payments/<object_id>/refunds", "GET", payments.refunds),
		("/v2/payment_intents/", "GET", intents.list_),
		("/v2/payment_intents/", "POST", intents.create),
		("/v2/payment_intents/<object_id>", "GET", intents.get),
		("/v2/payment_intents/<object_id>", "PATCH", intents.update),
		("/v2/payment_intents/<object_id>/capture", "POST", intents.capture),
		("/v2/payment_intents/<object_id>/payments", "GET", intents.payments),
		("/v2/cards/", "GET", cards.list_),
		("/v2/cards/<object_id>", "GET", cards.get),
		("/v2/webhooks/", "GET", webhooks.list_),
		("/v2/webhooks/", "POST", webhooks.create),
		("/v2/webhooks/<object_id>", "GET", webhooks.get),
		("/v2/webhooks/<object_id>", "DELETE", webhooks.delete),
	]
	for version in ("v1", "v2"):
		table += [
			(f"/{version}/refunds/", "GET", refunds.list_),
			(f"/{version}/refunds/", "POST", refunds.create),
			(f"/{version}/refunds/<object_id>", "GET", refunds.get),
		]
	return Map([Rule(path, methods=[method], endpoint=handler) for path, method, handler in table])


ROUTES = _rules()


def json_response(status, payload, headers=None):
	return Response(
		json.dumps(payload, separators=(",", ":")),
		status=status,
		headers=headers,
		content_type="application/json",
	)


def secret_key_of(request):
	"""The secret key from HTTP Basic (username, empty password) or, leniently, a Bearer token."""
	header = request.headers.get("Authorization", "")
	scheme, _, value = header.partition(" ")
	scheme = scheme.lower()
	if scheme == "basic":
		try:
			decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
		except (ValueError, UnicodeDecodeError):
			return None
		return decoded.partition(":")[0]
	if scheme == "bearer":
		return value.strip()
	return None


def handle(engine, request):
	started = time.monotonic()
	part = engine.store.by_secret_key(secret_key_of(request))
	account_id = part.account_id if part else None
	status = 500
	try:
		delay = engine.faults.latency(account_id)
		if delay:
			time.sleep(delay)
		if part is None:
			raise unauthorized()
		fault = engine.faults.take(account_id, "fail_next", request.method)
		if fault is not None:
			# Answered before anything is processed: the request had no effect.
			raise _fault_error(fault.fail_status, "the request was not processed")
		if request.path.startswith("/v2/webhooks") and (
			engine.faults.value(account_id, "webhooks") == "unavailable"
		):
			raise ApiError(404, "Not found: webhooks are not available for this account")
		payload = _dispatch(Ctx(engine, part, request), request)
		if engine.faults.take(account_id, "fail_after_processing_next", request.method) is not None:
			# Processed, then the answer is "lost": the client must look the object up.
			raise _fault_error(503, "the request was processed but its answer was lost")
		status = 200
		if engine.faults.take(account_id, "garble_after_processing_next", request.method) is not None:
			return Response("<html><body>Proxy says hello</body></html>", 200, mimetype="text/html")
		return json_response(200, payload)
	except ApiError as exc:
		status = exc.status
		return json_response(exc.status, exc.body(), exc.headers)
	finally:
		engine.log_request(request.method, request.path, status, part, started)


def _fault_error(status, what):
	headers = {"Retry-After": "1"} if status == 429 else None
	return ApiError(status, f"Sandbox fault: {what} (HTTP {status})", headers)


def _dispatch(ctx, request):
	adapter = ROUTES.bind_to_environ(request.environ)
	try:
		handler, args = adapter.match()
	except RequestRedirect:
		# Stancer's collection URLs end with "/", item URLs do not: say so instead of redirecting.
		raise ApiError(
			404, f"Unknown path `{request.path}`: collection URLs end with `/`, item URLs do not"
		) from None
	except MethodNotAllowed:
		raise ApiError(405, f"Method {request.method} is not allowed on `{request.path}`") from None
	except NotFound:
		raise ApiError(404, f"Unknown path `{request.path}`") from None
	return handler(ctx, *args.values())
