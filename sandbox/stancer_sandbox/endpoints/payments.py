"""`/v2/payments/`: create (hosted-page payments and saved-card charges), read, PATCH, list."""

from stancer_sandbox import lifecycle
from stancer_sandbox import request_checks as check
from stancer_sandbox.api_errors import bad_request, conflict, not_found
from stancer_sandbox.ids import new_id
from stancer_sandbox.models import Payment

CREATE_FIELDS = (
	"amount",
	"currency",
	"description",
	"order_id",
	"unique_id",
	"capture",
	"auth",
	"return_url",
	"customer",
	"card",
	"methods_allowed",
	"device",  # accepted and ignored: only direct-API 3-D Secure needs it
)
PATCH_FIELDS = (
	"amount",
	"description",
	"order_id",
	"unique_id",
	"return_url",
	"customer",
	"card",
	"status",
	"device",
)


def _auth(value):
	if value is None:
		return False
	if value is True:
		return True
	# v1 sent an object; v2 wants the literal true, and the key omitted for no 3-D Secure.
	raise check.bad_request("auth", "must be the literal true in API v2 (omit it for no 3-D Secure)")


def find(ctx, payment_id):
	payment = ctx.part.payments.get(payment_id)
	if payment is None:
		raise not_found("Payment", payment_id)
	lifecycle.tick(ctx.engine, ctx.part, payment)
	return payment


def _customer(ctx, customer_id):
	check.id_of(customer_id, "customer", "cust")
	if customer_id not in ctx.part.customers:
		raise not_found("Customer", customer_id)
	return customer_id


def _card(ctx, card_id):
	check.id_of(card_id, "card", "card")
	card = ctx.part.cards.get(card_id)
	if card is None:
		raise not_found("Card", card_id)
	return card


def _index(part, payment):
	if payment.order_id is not None:
		part.order_ids.setdefault(payment.order_id, []).append(payment.id)
	if payment.unique_id is not None:
		part.unique_ids[payment.unique_id] = payment.id


def _unindex(part, payment):
	if payment.order_id is not None:
		ids = part.order_ids.get(payment.order_id, [])
		if payment.id in ids:
			ids.remove(payment.id)
	if payment.unique_id is not None:
		part.unique_ids.pop(payment.unique_id, None)


def create(ctx):
	body = ctx.body
	check.reject_unknown(body, CREATE_FIELDS)
	capture = check.boolean(body.get("capture", True), "capture")
	if "amount" not in body:
		raise bad_request("amount", "is required")
	if "currency" not in body:
		raise bad_request("currency", "is required")
	fields = {
		"amount": check.amount(body["amount"], capture),
		"currency": check.currency(body["currency"]),
		"description": check.optional_text(body, "description", 3, 64),
		"order_id": check.optional_text(body, "order_id", 1, 36),
		"unique_id": check.optional_text(body, "unique_id", 1, 36),
		"capture": capture,
		"auth": _auth(body.get("auth")),
		"return_url": check.url(body["return_url"], "return_url")
		if body.get("return_url") is not None
		else None,
		"methods_allowed": (
			check.methods_allowed(body["methods_allowed"], body["currency"])
			if body.get("methods_allowed") is not None
			else None
		),
	}
	if fields["auth"]:
		fields["auth_status"] = "requested"
	engine, part = ctx.engine, ctx.part
	with engine.store.lock:
		if body.get("customer") is not None:
			fields["customer"] = _customer(ctx, body["customer"])
		card = None
		if body.get("card") is not None:
			if fields.get("customer") is None:
				raise bad_request("customer", "is required to charge a saved card")
			card = _card(ctx, body["card"])
		existing = part.unique_ids.get(fields["unique_id"]) if fields["unique_id"] else None
		if existing:
			raise conflict("Payment already exists, duplicate unique_id", existing)
		payment = Payment(id=new_id("paym"), created=engine.clock.timestamp(), live_mode=part.live, **fields)
		part.payments[payment.id] = payment
		_index(part, payment)
		if card is not None:
			# A saved card is charged at once: no page, no 3-D Secure (merchant-initiated).
			lifecycle.decide(engine, part, payment, card)
		return payment.to_json(part.cards)


