"""The demo payment: a ready-to-pay link on the embedded demo account, for a person to try."""

from stancer_sandbox.ids import new_id
from stancer_sandbox.models import Payment


def create_demo_payment(engine, base_url, lang="en-GB"):
	"""Create a 25.99 EUR payment (3-D Secure asked) whose return page shows its status; return its link."""
	account = engine.demo
	part = engine.store.partition(account.account_id, False)
	payment_id = new_id("paym")
	with engine.store.lock:
		payment = Payment(
			id=payment_id,
			amount=2599,
			currency="eur",
			description="Sandbox demo payment",
			order_id="demo",
			capture=True,
			auth=True,
			auth_status="requested",
			methods_allowed=("card",),
			return_url=f"{base_url}/_sandbox/return?payment={payment_id}",
			created=engine.clock.timestamp(),
			live_mode=False,
		)
		part.payments[payment_id] = payment
		part.order_ids.setdefault("demo", []).append(payment_id)
	return f"{base_url}/{account.public_test}/{payment_id}?lang={lang}"
