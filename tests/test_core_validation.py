"""Stancer's request rules (stancer-api.md §1.4, §2.A, §10), each refused with its own code."""

import pytest

from stancer_integration.stancer import validation
from stancer_integration.stancer.errors import ValidationError

STANCER_CURRENCIES = ["aud", "cad", "chf", "dkk", "eur", "gbp", "jpy", "nok", "pln", "sek", "usd"]
TAIL = "a1B2c3D4e5F6g7H8i9J0k1L2"  # 24 letters and digits
KEYS = {
	"stest": "stest_" + TAIL,
	"sprod": "sprod_" + TAIL,
	"ptest": "ptest_" + TAIL,
	"pprod": "pprod_" + TAIL,
}


def refused(func, *args, **kwargs):
	with pytest.raises(ValidationError) as info:
		func(*args, **kwargs)
	return info.value


class TestAmount:
	@pytest.mark.parametrize("value", [50, 51, 2599, 10**9])
	@pytest.mark.parametrize("capture", [True, False])
	def test_accepted(self, value, capture):
		assert validation.amount(value, capture) == value

	def test_zero_only_without_capture(self):
		assert validation.amount(0, capture=False) == 0
		error = refused(validation.amount, 0, capture=True)
		assert error.code == "amount_minimum"
		assert error.params == {"minimum": 50, "amount": 0}
		assert refused(validation.amount, 0).code == "amount_minimum"

	@pytest.mark.parametrize("value", [1, 49, -50, -1])
	@pytest.mark.parametrize("capture", [True, False])
	def test_below_minimum(self, value, capture):
		error = refused(validation.amount, value, capture)
		assert error.code == "amount_minimum"
		assert error.field == "amount"

	@pytest.mark.parametrize("value", [True, False, 50.0, 25.99, "2599", None])
	def test_not_an_integer(self, value):
		assert refused(validation.amount, value, False).code == "amount_type"


class TestCurrency:
	@pytest.mark.parametrize("code", STANCER_CURRENCIES)
	def test_each_accepted_and_sent_lowercase(self, code):
		assert validation.currency(code) == code
		assert validation.currency(code.upper()) == code
		assert validation.currency(f" {code.title()} ") == code

	def test_exact_list(self):
		assert sorted(validation.CURRENCIES) == STANCER_CURRENCIES

	@pytest.mark.parametrize("code", ["xaf", "BTC", "eu", "euro", "", None, 978, "e ur"])
	def test_unknown_refused(self, code):
		error = refused(validation.currency, code)
		assert error.code == "currency"
		assert error.field == "currency"
		assert "EUR" in error.params["accepted"]


class TestDescription:
	@pytest.mark.parametrize("text", ["abc", "x" * 64, "Facture ACC-SINV-2026-00012"])
	def test_accepted(self, text):
		assert validation.description(text) == text

	def test_stripped(self):
		assert validation.description("  Order 42  ") == "Order 42"

	@pytest.mark.parametrize("text", ["", "ab", "   ab   ", "x" * 65, None, 123])
	def test_refused(self, text):
		error = refused(validation.description, text)
		assert error.code == "description_length"
		assert error.params == {"min": 3, "max": 64}


class TestShortenDescription:
	@pytest.mark.parametrize(
		"title",
		[
			"Facture ACC-SINV-2026-00012",
			"x" * 64,
			"x" * 65,
			"x" * 500,
			"Abonnement mensuel " * 10,
			"word " * 40,
			"a" * 40 + " " + "b" * 40,
			"-" * 100,
			"é" * 100,
			"\t Order \n\n 42 \r\n",
			b"Facture \xc3\xa9t\xc3\xa9 2026",
			b"\xff\xfe broken bytes",
			"",
			"  ",
			"ab",
			None,
			12345,
		],
	)
	def test_always_accepted_by_stancer(self, title):
		text = validation.shorten_description(title)
		assert 3 <= len(text) <= 64
		assert validation.description(text) == text

	def test_short_title_unchanged(self):
		assert validation.shorten_description("Order 42") == "Order 42"

	def test_whitespace_folded(self):
		assert validation.shorten_description("\t Order \n\n 42 \r\n") == "Order 42"

	def test_bytes_decoded(self):
		assert validation.shorten_description("Facture été".encode()) == "Facture été"

	def test_long_title_cut_on_a_word(self):
		title = "Abonnement annuel " + "Premium " * 10
		text = validation.shorten_description(title)
		assert len(text) <= 64
		assert text.endswith("Premium…")
		assert title.startswith(text[:-1])

	def test_long_word_cut_hard(self):
		text = validation.shorten_description("x" * 100)
		assert text == "x" * 63 + "…"

	@pytest.mark.parametrize("title", ["", "ab", "  a  ", None, b"", "-" * 100])
	def test_too_short_uses_fallback(self, title):
		assert validation.shorten_description(title) == "Payment"
		assert validation.shorten_description(title, fallback="Commande") == "Commande"

	@pytest.mark.parametrize("fallback", ["", "x", None, "y" * 100])
	def test_bad_fallback_still_gives_a_valid_description(self, fallback):
		text = validation.shorten_description("", fallback=fallback)
		assert 3 <= len(text) <= 64


