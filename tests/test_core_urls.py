"""URL helpers: loopback hosts and the hosted payment page address (stancer-api.md §3)."""

import pytest

from stancer_integration.stancer import urls

PUBLIC = "ptest_a1B2c3D4e5F6g7H8i9J0k1L2"
PAYMENT = "paym_RMLytyx2xLkdXkATKSxHOlvC"


@pytest.mark.parametrize(
	"host",
	["localhost", "LOCALHOST", "site1.localhost", "a.b.localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"],
)
def test_loopback_hosts(host):
	assert urls.is_loopback_host(host)


@pytest.mark.parametrize(
	"host",
	[
		"",
		None,
		"example.org",
		"localhost.example.org",
		"mylocalhost",
		"10.0.0.1",
		"0.0.0.0",
		"::2",
		"128.0.0.1",
	],
)
def test_not_loopback_hosts(host):
	assert not urls.is_loopback_host(host)


def test_loopback_urls():
	assert urls.is_loopback_url("http://127.0.0.1:8765/v2/")
	assert urls.is_loopback_url("http://[::1]:8000")
	assert not urls.is_loopback_url("https://api.stancer.com")
	assert not urls.is_loopback_url("garbage")


def test_split_url():
	assert urls.split_url("HTTPS://Api.Stancer.com:443/v2/") == ("https", "api.stancer.com", 443)
	assert urls.split_url("http://[::1]:99999/") == ("", "", None)  # invalid port


@pytest.mark.parametrize(
	"api_base, page_base",
	[
		("https://api.stancer.com", "https://payment.stancer.com"),
		("https://api.stancer.com/", "https://payment.stancer.com"),
		("https://api.example.org", "https://payment.example.org"),
		("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
		("http://localhost:8765/", "http://localhost:8765"),
	],
)
def test_page_base(api_base, page_base):
	assert urls.page_base(api_base) == page_base


@pytest.mark.parametrize(
	"lang, expected",
	[
		("fr", "fr-FR"),
		("fr_FR", "fr-FR"),
		("fr-fr", "fr-FR"),
		("FR", "fr-FR"),
		("en", "en-GB"),
		("en-US", "en-US"),
		("de", "de-DE"),
		("xx", "xx-XX"),
		("", None),
		(None, None),
		("12", None),
	],
)
def test_page_lang(lang, expected):
	assert urls.page_lang(lang) == expected


def test_payment_page_url_real_api():
	url = urls.payment_page_url("https://api.stancer.com", PUBLIC, PAYMENT)
	assert url == f"https://payment.stancer.com/{PUBLIC}/{PAYMENT}"


def test_payment_page_url_with_lang():
	url = urls.payment_page_url("https://api.stancer.com", PUBLIC, PAYMENT, lang="fr")
	assert url == f"https://payment.stancer.com/{PUBLIC}/{PAYMENT}?lang=fr-FR"


def test_payment_page_url_sandbox_same_host():
	url = urls.payment_page_url("http://127.0.0.1:8765/", PUBLIC, PAYMENT, lang="en_US")
	assert url == f"http://127.0.0.1:8765/{PUBLIC}/{PAYMENT}?lang=en-US"


def test_payment_page_url_quotes_path_parts():
	url = urls.payment_page_url("https://api.stancer.com", PUBLIC, "paym_x/../y?z")
	assert url == f"https://payment.stancer.com/{PUBLIC}/paym_x%2F..%2Fy%3Fz"
