"""`/v1/refunds/` (what Stancer's own plugins use) and the same under `/v2/refunds/`."""

from stancer_sandbox import lifecycle
from stancer_sandbox import request_checks as check
from stancer_sandbox.api_errors import bad_request, not_found
from stancer_sandbox.endpoints.payments import find as find_payment


def create(ctx):
	body = ctx.body
	check.reject_unknown(body, ("payment", "amount"))
	if body.get("payment") is None:
		raise bad_request("payment", "is required")
	check.id_of(body["payment"], "payment", "paym")
	with ctx.engine.store.lock:
		payment = find_payment(ctx, body["payment"])
		return dict(lifecycle.refund(ctx.engine, ctx.part, payment, body.get("amount")))


def get(ctx, refund_id):
	with ctx.engine.store.lock:
		refund = ctx.part.refunds.get(refund_id)
		if refund is None:
			raise not_found("Refund", refund_id)
		lifecycle.tick_refund(ctx.engine, ctx.part, refund)
		return dict(refund)


def list_(ctx):
	payment_id = ctx.request.args.get("payment")

	def matches():
		for refund in reversed(ctx.part.refunds.values()):
			if payment_id is None or refund["payment"] == payment_id:
				lifecycle.tick_refund(ctx.engine, ctx.part, refund)
				yield refund

	with ctx.engine.store.lock:
		return ctx.paginate(matches(), "refunds", dict)
