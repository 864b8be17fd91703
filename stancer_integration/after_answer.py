"""A guest's paid payment booked after the return page answered them (Frappe's
`request.after_response`, in the same worker): one attempt of a Payment Request at a time, and
nothing it raises escapes into Frappe's end of the request."""

import time
from functools import partial

import frappe

from stancer_integration.settlement import sync_record

CLAIM_SECONDS = 60


def book_later(record_name, payment_request, settings):
	"""Book `record_name` once the answer is sent; False when this request cannot (not a web
	request) or another attempt of the Payment Request is being booked so."""
	callbacks = getattr(getattr(frappe.local, "request", None), "after_response", None)
	if callbacks is None or not claim(payment_request, record_name):
		return False
	callbacks.add(partial(book, record_name, payment_request, settings))
	return True


def claim_key(payment_request):
	return frappe.cache.make_key(f"stancer-booking|{payment_request}")


def claim(payment_request, record_name):
	"""Redis' SET NX, which the same attempt (a reload) may take again."""
	key = claim_key(payment_request)
	if frappe.cache.set(key, record_name, nx=True, ex=CLAIM_SECONDS):
		return True
	return (frappe.cache.get(key) or b"").decode() == record_name


def wait_for_other(payment_request, timeout=10):
	"""Until the attempt of `payment_request` being booked after its answer is booked."""
	deadline = time.monotonic() + timeout
	while frappe.cache.get(claim_key(payment_request)) and time.monotonic() < deadline:
		time.sleep(0.02)


def book(record_name, payment_request, settings):
	"""Book a payment the customer was told is accepted (it is: Stancer took it), read again
	from Stancer with what refunds gave back. `settle` decides again under the lock; a booking
	ERPNext refuses flags the record for the accountants, and one that cannot finish here
	(Stancer or the database busy, the worker stopped) is booked by the webhook or the
	reconciliation, which find the record still open."""
	try:
		sync_record(record_name, settings=settings)
	except Exception:
		log_unbooked(record_name)
	finally:
		try:
			key = claim_key(payment_request)
			if (frappe.cache.get(key) or b"").decode() == record_name:
				frappe.cache.delete(key)
		except Exception:
			# The claim expires by itself.
			frappe.logger("stancer_integration").warning(f"{record_name}: booking claim not released")


def log_unbooked(record_name):
	try:
		frappe.db.rollback()
		frappe.log_error(
			title="Stancer return",
			message=f"{record_name}: booking after the answer: {frappe.get_traceback(with_context=False)[-2000:]}",
		)
		frappe.db.commit()
	except Exception:
		frappe.logger("stancer_integration").error(
			f"{record_name}: booking after the answer failed, and so did its Error Log", exc_info=True
		)
