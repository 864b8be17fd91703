"""`/v2/customers/`: create (email or mobile required), read, update, delete, list."""

from stancer_sandbox import request_checks as check
from stancer_sandbox.api_errors import ApiError, not_found
from stancer_sandbox.ids import new_id

FIELDS = (
	"name",
	"email",
	"mobile",
	"external_id",
	"date_birth",
	"legal_id",
	"country",
	"billing_address",
	"shipping_address",
)


def _clean(body):
	check.reject_unknown(body, FIELDS)
	values = {}
	for field in FIELDS:
		if field not in body:
			continue
		value = body[field]
		if value is not None:
			if field == "name":
				check.text(value, "name", 3, 64)
			elif field == "email":
				check.email(value)
			elif field == "mobile":
				check.mobile(value)
			elif field == "external_id":
				check.text(value, "external_id", 1, 36)
			elif field == "legal_id":
				check.text(value, "legal_id", 1, 16)
			elif field == "country":
				check.text(value, "country", 2, 2)
			elif field == "date_birth":
				check.text(value, "date_birth", 10, 10)
		values[field] = value
	return values


def _get(ctx, customer_id):
	customer = ctx.part.customers.get(customer_id)
	if customer is None:
		raise not_found("Customer", customer_id)
	return customer


def create(ctx):
	values = _clean(ctx.body)
	if not values.get("email") and not values.get("mobile"):
		raise ApiError(400, "Invalid customer: an `email` or a `mobile` is required")
	customer = {"id": new_id("cust"), **{field: values.get(field) for field in FIELDS}}
	customer.update(created=ctx.engine.clock.timestamp(), live_mode=ctx.part.live, deleted=False)
	with ctx.engine.store.lock:
		ctx.part.customers[customer["id"]] = customer
	return customer


def get(ctx, customer_id):
	return _get(ctx, customer_id)


def update(ctx, customer_id):
	values = _clean(ctx.body)
	with ctx.engine.store.lock:
		customer = _get(ctx, customer_id)
		customer.update(values)
		if not customer.get("email") and not customer.get("mobile"):
			raise ApiError(400, "Invalid customer: an `email` or a `mobile` is required")
		return customer


def delete(ctx, customer_id):
	with ctx.engine.store.lock:
		customer = _get(ctx, customer_id)
		customer["deleted"] = True
		return customer


def list_(ctx):
	args = ctx.request.args
	external_id, email = args.get("external_id"), args.get("email")

	def matches():
		for customer in reversed(ctx.part.customers.values()):
			if external_id is not None and customer.get("external_id") != external_id:
				continue
			if email is not None and customer.get("email") != email:
				continue
			yield customer

	with ctx.engine.store.lock:
		return ctx.paginate(matches(), "customers", dict)
