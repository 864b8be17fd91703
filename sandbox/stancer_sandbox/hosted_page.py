"""The hosted payment page: `/{public_key}/{payment_id}` and each intent's `url`.

GET shows the card form (or the 3-D Secure challenge, or "already processed"); POST decides.
A decided payment sends the browser to its `return_url` with a 303, appending nothing. The card
number lives only in this request: the saved card keeps brand, last4, expiry and behaviour.
"""

import datetime
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from stancer_sandbox import cards as test_cards
from stancer_sandbox import lifecycle, pages
from stancer_sandbox.ids import looks_like, new_id
from stancer_sandbox.models import Card, Payment


class Target:
	"""What a page URL points at: a partition, and a payment and/or an intent."""

	def __init__(self, part, payment=None, intent=None):
		self.part = part
		self.payment = payment
		self.intent = intent

	def summary(self):
		source = self.payment or self.intent
		return {
			"amount": source.amount,
			"currency": source.currency,
			"description": source.description,
			"merchant": self.part.merchant_name,
		}

	def return_url(self):
		return (self.payment or self.intent).return_url


def resolve(engine, segments):
	"""(Target, is_3ds) for a page path, or (None, False) when nothing matches for that key/mode."""
	store = engine.store
	if len(segments) in (2, 3) and looks_like(segments[1], "paym"):
		if len(segments) == 3 and segments[2] != "3ds":
			return None, False
		part = store.by_public_key(segments[0])
		payment = part.payments.get(segments[1]) if part else None
		return (Target(part, payment=payment) if payment else None), len(segments) == 3
	if len(segments) in (1, 2) and (len(segments) == 1 or segments[1] == "3ds"):
		ref = segments[0]
		live = not ref.startswith("test_")
		intent_id = ref if live else ref[len("test_") :]
		if looks_like(intent_id, "pi"):
			part, intent = store.find_intent(intent_id, live)
			if intent is None:
				return None, False
			payment = part.payments.get(intent.payment) if intent.payment else None
			return Target(part, payment=payment, intent=intent), len(segments) == 2
	return None, False


def handle(engine, request, segments):
	lang = pages.language(request.args.get("lang"))
	target, is_3ds = resolve(engine, segments)
	if target is None:
		return _html(pages.message_page(lang, "not_found_title", "not_found_text"), 404)
	with engine.store.lock:
		if target.payment is not None:
			lifecycle.tick(engine, target.part, target.payment)
		return _Flow(engine, request, lang, target, is_3ds).run()


def _html(text, status=200):
	return Response(text, status=status, content_type=pages.HTML)


