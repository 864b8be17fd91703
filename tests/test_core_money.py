"""Money: Decimal ⇄ Stancer minor units, never through float arithmetic."""

from decimal import Decimal

import pytest

from stancer_integration.stancer import money
from stancer_integration.stancer.errors import ValidationError


@pytest.mark.parametrize(
	"amount, currency, minor",
	[
		(Decimal("25.99"), "eur", 2599),
		("25.99", "EUR", 2599),
		(25.99, "eur", 2599),  # float: through its shortest text, not 25.99*100 = 2598.9999…
		(19.99, "usd", 1999),
		(1.005, "eur", 101),  # float 1.005 is 1.00499999…; its text "1.005" rounds half up
		(0.1 + 0.2, "eur", 30),  # 0.30000000000000004
		(Decimal("0.125"), "eur", 13),  # half up, not banker's rounding
		(Decimal("0.135"), "eur", 14),
		(Decimal("0.124"), "eur", 12),
		(Decimal("2.5"), "gbp", 250),
		(10, "eur", 1000),
		(0, "eur", 0),
		(Decimal("1500"), "jpy", 1500),
		("1500", "JPY", 1500),
		(1500.0, "jpy", 1500),
		(Decimal("1500.00"), "jpy", 1500),
		(Decimal("12.34"), "chf", 1234),
	],
)
def test_to_minor(amount, currency, minor):
	result = money.to_minor(amount, currency)
	assert result == minor
	assert type(result) is int


@pytest.mark.parametrize("amount, minor", [(4.35, 435), (0.29, 29), (1.15, 115), (0.1 + 0.7, 80)])
def test_floats_that_naive_arithmetic_gets_wrong(amount, minor):
	if amount != 0.1 + 0.7:
		assert int(amount * 100) == minor - 1  # int(float * 100) loses a cent
	assert money.to_minor(amount, "eur") == minor


@pytest.mark.parametrize("amount", [Decimal("1500.5"), "0.1", 1500.5])
def test_fractional_yen_refused(amount):
	with pytest.raises(ValidationError) as info:
		money.to_minor(amount, "jpy")
	assert info.value.code == "amount_decimals"
	assert info.value.params == {"currency": "JPY"}


@pytest.mark.parametrize(
	"amount", [True, False, None, "abc", "", "NaN", "Infinity", float("nan"), [1], "1e30"]
)
def test_not_an_amount(amount):
	with pytest.raises(ValidationError) as info:
		money.to_minor(amount, "eur")
	assert info.value.field == "amount"


@pytest.mark.parametrize(
	"minor, currency, expected",
	[
		(2599, "eur", "25.99"),
		(2500, "eur", "25.00"),
		(5, "EUR", "0.05"),
		(0, "usd", "0.00"),
		(1500, "jpy", "1500"),
		(1, "jpy", "1"),
	],
)
def test_from_minor(minor, currency, expected):
	value = money.from_minor(minor, currency)
	assert isinstance(value, Decimal)
	assert str(value) == expected
	assert value.as_tuple().exponent == -money.exponent(currency)


@pytest.mark.parametrize("minor", [25.99, "2599", True, None, Decimal("2599")])
def test_from_minor_refuses_non_integers(minor):
	with pytest.raises(ValidationError):
		money.from_minor(minor, "eur")


@pytest.mark.parametrize("currency", ["eur", "usd", "jpy", "gbp"])
@pytest.mark.parametrize("minor", [50, 99, 2599, 100000, 123456789])
def test_round_trip(minor, currency):
	assert money.to_minor(money.from_minor(minor, currency), currency) == minor


def test_to_decimal():
	assert money.to_decimal(Decimal("1.10")) == Decimal("1.10")
	assert money.to_decimal(1.1) == Decimal("1.1")
	assert money.to_decimal(3) == Decimal(3)
	assert money.to_decimal(" 4.20 ") == Decimal("4.20")
	with pytest.raises(ValidationError):
		money.to_decimal(True)


def test_exponents():
	assert money.exponent("jpy") == 0
	assert money.exponent("JPY") == 0
	assert money.exponent("eur") == 2
	assert money.exponent(None) == 2