class TestReference:
	@pytest.mark.parametrize("field", ["order_id", "unique_id", "external_id"])
	@pytest.mark.parametrize("value", ["a", "ACC-PRQ-2026-00031", "x" * 36])
	def test_accepted(self, field, value):
		assert validation.reference(value, field) == value

	@pytest.mark.parametrize("field", ["order_id", "unique_id", "external_id"])
	@pytest.mark.parametrize("value", ["", "x" * 37, None, 42])
	def test_refused(self, field, value):
		error = refused(validation.reference, value, field)
		assert error.code == "reference_length"
		assert error.field == field
		assert error.params == {"field": field, "max": 36}


class TestStableReference:
	@pytest.mark.parametrize("name", ["a", "ACC-PRQ-2026-00031", "x" * 36])
	def test_short_unchanged(self, name):
		assert validation.stable_reference(name) == name

	@pytest.mark.parametrize("name", ["x" * 37, "ACC-PAY-REQ-" + "0" * 60, "é" * 80])
	def test_long_is_36_and_stable(self, name):
		ref = validation.stable_reference(name)
		assert len(ref) == 36
		assert ref == validation.stable_reference(name)
		assert validation.reference(ref, "unique_id") == ref

	def test_long_keeps_a_readable_start(self):
		name = "Subscription-2026-CUSTOMER-WITH-A-VERY-LONG-NAME-07"
		assert validation.stable_reference(name).startswith(name[:20])

	def test_distinct_inputs_sharing_a_prefix(self):
		prefix = "P" * 40
		refs = {validation.stable_reference(f"{prefix}-{i}") for i in range(500)}
		assert len(refs) == 500
		assert validation.stable_reference(prefix + "a") != validation.stable_reference(prefix + "b")


class TestReturnUrl:
	@pytest.mark.parametrize(
		"url",
		[
			"https://erp.example.org/api/method/stancer.return?ref=ACC-PRQ-1&n=8f3a",
			"HTTPS://ERP.EXAMPLE.ORG/",
			"https://127.0.0.1:8000/x",
		],
	)
	def test_https_accepted(self, url):
		assert validation.return_url(url) == url

	@pytest.mark.parametrize(
		"url",
		[
			"http://localhost:8000/return",
			"http://LOCALHOST/return",
			"http://site1.localhost:8000/return",
			"http://127.0.0.1:8000/return",
			"http://127.1.2.3/return",
			"http://[::1]:8000/return",
		],
	)
	def test_http_loopback_only_when_allowed(self, url):
		assert validation.return_url(url, allow_http=True) == url
		assert refused(validation.return_url, url).code == "url_https"

	@pytest.mark.parametrize(
		"url",
		[
			"http://erp.example.org/return",
			"http://localhost.example.org/return",
			"http://127.0.0.1.nip.io/return",
			"http://10.0.0.1/return",
			"http://[::2]/return",
			"ftp://localhost/return",
		],
	)
	def test_http_elsewhere_refused_even_when_allowed(self, url):
		assert refused(validation.return_url, url, allow_http=True).code == "url_https"

	@pytest.mark.parametrize("url", ["", "not a url", "https://", "/relative/path", None, 42])
	def test_not_a_url(self, url):
		assert refused(validation.return_url, url, allow_http=True).code == "url"

	def test_too_long(self):
		url = "https://erp.example.org/?" + "x" * 2048
		assert refused(validation.return_url, url).code == "url"
		ok = "https://erp.example.org/?" + "x" * (2048 - len("https://erp.example.org/?"))
		assert validation.return_url(ok) == ok


