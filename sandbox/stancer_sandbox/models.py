"""The objects the sandbox keeps: compact slotted classes, turned into API JSON on the way out.

Slots rather than dicts keep 100,000 payments well under the memory budget. A card keeps its
behaviour (outcome, response code) but never its number or CVC.
"""


class _Record:
	"""Slots only (compact: the sandbox keeps 100,000s of these), filled from keyword fields."""

	__slots__ = ()

	def __init__(self, **fields):
		for name in self.__slots__:
			setattr(self, name, fields.get(name))


class Payment(_Record):
	__slots__ = (
		"amount",
		"auth",  # True when 3-D Secure was asked (`auth: true`)
		"auth_redirect",  # challenge page URL while 3-D Secure is pending
		"auth_status",
		"authorized_at",  # sandbox time of the authorization: drives expiry
		"capture",
		"card",  # card id
		"created",
		"currency",
		"customer",
		"date_paym",
		"description",
		"dispute_at",  # sandbox time at which a dispute card turns the payment `disputed`
		"id",
		"intent",  # payment intent id when paid through an intent's page
		"live_mode",
		"method",
		"methods_allowed",
		"order_id",
		"pending",  # (outcome, response) of a card waiting for its 3-D Secure challenge
		"refunded",  # minor units refunded so far
		"response",
		"return_url",
		"status",
		"stuck",  # a fault keeps it `null` forever
		"unique_id",
	)

	def __init__(self, **fields):
		super().__init__(**fields)
		if self.refunded is None:
			self.refunded = 0

	def to_json(self, cards):
		card = cards.get(self.card) if self.card else None
		auth = None
		if self.auth:
			auth = {
				"status": self.auth_status,
				"return_url": self.return_url,
				"redirect_url": self.auth_redirect,
			}
		return {
			"id": self.id,
			"amount": self.amount,
			"currency": self.currency,
			"description": self.description,
			"order_id": self.order_id,
			"unique_id": self.unique_id,
			"capture": self.capture,
			"status": self.status,
			"response": self.response,
			"auth": auth,
			"customer": self.customer,
			"card": card.to_json() if card else None,
			"method": self.method,
			"methods_allowed": list(self.methods_allowed) if self.methods_allowed else None,
			"return_url": self.return_url,
			"created": self.created,
			"date_paym": self.date_paym,
			"live_mode": self.live_mode,
		}


class Card(_Record):
	__slots__ = (
		"brand",
		"country",
		"created",
		"exp_month",
		"exp_year",
		"funding",
		"id",
		"last4",
		"live_mode",
		"network",
		"outcome",  # behaviour name from cards.CARDS: what a new charge of this card does
		"response",
		"threeds",
		"tokenize",
	)

	def to_json(self):
		return {
			"id": self.id,
			"brand": self.brand,
			"last4": self.last4,
			"exp_month": self.exp_month,
			"exp_year": self.exp_year,
			"funding": self.funding,
			"network": self.network,
			"country": self.country,
			"tokenize": self.tokenize,
			"created": self.created,
			"live_mode": self.live_mode,
		}


class Intent(_Record):
	__slots__ = (
		"amount",
		"capture",
		"card",
		"created_at",
		"currency",
		"customer",
		"description",
		"id",
		"live_mode",
		"metadata",
		"methods_allowed",
		"order_id",
		"payment",
		"return_url",
		"status",
		"threeds",
		"url",
	)

	def to_json(self):
		return {
			"id": self.id,
			"amount": self.amount,
			"currency": self.currency,
			"description": self.description,
			"order_id": self.order_id,
			"capture": self.capture,
			"status": self.status,
			"threeds": self.threeds,
			"methods_allowed": list(self.methods_allowed) if self.methods_allowed else None,
			"return_url": self.return_url,
			"customer": self.customer,
			"card": self.card,
			"sepa": None,
			"payment": self.payment,
			"metadata": self.metadata,
			"date_settlement": None,
			"url": self.url,
			"created_at": self.created_at,
			"live_mode": self.live_mode,
		}
