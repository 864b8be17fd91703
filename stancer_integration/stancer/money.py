"""Money: `Decimal` amounts to and from Stancer's integer minor units.

Never float arithmetic: a float reaching here is turned into its shortest decimal text first
(`Decimal(str(x))`), so 25.99 stays 25.99 and becomes 2599.

JPY: Stancer documents no exponent for it and its plugins multiply every currency by 100. We
follow ISO 4217 instead (0 decimals: ¥1500 is sent as 1500) and refuse fractional yen, so a
wrong guess can only under-charge visibly in test mode rather than silently multiply by 100.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stancer_integration.stancer.errors import ValidationError

# ISO 4217 exponents of the currencies Stancer accepts (see validation.CURRENCIES).
EXPONENTS = {"jpy": 0}
DEFAULT_EXPONENT = 2


def exponent(currency):
	return EXPONENTS.get((currency or "").lower(), DEFAULT_EXPONENT)


def to_decimal(value):
	"""A Decimal from Decimal, int, str or float (through its text), or ValidationError."""
	if isinstance(value, bool):
		raise ValidationError("An amount cannot be a boolean", field="amount", code="amount_invalid")
	if isinstance(value, float):
		value = repr(value)
	try:
		result = Decimal(value) if not isinstance(value, Decimal) else value
	except (InvalidOperation, TypeError, ValueError):
		raise ValidationError(f"{value!r} is not an amount", field="amount", code="amount_invalid") from None
	if not result.is_finite():
		raise ValidationError(f"{value!r} is not an amount", field="amount", code="amount_invalid")
	return result


def to_minor(amount, currency):
	"""25.99 EUR → 2599. Rounds half up to the currency's precision; refuses sub-unit yen."""
	value = to_decimal(amount)
	places = exponent(currency)
	try:
		scaled = value.scaleb(places)
		minor = scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP)
	except InvalidOperation:
		# More digits than Decimal's context holds: no real amount looks like that.
		raise ValidationError(f"{value} is not an amount", field="amount", code="amount_invalid") from None
	if places == 0 and scaled != minor:
		raise ValidationError(
			f"{currency.upper()} amounts have no decimals: {value}",
			field="amount",
			code="amount_decimals",
			params={"currency": currency.upper()},
		)
	return int(minor)


def from_minor(minor, currency):
	"""2599 EUR → Decimal('25.99')."""
	if isinstance(minor, bool) or not isinstance(minor, int):
		raise ValidationError(
			f"{minor!r} is not a whole number of minor units", field="amount", code="amount_type"
		)
	places = exponent(currency)
	return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