class TestKeys:
	@pytest.mark.parametrize(
		"prefix, mode", [("stest", "test"), ("sprod", "live"), ("ptest", "test"), ("pprod", "live")]
	)
	def test_key_mode(self, prefix, mode):
		assert validation.key_mode(KEYS[prefix]) == mode

	@pytest.mark.parametrize(
		"key",
		[
			"stest_" + TAIL[:-1],  # 23 characters
			"stest_" + TAIL + "x",  # 25 characters
			"stest_" + TAIL[:-1] + "-",  # wrong character
			"stest_" + TAIL[:-1] + "_",  # \w allows it, Stancer keys are alphanumeric
			"stest_" + TAIL[:-1] + "é",
			"stest_" + TAIL + "\n",  # a pasted key with its newline
			" stest_" + TAIL,
			"STEST_" + TAIL,
			"stest-" + TAIL,
			"xtest_" + TAIL,
			"stest" + TAIL,
			"",
			None,
			12,
		],
	)
	def test_key_format(self, key):
		error = refused(validation.key_mode, key, "secret_key")
		assert error.code == "key_format"
		assert error.field == "secret_key"

	@pytest.mark.parametrize("mode", ["test", "prod"])
	def test_pairs(self, mode):
		expected = "test" if mode == "test" else "live"
		assert validation.keys(KEYS[f"p{mode}"], KEYS[f"s{mode}"]) == expected
		# The public key is optional (API calls only need the secret one).
		assert validation.keys(None, KEYS[f"s{mode}"]) == expected
		assert validation.keys("", KEYS[f"s{mode}"]) == expected

	@pytest.mark.parametrize(
		"public, secret, code, field",
		[
			(KEYS["ptest"], None, "secret_key_missing", "secret_key"),
			(KEYS["ptest"], "", "secret_key_missing", "secret_key"),
			# swapped: the public key given as secret and the other way round
			(KEYS["stest"], KEYS["ptest"], "secret_key_prefix", "secret_key"),
			(KEYS["ptest"], KEYS["ptest"], "secret_key_prefix", "secret_key"),
			(KEYS["stest"], KEYS["stest"], "public_key_prefix", "public_key"),
			(KEYS["sprod"], KEYS["sprod"], "public_key_prefix", "public_key"),
			# mixed modes
			(KEYS["pprod"], KEYS["stest"], "key_mode_mismatch", "public_key"),
			(KEYS["ptest"], KEYS["sprod"], "key_mode_mismatch", "public_key"),
			# right prefix, wrong shape
			(KEYS["ptest"], "stest_short", "key_format", "secret_key"),
			("ptest_short", KEYS["stest"], "key_format", "public_key"),
			(KEYS["ptest"], "stest_" + TAIL[:-1] + "!", "key_format", "secret_key"),
		],
	)
	def test_bad_pairs(self, public, secret, code, field):
		error = refused(validation.keys, public, secret)
		assert error.code == code
		assert error.field == field

	def test_mismatch_params(self):
		error = refused(validation.keys, KEYS["pprod"], KEYS["stest"])
		assert error.params == {"public_mode": "live", "secret_mode": "test"}

	@pytest.mark.parametrize(
		"public, secret",
		[
			(KEYS["stest"], KEYS["ptest"]),
			(KEYS["pprod"], KEYS["stest"]),
			(KEYS["ptest"], "stest_" + TAIL[:-1] + "!"),
			("ptest_" + TAIL[:-1] + "!", KEYS["stest"]),
			(KEYS["ptest"], "sprod_" + TAIL + "\n"),
			("sprod_" + TAIL, "sprod_" + TAIL),
		],
	)
	def test_no_message_contains_key_text(self, public, secret):
		error = refused(validation.keys, public, secret)
		text = " ".join([str(error), repr(error), error.message, repr(error.args), repr(error.params)])
		assert TAIL not in text
		assert TAIL[:-1] not in text


class TestCustomerFields:
	@pytest.mark.parametrize(
		"check, good, bad, code",
		[
			(
				validation.customer_name,
				["Jeanne Martin", "Ada", "x" * 64],
				["", "Li", "x" * 65, None],
				"customer_name_length",
			),
			(
				validation.customer_email,
				["a@b.c", "jeanne@example.org"],
				["a@b", "x" * 60 + "@e.org", None],
				"customer_email_length",
			),
			(
				validation.customer_mobile,
				["+33612345678", "06123456"],
				["0612345", "+336123456789012345", 33612345678],
				"customer_mobile_length",
			),
		],
	)
	def test_lengths(self, check, good, bad, code):
		for value in good:
			assert check(value) == value
		for value in bad:
			error = refused(check, value)
			assert error.code == code
			assert set(error.params) == {"field", "min", "max"}


def test_return_url_field_name():
	error = refused(validation.return_url, "http://hooks.example.org", field="url")
	assert error.field == "url"
	assert error.code == "url_https"
