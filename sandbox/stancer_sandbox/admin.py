"""`/_sandbox/…`: the local control panel (no auth: the sandbox is a local test tool).

accounts (new keys), faults, request log, clock, webhook deliveries, health, and the demo
return page.
"""

import json

from werkzeug.wrappers import Response

from stancer_sandbox import cards as test_cards
from stancer_sandbox import lifecycle, pages
from stancer_sandbox.api import json_response
from stancer_sandbox.api_errors import ApiError


def _body(request):
	raw = request.get_data(cache=True)
	if not raw.strip():
		return {}
	try:
		body = json.loads(raw)
	except ValueError:
		raise ApiError(400, "The body is not valid JSON") from None
	if not isinstance(body, dict):
		raise ApiError(400, "The body must be a JSON object")
	return body


def _accounts(engine, request):
	if request.method != "POST":
		raise ApiError(405, "Use POST to create an account")
	body = _body(request)
	live = body.get("live", False)
	if not isinstance(live, bool):
		raise ApiError(400, "Invalid `live`: must be true or false")
	name = body.get("name")
	if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 64):
		raise ApiError(400, "Invalid `name`: 1 to 64 characters")
	return engine.create_account(live=live, name=name)


def _faults(engine, request):
	if request.method == "POST":
		return engine.faults.add(_body(request), engine.store.accounts)
	if request.method == "DELETE":
		return engine.faults.reset(request.args.get("account"))
	if request.method == "GET":
		return engine.faults.to_json()
	raise ApiError(405, "Use GET, POST or DELETE")


def _requests(engine, request):
	return {"requests": engine.request_log(request.args.get("account"))}


def _clock(engine, request):
	if request.method == "POST":
		body = _body(request)
		advance = body.get("advance")
		if isinstance(advance, bool) or not isinstance(advance, int | float) or advance < 0:
			raise ApiError(400, "Invalid `advance`: a number of seconds ≥ 0")
		engine.advance_clock(advance)
	return {"now": engine.clock.timestamp(), "offset": engine.clock.offset}


def _payment_status(engine, request):
	"""Force a payment's status, even one Stancer does not document: how a client copes with a
	status it does not know (or a state the page cannot reach) is tested with it."""
	if request.method != "POST":
		raise ApiError(405, "Use POST to set a payment's status")
	body = _body(request)
	status = body.get("status")
	if status is not None and not isinstance(status, str):
		raise ApiError(400, "Invalid `status`: a string or null")
	with engine.store.lock:
		part, payment = engine.store.find_payment(str(body.get("payment") or ""))
		if payment is None:
			raise ApiError(404, f"No payment `{body.get('payment')}`")
		payment.status = status
		return payment.to_json(part.cards)


def _card_behaviour(engine, request):
	"""Change what a new charge of a saved card does (the bank refuses it from now on, with the
	given `response` code: "51" no funds, "41" lost, "43" stolen, "54" expired…; "00" accepts it
	again): a card that paid once and is refused on renewal is tested with it."""
	if request.method != "POST":
		raise ApiError(405, "Use POST to change a card's behaviour")
	body = _body(request)
	response = body.get("response")
	if not isinstance(response, str) or not response.isdigit() or not 2 <= len(response) <= 4:
		raise ApiError(400, 'Invalid `response`: a bank response code such as "51" or "00"')
	card_id = str(body.get("card") or "")
	with engine.store.lock:
		for part in engine.store.partitions():
			card = part.cards.get(card_id)
			if card is not None:
				card.outcome = test_cards.SUCCESS if response == "00" else test_cards.REFUSED
				card.response = response
				return card.to_json()
	raise ApiError(404, f"No card `{card_id}`")


def _deliveries(engine, request):
	return {"deliveries": engine.webhooks.deliveries(), "pending": engine.webhooks.pending()}


def _health(engine, request):
	return {"status": "ok", "accounts": len(engine.store.accounts), "now": engine.clock.timestamp()}


ROUTES = {
	"/_sandbox/accounts": _accounts,
	"/_sandbox/faults": _faults,
	"/_sandbox/requests": _requests,
	"/_sandbox/clock": _clock,
	"/_sandbox/deliveries": _deliveries,
	"/_sandbox/payment_status": _payment_status,
	"/_sandbox/card_behaviour": _card_behaviour,
	"/_sandbox/health": _health,
}


def handle(engine, request):
	if request.path == "/_sandbox/return":
		return _return_page(engine, request)
	handler = ROUTES.get(request.path.rstrip("/"))
	if handler is None:
		return json_response(404, ApiError(404, f"Unknown path `{request.path}`").body())
	try:
		return json_response(200, handler(engine, request))
	except ApiError as exc:
		return json_response(exc.status, exc.body())


def _return_page(engine, request):
	"""Where the demo payment sends the customer back: shows the payment's status."""
	lang = pages.language(request.args.get("lang"))
	part, payment = engine.store.find_payment(request.args.get("payment", ""))
	if payment is None:
		return Response(
			pages.message_page(lang, "not_found_title", "not_found_text"), 404, content_type=pages.HTML
		)
	with engine.store.lock:
		lifecycle.tick(engine, part, payment)
		data = payment.to_json(part.cards)
	return Response(pages.return_page(lang, data), content_type=pages.HTML)
