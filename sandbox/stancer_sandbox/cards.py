"""Test cards of the sandbox and what each one does.

`CARDS` maps the exact card number to its behaviour; tests import it. Any future expiry date and
any 3-digit CVC work. Another number that passes the Luhn check behaves like a successful card.
"""

SUCCESS = "success"
REFUSED = "refused"
THREEDS_SUCCESS = "threeds_success"
THREEDS_FAILURE = "threeds_failure"
DISPUTE = "dispute"

# Named numbers, so tests read as what they mean.
VISA_SUCCESS = "4242424242424242"
MASTERCARD_SUCCESS = "5555555555554444"
REFUSED_DO_NOT_HONOR = "4000000000000002"
REFUSED_INSUFFICIENT_FUNDS = "4000000000009995"
THREEDS_CHALLENGE_SUCCESS = "4000000000003220"
THREEDS_CHALLENGE_FAILURE = "4000000000003238"
DISPUTED_LATER = "4000000000000259"


def _card(brand, outcome, response, label_en, label_fr):
	return {
		"brand": brand,
		"outcome": outcome,
		# Bank response code once decided ("00" = accepted).
		"response": response,
		"threeds": outcome in (THREEDS_SUCCESS, THREEDS_FAILURE),
		"label": label_en,
		"label_fr": label_fr,
	}


CARDS = {
	VISA_SUCCESS: _card("visa", SUCCESS, "00", "Success", "Paiement accepté"),
	MASTERCARD_SUCCESS: _card("mastercard", SUCCESS, "00", "Success", "Paiement accepté"),
	REFUSED_DO_NOT_HONOR: _card(
		"visa", REFUSED, "05", "Refused: do not honor (05)", "Refusé : ne pas honorer (05)"
	),
	REFUSED_INSUFFICIENT_FUNDS: _card(
		"visa", REFUSED, "51", "Refused: insufficient funds (51)", "Refusé : provision insuffisante (51)"
	),
	THREEDS_CHALLENGE_SUCCESS: _card(
		"visa", THREEDS_SUCCESS, "00", "3-D Secure challenge, then success", "3-D Secure, puis accepté"
	),
	THREEDS_CHALLENGE_FAILURE: _card(
		"visa", THREEDS_FAILURE, None, "3-D Secure challenge, then failure", "3-D Secure, puis échec"
	),
	DISPUTED_LATER: _card(
		"visa", DISPUTE, "00", "Success, then disputed after a while", "Accepté, puis contesté plus tard"
	),
}

# Behaviour of any other valid number: the saved card keeps only this name, never the number.
GENERIC = {"outcome": SUCCESS, "response": "00", "threeds": False}


def luhn_ok(number):
	total = 0
	for index, char in enumerate(reversed(number)):
		digit = ord(char) - 48
		if index % 2:
			digit *= 2
			if digit > 9:
				digit -= 9
		total += digit
	return total % 10 == 0


def brand_of(number):
	if number.startswith("4"):
		return "visa"
	if number[:2] in ("51", "52", "53", "54", "55") or "2221" <= number[:4] <= "2720":
		return "mastercard"
	if number[:2] in ("34", "37"):
		return "amex"
	if number.startswith("35"):
		return "jcb"
	return "cb"


def network_of(brand):
	# Stancer's networks are visa, mastercard or national (CB).
	return brand if brand in ("visa", "mastercard") else "national"


def behaviour(number):
	"""The behaviour of a card number (a dict with at least outcome, response, threeds)."""
	return CARDS.get(number, GENERIC)
