"""The hosted page driven over HTTP: each test card's outcome, 3-D Secure, errors, languages."""

import pytest
import requests

from stancer_sandbox import CARDS
from stancer_sandbox import cards as test_cards

RETURN_URL = "https://shop.example.org/return?order=42"


def _create(api, **extra):
	body = {"amount": 2599, "currency": "eur", "description": "Order 42", "return_url": RETURN_URL, **extra}
	answer = api.post("/v2/payments/", json=body)
	assert answer.status_code == 200, answer.text
	return answer.json()


def _page_url(sandbox, account, payment, lang=None):
	url = f"{sandbox.url}/{account['public_key']}/{payment['id']}"
	return url + (f"?lang={lang}" if lang else "")


def _get(api, payment):
	return api.get(f"/v2/payments/{payment['id']}").json()


@pytest.mark.parametrize(
	("number", "status", "response"),
	[
		(test_cards.VISA_SUCCESS, "to_capture", "00"),
		(test_cards.MASTERCARD_SUCCESS, "to_capture", "00"),
		(test_cards.REFUSED_DO_NOT_HONOR, "refused", "05"),
		(test_cards.REFUSED_INSUFFICIENT_FUNDS, "refused", "51"),
		(test_cards.DISPUTED_LATER, "to_capture", "00"),
		# Without `auth: true`, 3-D Secure cards pass without a challenge.
		(test_cards.THREEDS_CHALLENGE_SUCCESS, "to_capture", "00"),
		(test_cards.THREEDS_CHALLENGE_FAILURE, "to_capture", "00"),
	],
)
def test_card_outcomes(sandbox, account, api, pay_page, number, status, response):
	payment = _create(api)
	assert payment["status"] is None and payment["card"] is None
	result = pay_page(_page_url(sandbox, account, payment), number)
	assert result.status_code == 303
	assert result.location == RETURN_URL  # nothing appended
	after = _get(api, payment)
	assert after["status"] == status
	assert after["response"] == response
	assert after["method"] == "card"
	card = after["card"]
	assert card["last4"] == number[-4:]
	assert card["brand"] == CARDS[number]["brand"]
	assert card["id"].startswith("card_") and len(card["id"]) == 29
	assert set(card) >= {"exp_month", "exp_year", "funding", "network", "country", "tokenize", "created"}
	assert "number" not in card and "cvc" not in card
	assert number not in str(after)
	if status == "to_capture":
		assert after["date_paym"] is not None


def test_capture_false_gives_authorized(sandbox, account, api, pay_page):
	payment = _create(api, capture=False)
	pay_page(_page_url(sandbox, account, payment), test_cards.VISA_SUCCESS)
	assert _get(api, payment)["status"] == "authorized"


def test_threeds_challenge_then_success(sandbox, account, api, pay_page):
	payment = _create(api, auth=True)
	assert payment["auth"]["status"] == "requested"
	url = _page_url(sandbox, account, payment)
	with requests.Session() as browser:
		browser.get(url).raise_for_status()
		answer = browser.post(
			url,
			data={"number": test_cards.THREEDS_CHALLENGE_SUCCESS, "exp": "12/34", "cvc": "123"},
			allow_redirects=False,
		)
		assert answer.status_code == 303 and answer.headers["Location"].endswith("/3ds")
		waiting = _get(api, payment)
		assert waiting["status"] is None and waiting["auth"]["status"] == "attempted"
		assert waiting["auth"]["redirect_url"].endswith("/3ds")
		challenge = browser.get(sandbox.url + answer.headers["Location"])
		assert "Authenticate" in challenge.text and "Cancel" in challenge.text
		done = browser.post(
			sandbox.url + answer.headers["Location"], data={"action": "authenticate"}, allow_redirects=False
		)
		assert done.status_code == 303 and done.headers["Location"] == RETURN_URL
	after = _get(api, payment)
	assert after["status"] == "to_capture"
	assert after["auth"]["status"] == "success"


def test_threeds_challenge_then_failure(sandbox, account, api, pay_page):
	payment = _create(api, auth=True)
	result = pay_page(_page_url(sandbox, account, payment), test_cards.THREEDS_CHALLENGE_FAILURE)
	assert result.location == RETURN_URL
	after = _get(api, payment)
	assert after["status"] == "failed"
	assert after["auth"]["status"] == "failed"


def test_threeds_cancel_fails(sandbox, account, api, pay_page):
	payment = _create(api, auth=True)
	pay_page(_page_url(sandbox, account, payment), test_cards.THREEDS_CHALLENGE_SUCCESS, threeds="cancel")
	assert _get(api, payment)["status"] == "failed"


def test_plain_card_with_auth_is_frictionless(sandbox, account, api, pay_page):
	payment = _create(api, auth=True)
	result = pay_page(_page_url(sandbox, account, payment), test_cards.VISA_SUCCESS)
	assert result.location == RETURN_URL
	after = _get(api, payment)
	assert after["status"] == "to_capture" and after["auth"]["status"] == "success"


def test_no_auth_asked_means_auth_null(api):
	assert _create(api)["auth"] is None


