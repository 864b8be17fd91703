"""`/v2/webhooks/`: register URLs that receive signed `payment.updated` events."""

import secrets

from stancer_sandbox import request_checks as check
from stancer_sandbox.api_errors import bad_request, not_found
from stancer_sandbox.ids import new_id

EVENTS = ("payment.updated", "payment_intent.updated")


def _events(value):
	if value is None:
		return list(EVENTS)
	if not isinstance(value, list) or not value or any(item not in EVENTS for item in value):
		raise bad_request("events", f"must be a non-empty list of {', '.join(EVENTS)}")
	return list(dict.fromkeys(value))


def _url(value):
	# Receivers are often local test servers: plain http is accepted for any host here.
	if isinstance(value, str) and value.startswith("http://"):
		check.url("https://" + value[len("http://") :], "url")  # every other rule still applies
		return value
	return check.url(value, "url")


def create(ctx):
	body = ctx.body
	check.reject_unknown(body, ("url", "events"))
	if body.get("url") is None:
		raise bad_request("url", "is required")
	hook = {
		"id": new_id("whk"),
		"url": _url(body["url"]),
		"events": _events(body.get("events")),
		"secret": "whsec_" + secrets.token_hex(24),
		"created": ctx.engine.clock.timestamp(),
		"live_mode": ctx.part.live,
	}
	with ctx.engine.store.lock:
		ctx.part.webhooks[hook["id"]] = hook
	return dict(hook)


def _find(ctx, hook_id):
	hook = ctx.part.webhooks.get(hook_id)
	if hook is None:
		raise not_found("Webhook", hook_id)
	return hook


def get(ctx, hook_id):
	with ctx.engine.store.lock:
		return dict(_find(ctx, hook_id))


def delete(ctx, hook_id):
	with ctx.engine.store.lock:
		hook = ctx.part.webhooks.pop(_find(ctx, hook_id)["id"])
		return {**hook, "deleted": True}


def list_(ctx):
	with ctx.engine.store.lock:
		return ctx.paginate(reversed(ctx.part.webhooks.values()), "webhooks", dict)
