"""How payments and payment intents change status, and the webhooks each change fires.

Every status change goes through `set_status`, so expiry, disputes, intent statuses and webhook
events cannot drift apart. Callers hold `engine.store.lock`.
"""

from stancer_sandbox import cards as test_cards
from stancer_sandbox.api_errors import ApiError, bad_request, conflict
from stancer_sandbox.ids import new_id

CAPTURED = ("to_capture", "capture_sent", "captured")
MIN_AMOUNT = 50


def set_status(engine, part, payment, status):
	"""Move a payment to `status`, arm its timers, fire `payment.updated`, follow with its intent."""
	if payment.status == status:
		return
	payment.status = status
	now = engine.clock.now()
	if status == "authorized":
		payment.authorized_at = now
		engine.schedule(now + engine.settings["auth_expiry"], part, payment.id)
	elif status == "to_capture":
		card = part.cards.get(payment.card)
		if card is not None and card.outcome == test_cards.DISPUTE:
			payment.dispute_at = now + engine.settings["dispute_after"]
			engine.schedule(payment.dispute_at, part, payment.id)
	engine.emit(part, "payment.updated", payment.to_json(part.cards))
	sync_intent(engine, part, payment)


def intent_status(payment):
	status = payment.status
	if status is None:
		if payment.stuck:
			return "processing"
		return "require_authentication" if payment.pending else "require_payment_method"
	if status in CAPTURED or status == "disputed":
		return "captured"
	if status == "authorized":
		return "authorized"
	if status in ("refused", "failed"):
		return "unpaid"
	return "canceled"  # expired, canceled


def sync_intent(engine, part, payment):
	"""Carry a payment's progress onto the intent it pays, firing `payment_intent.updated`."""
	intent = part.intents.get(payment.intent) if payment.intent else None
	if intent is None:
		return
	status = intent_status(payment)
	changed = (intent.status, intent.card, intent.payment) != (status, payment.card, payment.id)
	intent.status, intent.card, intent.payment = status, payment.card, payment.id
	if changed:
		engine.emit(part, "payment_intent.updated", intent.to_json())


def decide(engine, part, payment, card, capture=None):
	"""Settle a payment with a card whose 3-D Secure step (if any) is over."""
	payment.card = card.id
	payment.method = "card"
	payment.pending = None
	payment.auth_redirect = None
	if payment.auth:
		payment.auth_status = "success"
	capture = payment.capture if capture is None else capture
	if card.outcome == test_cards.REFUSED:
		payment.response = card.response
		set_status(engine, part, payment, "refused")
		return
	payment.response = "00"
	payment.date_paym = engine.clock.timestamp()
	set_status(engine, part, payment, "to_capture" if capture else "authorized")


def begin_challenge(engine, part, payment, card, redirect_url):
	"""Hold a payment while the customer faces the 3-D Secure challenge page."""
	payment.card = card.id
	payment.method = "card"
	payment.pending = True
	payment.auth_status = "attempted"
	payment.auth_redirect = redirect_url
	# The payment's status stays null (no payment.updated); an intent moves to require_authentication.
	sync_intent(engine, part, payment)


def finish_challenge(engine, part, payment, authenticated):
	card = part.cards.get(payment.card)
	if authenticated and card is not None and card.outcome != test_cards.THREEDS_FAILURE:
		decide(engine, part, payment, card)
		return
	payment.pending = None
	payment.auth_redirect = None
	payment.auth_status = "failed"
	set_status(engine, part, payment, "failed")


def capture(engine, part, payment):
	"""Capture an authorized payment; capturing one already captured changes nothing."""
	tick(engine, part, payment)
	if payment.status in CAPTURED:
		return
	if payment.status != "authorized":
		raise conflict(f"Payment `{payment.id}` cannot be captured: its status is {payment.status or 'null'}")
	set_status(engine, part, payment, "to_capture")


def tick(engine, part, payment):
	"""Apply the time-based changes that are due: authorization expiry, dispute."""
	now = engine.clock.now()
	if payment.status == "authorized" and payment.authorized_at is not None:
		if now >= payment.authorized_at + engine.settings["auth_expiry"]:
			set_status(engine, part, payment, "expired")
	elif payment.dispute_at is not None and now >= payment.dispute_at:
		payment.dispute_at = None
		if payment.status in CAPTURED:
			set_status(engine, part, payment, "disputed")


def refund(engine, part, payment, amount):
	"""Create a refund; return its JSON. Full before capture cancels, partial before capture is 409."""
	tick(engine, part, payment)
	for refund_id in part.refunds_by_payment.get(payment.id, []):
		tick_refund(engine, part, part.refunds[refund_id])  # a failed one frees its amount
	remaining = payment.amount - payment.refunded
	if amount is None:
		amount = remaining
	elif isinstance(amount, bool) or not isinstance(amount, int):
		raise bad_request("amount", "must be an integer amount in minor units")
	if payment.status == "authorized":
		if amount != payment.amount:
			raise conflict("Payment cannot be partially refunded before it has been captured")
		refund_status = "payment_canceled"
	elif payment.status in CAPTURED:
		if remaining <= 0:
			raise conflict(f"Payment `{payment.id}` has already been fully refunded")
		if amount < MIN_AMOUNT:
			raise bad_request("amount", f"must be at least {MIN_AMOUNT}")
		if amount > remaining:
			raise bad_request("amount", f"exceeds the refundable amount ({remaining})")
		refund_status = "to_refund"
	else:
		raise ApiError(
			409, f"Payment `{payment.id}` cannot be refunded: its status is {payment.status or 'null'}"
		)
	item = {
		"id": new_id("refd"),
		"payment": payment.id,
		"amount": amount,
		"currency": payment.currency,
		"status": refund_status,
		"date_refund": None,
		"date_bank": None,
		"created": engine.clock.timestamp(),
		"live_mode": part.live,
	}
	if refund_status == "to_refund" and engine.faults.take(part.account_id, "fail_next_refund") is not None:
		part.failing_refunds.add(item["id"])
	part.refunds[item["id"]] = item
	part.refunds_by_payment.setdefault(payment.id, []).append(item["id"])
	payment.refunded += amount
	if refund_status == "payment_canceled":
		set_status(engine, part, payment, "canceled")
	return item


def tick_refund(engine, part, refund):
	"""Move a refund on with the clock: `to_refund` → `refund_sent` → `refunded`, or `failed`
	when the bank rejects it (what it gave back is then refundable again)."""
	now = engine.clock.now()
	created = refund["created"]
	if refund["status"] == "to_refund" and now >= created + engine.settings["refund_sent_after"]:
		payment = part.payments.get(refund["payment"])
		if refund["id"] in part.failing_refunds:
			part.failing_refunds.discard(refund["id"])
			refund["status"] = "failed"
			if payment is not None:
				payment.refunded -= refund["amount"]
			return
		refund["status"] = "refund_sent"
		refund["date_refund"] = int(created + engine.settings["refund_sent_after"])
	if refund["status"] == "refund_sent" and now >= created + engine.settings["refund_credited_after"]:
		refund["status"] = "refunded"
		refund["date_bank"] = int(created + engine.settings["refund_credited_after"])
