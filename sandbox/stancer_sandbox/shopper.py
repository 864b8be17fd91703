"""Pay on the sandbox's hosted page over HTTP, as a customer's browser does.

Used by the pytest suite and by the bench tests, so both drive the page the same way.
"""

import re

import requests


def _absolute(base, location):
	return location if re.match(r"^https?://", location) else base + location


def pay_on_page(page_url, number, exp="12/34", cvc="123", threeds="authenticate", verify=True, timeout=10):
	"""GET the form, POST the card, answer a 3-D Secure challenge if one is shown.

	`threeds` is "authenticate" or "cancel". Returns the last answer; after a decision its
	`Location` header is the merchant's return_url (the redirect is not followed).
	"""
	base = re.match(r"^(https?://[^/]+)", page_url).group(1)
	with requests.Session() as session:
		session.verify = verify
		session.get(page_url, timeout=timeout).raise_for_status()
		answer = session.post(
			page_url, data={"number": number, "exp": exp, "cvc": cvc}, allow_redirects=False, timeout=timeout
		)
		location = answer.headers.get("Location", "")
		if answer.status_code == 303 and location.split("?")[0].endswith("/3ds"):
			challenge = _absolute(base, location)
			session.get(challenge, timeout=timeout).raise_for_status()
			answer = session.post(challenge, data={"action": threeds}, allow_redirects=False, timeout=timeout)
		return answer