def get(ctx, payment_id):
	with ctx.engine.store.lock:
		return find(ctx, payment_id).to_json(ctx.part.cards)


def update(ctx, payment_id):
	body = ctx.body
	check.reject_unknown(body, PATCH_FIELDS)
	engine, part = ctx.engine, ctx.part
	with engine.store.lock:
		payment = find(ctx, payment_id)
		undecided = payment.status is None and not payment.pending and not payment.stuck
		if "amount" in body:
			if not undecided:
				raise conflict(f"Payment `{payment.id}` amount cannot change once it is processed")
			payment.amount = check.amount(body["amount"], payment.capture)
		if "description" in body:
			payment.description = check.optional_text(body, "description", 3, 64)
		if "return_url" in body:
			payment.return_url = (
				check.url(body["return_url"], "return_url") if body["return_url"] is not None else None
			)
		if "customer" in body:
			payment.customer = _customer(ctx, body["customer"]) if body["customer"] is not None else None
		if "order_id" in body or "unique_id" in body:
			order_id = (
				check.optional_text(body, "order_id", 1, 36) if "order_id" in body else payment.order_id
			)
			unique_id = (
				check.optional_text(body, "unique_id", 1, 36) if "unique_id" in body else payment.unique_id
			)
			other = part.unique_ids.get(unique_id) if unique_id else None
			if other and other != payment.id:
				raise conflict("Payment already exists, duplicate unique_id", other)
			_unindex(part, payment)
			payment.order_id, payment.unique_id = order_id, unique_id
			_index(part, payment)
		status = body.get("status")
		if status not in (None, "authorize", "capture"):
			raise bad_request("status", 'must be "authorize" or "capture"')
		if body.get("card") is not None:
			if not undecided:
				raise conflict(f"Payment `{payment.id}` already has a payment method")
			card = _card(ctx, body["card"])
			# API v2 authorizes at once when a card is attached; "capture" in the same call captures.
			lifecycle.decide(engine, part, payment, card, capture=status == "capture")
		elif status == "authorize":
			if payment.status is None:
				raise conflict(f"Payment `{payment.id}` has no payment method to authorize")
		elif status == "capture":
			lifecycle.capture(engine, part, payment)
		return payment.to_json(part.cards)


def list_(ctx):
	args = ctx.request.args
	part = ctx.part
	order_id, unique_id = args.get("order_id"), args.get("unique_id")
	created = ctx.int_arg("created", None, 0)
	created_until = ctx.int_arg("created_until", None, 0)

	def candidates():
		if unique_id is not None:
			found = part.unique_ids.get(unique_id)
			return [part.payments[found]] if found else []
		if order_id is not None:
			return [part.payments[pid] for pid in reversed(part.order_ids.get(order_id, []))]
		return reversed(part.payments.values())

	def matches():
		for payment in candidates():
			if order_id is not None and payment.order_id != order_id:
				continue
			if created is not None and payment.created < created:
				continue
			if created_until is not None and payment.created > created_until:
				continue
			yield payment

	def serialize(payment):
		lifecycle.tick(ctx.engine, part, payment)
		return payment.to_json(part.cards)

	with ctx.engine.store.lock:
		return ctx.paginate(matches(), "payments", serialize)


def refunds(ctx, payment_id):
	"""`GET /v2/payments/{id}/refunds`: a bare array, as the v2 API answers."""
	with ctx.engine.store.lock:
		payment = find(ctx, payment_id)
		refunds = [ctx.part.refunds[rid] for rid in ctx.part.refunds_by_payment.get(payment.id, [])]
		for refund in refunds:
			lifecycle.tick_refund(ctx.engine, ctx.part, refund)
		return [dict(refund) for refund in refunds]
