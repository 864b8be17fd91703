"""`/v2/payment_intents/`: intents carry their own hosted-page `url`; paying one creates a payment."""

from stancer_sandbox import lifecycle
from stancer_sandbox import request_checks as check
from stancer_sandbox.api_errors import bad_request, conflict, not_found
from stancer_sandbox.endpoints.payments import _customer
from stancer_sandbox.ids import new_id
from stancer_sandbox.models import Intent

FIELDS = (
	"amount",
	"currency",
	"description",
	"order_id",
	"capture",
	"threeds",
	"methods_allowed",
	"return_url",
	"customer",
	"metadata",
	"billing_address",
	"shipping_address",
)
PATCH_FIELDS = (
	"amount",
	"description",
	"order_id",
	"return_url",
	"customer",
	"metadata",
	"threeds",
	"status",
)
MAX_INTENT_URL = 65536  # intents take longer return URLs than payments


def page_url(base_url, intent_id, live):
	"""`{base}/test_{pi_id}` in test mode, `{base}/{pi_id}` live, as Stancer's page host does."""
	return f"{base_url}/{intent_id}" if live else f"{base_url}/test_{intent_id}"


def _threeds(value):
	if value not in ("required", "none"):
		raise bad_request("threeds", 'must be "required" or "none"')
	return value


def find(ctx, intent_id):
	intent = ctx.part.intents.get(intent_id)
	if intent is None:
		raise not_found("Payment intent", intent_id)
	payment = ctx.part.payments.get(intent.payment) if intent.payment else None
	if payment is not None:
		lifecycle.tick(ctx.engine, ctx.part, payment)
	return intent


def create(ctx):
	body = ctx.body
	check.reject_unknown(body, FIELDS)
	capture = check.boolean(body.get("capture", True), "capture")
	for required in ("amount", "currency"):
		if required not in body:
			raise bad_request(required, "is required")
	fields = {
		"amount": check.amount(body["amount"], capture),
		"currency": check.currency(body["currency"]),
		"description": check.optional_text(body, "description", 3, 64),
		"order_id": check.optional_text(body, "order_id", 1, 36),
		"capture": capture,
		"threeds": _threeds(body["threeds"]) if body.get("threeds") is not None else "none",
		"return_url": (
			check.url(body["return_url"], "return_url", MAX_INTENT_URL)
			if body.get("return_url") is not None
			else None
		),
		"methods_allowed": (
			check.methods_allowed(body["methods_allowed"], body["currency"])
			if body.get("methods_allowed") is not None
			else ("card",)
		),
		"metadata": body.get("metadata"),
	}
	engine, part = ctx.engine, ctx.part
	with engine.store.lock:
		if body.get("customer") is not None:
			fields["customer"] = _customer(ctx, body["customer"])
		intent_id = new_id("pi")
		intent = Intent(
			id=intent_id,
			status="require_payment_method",
			created_at=engine.clock.timestamp(),
			live_mode=part.live,
			url=page_url(ctx.base_url, intent_id, part.live),
			**fields,
		)
		part.intents[intent_id] = intent
		return intent.to_json()


def get(ctx, intent_id):
	with ctx.engine.store.lock:
		return find(ctx, intent_id).to_json()


def update(ctx, intent_id):
	body = ctx.body
	check.reject_unknown(body, PATCH_FIELDS)
	with ctx.engine.store.lock:
		intent = find(ctx, intent_id)
		open_ = intent.status == "require_payment_method"
		if "amount" in body:
			if not open_:
				raise conflict(f"Payment intent `{intent.id}` amount cannot change once it is paid")
			intent.amount = check.amount(body["amount"], intent.capture)
		if "description" in body:
			intent.description = check.optional_text(body, "description", 3, 64)
		if "order_id" in body:
			intent.order_id = check.optional_text(body, "order_id", 1, 36)
		if "return_url" in body:
			value = body["return_url"]
			intent.return_url = check.url(value, "return_url", MAX_INTENT_URL) if value is not None else None
		if "customer" in body:
			intent.customer = _customer(ctx, body["customer"]) if body["customer"] is not None else None
		if "metadata" in body:
			intent.metadata = body["metadata"]
		if "threeds" in body:
			if not open_:
				raise conflict(f"Payment intent `{intent.id}` is already being paid")
			intent.threeds = _threeds(body["threeds"])
		if "status" in body:
			if body["status"] != "canceled":
				raise bad_request("status", 'can only be set to "canceled"')
			if not open_:
				raise conflict(
					f"Payment intent `{intent.id}` cannot be canceled: its status is {intent.status}"
				)
			intent.status = "canceled"
			ctx.engine.emit(ctx.part, "payment_intent.updated", intent.to_json())
		return intent.to_json()


def capture(ctx, intent_id):
	"""`POST /v2/payment_intents/{id}/capture`; the body is ignored, as Stancer's SDKs suggest."""
	with ctx.engine.store.lock:
		intent = find(ctx, intent_id)
		payment = ctx.part.payments.get(intent.payment) if intent.payment else None
		if intent.status == "captured":
			return intent.to_json()
		if payment is None or intent.status != "authorized":
			raise conflict(f"Payment intent `{intent.id}` cannot be captured: its status is {intent.status}")
		lifecycle.capture(ctx.engine, ctx.part, payment)
		return intent.to_json()


def payments(ctx, intent_id):
	with ctx.engine.store.lock:
		intent = find(ctx, intent_id)
		found = [ctx.part.payments[intent.payment]] if intent.payment else []
		return ctx.paginate(iter(found), "payments", lambda p: p.to_json(ctx.part.cards))


def list_(ctx):
	order_id = ctx.request.args.get("order_id")

	def matches():
		for intent in reversed(ctx.part.intents.values()):
			if order_id is None or intent.order_id == order_id:
				yield intent

	def serialize(intent):
		find(ctx, intent.id)  # applies due expiry to its payment first
		return intent.to_json()

	with ctx.engine.store.lock:
		return ctx.paginate(matches(), "payment_intents", serialize, "payment intents")