@pytest.mark.parametrize(
	("number", "exp", "cvc", "message"),
	[
		("4242424242424241", "12/34", "123", "card number is not valid"),
		("4242", "12/34", "123", "card number is not valid"),
		("4242424242424242", "01/20", "123", "This card has expired"),
		("4242424242424242", "13/34", "123", "expiry date must be written"),
		("4242424242424242", "1234", "123", "expiry date must be written"),
		("4242424242424242", "12/34", "12", "CVC must be 3 digits"),
	],
)
def test_form_errors_keep_the_payment_open(sandbox, account, api, number, exp, cvc, message):
	payment = _create(api)
	url = _page_url(sandbox, account, payment)
	answer = requests.post(
		url, data={"number": number, "exp": exp, "cvc": cvc}, allow_redirects=False, timeout=5
	)
	assert answer.status_code == 400
	assert message in answer.text
	assert f'value="{number}"' not in answer.text  # the number is not echoed back
	assert _get(api, payment)["status"] is None


def test_decided_payment_shows_already_processed(sandbox, account, api, pay_page):
	payment = _create(api)
	url = _page_url(sandbox, account, payment)
	pay_page(url, test_cards.VISA_SUCCESS)
	page = requests.get(url, timeout=5)
	assert page.status_code == 200
	assert "already been processed" in page.text and "to_capture" in page.text
	assert 'href="https://shop.example.org/return?order=42"' in page.text
	again = requests.post(
		url, data={"number": test_cards.REFUSED_DO_NOT_HONOR, "exp": "12/34", "cvc": "123"}, timeout=5
	)
	assert "already been processed" in again.text
	assert _get(api, payment)["status"] == "to_capture"


def test_page_lists_test_cards_in_english_by_default(sandbox, account, api):
	page = requests.get(_page_url(sandbox, account, _create(api)), timeout=5)
	assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
	assert 'lang="en"' in page.text and "Card number" in page.text and "25.99 EUR" in page.text
	for number in CARDS:
		assert number in page.text


@pytest.mark.parametrize("lang", ["fr", "fr-FR"])
def test_page_in_french(sandbox, account, api, lang):
	page = requests.get(_page_url(sandbox, account, _create(api), lang), timeout=5)
	assert 'lang="fr"' in page.text
	assert "Numéro de carte" in page.text and "Payer" in page.text and "25,99 EUR" in page.text


def test_french_challenge_page(sandbox, account, api):
	payment = _create(api, auth=True)
	url = _page_url(sandbox, account, payment, "fr-FR")
	answer = requests.post(
		url,
		data={"number": test_cards.THREEDS_CHALLENGE_SUCCESS, "exp": "12/34", "cvc": "123"},
		allow_redirects=False,
	)
	assert answer.headers["Location"].endswith("/3ds?lang=fr-FR")
	challenge = requests.get(sandbox.url + answer.headers["Location"], timeout=5)
	assert "Authentifier" in challenge.text and "Annuler" in challenge.text


def test_english_page_with_en_gb(sandbox, account, api):
	page = requests.get(_page_url(sandbox, account, _create(api), "en-GB"), timeout=5)
	assert "Card number" in page.text


def test_description_is_escaped(sandbox, account, api):
	payment = _create(api, description="<script>x</script>")
	page = requests.get(_page_url(sandbox, account, payment), timeout=5)
	assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text


def test_wrong_public_key_is_404(sandbox, account, api):
	payment = _create(api)
	other = sandbox.create_account()
	for key in (other["public_key"], "ptest_" + "a" * 24, account["secret_key"]):
		page = requests.get(f"{sandbox.url}/{key}/{payment['id']}", timeout=5)
		assert page.status_code == 404
		assert "Payment not found" in page.text


def test_live_public_key_does_not_open_a_test_payment(sandbox, account, api):
	payment = _create(api)
	live = sandbox.account_keys(account["account_id"], live=True)
	page = requests.get(f"{sandbox.url}/{live['public_key']}/{payment['id']}", timeout=5)
	assert page.status_code == 404


def test_payment_without_return_url_shows_a_result_page(sandbox, account, api, pay_page):
	answer = api.post("/v2/payments/", json={"amount": 500, "currency": "eur"})
	payment = answer.json()
	result = pay_page(_page_url(sandbox, account, payment), test_cards.REFUSED_DO_NOT_HONOR)
	assert result.status_code == 200 and "refused" in result.text


def test_demo_link_and_return_page(sandbox, pay_page):
	link = sandbox.demo_payment_link()
	result = pay_page(link, test_cards.VISA_SUCCESS)
	assert result.status_code == 303 and "/_sandbox/return?payment=paym_" in result.location
	page = requests.get(result.location, timeout=5)
	assert page.status_code == 200 and "to_capture" in page.text
	fresh = requests.get(f"{sandbox.url}/_sandbox/demo", allow_redirects=False, timeout=5)
	assert fresh.status_code == 303 and "/ptest_DemoSandboxPublicTest001/paym_" in fresh.headers["Location"]
