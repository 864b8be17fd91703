"""`/v2/cards/`: saved cards, read-only (the hosted page creates them; numbers are never kept)."""

from stancer_sandbox.api_errors import not_found


def get(ctx, card_id):
	with ctx.engine.store.lock:
		card = ctx.part.cards.get(card_id)
		if card is None:
			raise not_found("Card", card_id)
		return card.to_json()


def list_(ctx):
	# Stancer's own test harness checks keys with `GET /v{N}/cards/?start=1`.
	with ctx.engine.store.lock:
		return ctx.paginate(reversed(ctx.part.cards.values()), "cards", lambda card: card.to_json())