class _Flow:
	def __init__(self, engine, request, lang, target, is_3ds):
		self.engine = engine
		self.request = request
		self.lang = lang
		self.target = target
		self.is_3ds = is_3ds
		base_path = request.path[: -len("/3ds")] if is_3ds else request.path
		query = "?" + urlencode({"lang": request.args["lang"]}) if request.args.get("lang") else ""
		self.form_url = base_path + query
		self.challenge_url = base_path + "/3ds" + query

	def run(self):
		payment, intent = self.target.payment, self.target.intent
		if payment is not None and payment.pending:
			if self.is_3ds and self.request.method == "POST":
				return self._answer_challenge()
			if not self.is_3ds:
				return redirect(self.challenge_url, 303)
			return _html(pages.challenge_page(self.lang, self.target.summary(), self.challenge_url))
		if payment is not None and (payment.status is not None or payment.stuck):
			return self._already_processed(payment.status)
		if intent is not None and intent.status == "canceled":
			return self._already_processed(intent.status)
		if self.is_3ds:
			return redirect(self.form_url, 303)
		if self.request.method == "POST":
			return self._submit_card()
		return _html(pages.payment_form(self.lang, self.target.summary(), self.form_url))

	def _already_processed(self, status):
		title, text = (
			("pending_title", "pending_text") if status is None else ("processed_title", "processed_text")
		)
		return _html(pages.status_page(self.lang, title, text, status, self.target.return_url()))

	def _finish(self):
		"""After a decision: back to the merchant, or a result page when there is no return_url."""
		payment = self.target.payment
		return_url = payment.return_url
		if return_url:
			return redirect(return_url, 303)
		return _html(pages.status_page(self.lang, "result_title", "processed_text", payment.status, None))

	def _submit_card(self):
		form = self.request.form
		number = "".join(form.get("number", "").split())
		expiry = form.get("exp", "").strip()
		error, exp_month, exp_year = self._check_card(number, expiry, form.get("cvc", "").strip())
		if error:
			page = pages.payment_form(self.lang, self.target.summary(), self.form_url, error, expiry)
			return _html(page, 400)
		engine, part = self.engine, self.target.part
		card = self._save_card(number, exp_month, exp_year)
		del number  # the number is not kept anywhere past this point
		payment = self.target.payment or self._payment_for_intent()
		if engine.faults.take(part.account_id, "stick_next_payment") is not None:
			# Fault: the payment never leaves `status: null`.
			payment.stuck = True
			payment.card, payment.method = card.id, "card"
			lifecycle.sync_intent(engine, part, payment)
			return self._finish()
		if payment.auth and card.threeds:
			redirect_url = self.request.host_url.rstrip("/") + self.challenge_url
			lifecycle.begin_challenge(engine, part, payment, card, redirect_url)
			return redirect(self.challenge_url, 303)
		lifecycle.decide(engine, part, payment, card)
		return self._finish()

	def _answer_challenge(self):
		authenticated = self.request.form.get("action") == "authenticate"
		lifecycle.finish_challenge(self.engine, self.target.part, self.target.payment, authenticated)
		return self._finish()

	def _check_card(self, number, expiry, cvc):
		"""(error key or None, month, 4-digit year); expiry is judged on the sandbox clock."""
		if not number.isdigit() or not 12 <= len(number) <= 19 or not test_cards.luhn_ok(number):
			return "invalid_number", None, None
		month_text, _, year_text = expiry.replace(" ", "").partition("/")
		if not (month_text.isdigit() and year_text.isdigit() and len(year_text) in (2, 4)):
			return "invalid_expiry", None, None
		month, year = int(month_text), int(year_text)
		if not 1 <= month <= 12:
			return "invalid_expiry", None, None
		year = 2000 + year if year < 100 else year
		today = datetime.datetime.fromtimestamp(self.engine.clock.now(), datetime.timezone.utc)
		if (year, month) < (today.year, today.month):
			return "expired", None, None
		if not (cvc.isdigit() and len(cvc) == 3):
			return "invalid_cvc", None, None
		return None, month, year

	def _save_card(self, number, exp_month, exp_year):
		behaviour = test_cards.behaviour(number)
		brand = behaviour.get("brand") or test_cards.brand_of(number)
		part = self.target.part
		card = Card(
			id=new_id("card"),
			brand=brand,
			last4=number[-4:],
			exp_month=exp_month,
			exp_year=exp_year,
			funding="credit",
			network=test_cards.network_of(brand),
			country="FR",
			tokenize=True,
			created=self.engine.clock.timestamp(),
			live_mode=part.live,
			outcome=behaviour["outcome"],
			response=behaviour["response"],
			threeds=behaviour["threeds"],
		)
		part.cards[card.id] = card
		return card

	def _payment_for_intent(self):
		"""Paying an intent creates the payment that carries the card, as Stancer does."""
		intent, part = self.target.intent, self.target.part
		payment = Payment(
			id=new_id("paym"),
			amount=intent.amount,
			currency=intent.currency,
			description=intent.description,
			order_id=intent.order_id,
			capture=intent.capture,
			auth=intent.threeds == "required",
			auth_status="requested" if intent.threeds == "required" else None,
			return_url=intent.return_url,
			customer=intent.customer,
			methods_allowed=intent.methods_allowed,
			created=self.engine.clock.timestamp(),
			live_mode=part.live,
			intent=intent.id,
		)
		part.payments[payment.id] = payment
		if payment.order_id is not None:
			part.order_ids.setdefault(payment.order_id, []).append(payment.id)
		intent.payment = payment.id
		self.target.payment = payment
		return payment
