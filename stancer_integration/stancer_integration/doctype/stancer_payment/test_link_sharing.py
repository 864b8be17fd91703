# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""The accountant shares the link: shown on the Payment Request (or why it does not work), sent
again, and carried by the e-mail ERPNext sends, in French or English."""

from urllib.parse import parse_qs, urlsplit

import frappe
import requests

from stancer_integration import link_sharing
from stancer_integration.checkout import payment_request_for_token
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	REFUSED,
	SUCCESS,
	CheckoutCase,
	page_state,
)
from stancer_integration.tests.helpers import (
	come_back,
	make_customer,
	make_payment_request,
	make_sales_order,
	make_settings,
	make_user,
	on_server,
	pay_on_page,
	web_server,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]
OUTSIDER = "stancer.outsider@example.org"


def make_outgoing_email_account():
	"""A default outgoing account, as a merchant's site has (mail stays in the Email Queue)."""
	if not frappe.db.exists("Email Account", {"default_outgoing": 1}):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "Stancer Tests",
				"email_id": "stancer-tests@example.org",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"smtp_port": 2525,
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()


class TestLinkSharing(CheckoutCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_outgoing_email_account()
		# The e-mail carries the order's PDF: wkhtmltopdf fetches the print styles from the
		# site's address, which is the test web server here.
		cls.host_name = frappe.local.conf.host_name
		frappe.local.conf.host_name = web_server()

	@classmethod
	def tearDownClass(cls):
		frappe.local.conf.host_name = cls.host_name
		super().tearDownClass()

	def test_a_submitted_request_shows_its_link(self):
		pr = self.new_request()
		link = link_sharing.get_link(pr.name)
		self.assertIn("/stancer_checkout?token=", link["url"])
		self.assertEqual(self.get_payment_request_of(link["url"]), pr.name)

	def get_payment_request_of(self, url):

		return payment_request_for_token(parse_qs(urlsplit(url).query)["token"][0])

	def test_a_link_that_cannot_work_says_why(self):
		cancelled = self.new_request()
		frappe.get_doc("Payment Request", cancelled.name).cancel()
		self.assertIn("cancelled", link_sharing.get_link(cancelled.name)["message"])
		paid = self.new_request()
		self.pay(paid)
		self.assertIn("paid", link_sharing.get_link(paid.name)["message"])
		disabled = make_settings("Links Disabled")
		pr = self.new_request(settings=disabled)
		disabled.enabled = 0
		disabled.save()
		self.assertIn("disabled", link_sharing.get_link(pr.name)["message"])
		frappe.db.rollback()

	def test_only_users_who_may_read_the_request_see_the_link(self):
		pr = self.new_request()
		make_user(OUTSIDER, ["Customer"])
		frappe.set_user(OUTSIDER)
		try:
			with self.assertRaises(frappe.PermissionError):
				link_sharing.get_link(pr.name)
			with self.assertRaises(frappe.PermissionError):
				link_sharing.send_link(pr.name)
		finally:
			frappe.set_user("Administrator")

	def test_the_email_carries_the_link_in_the_customers_language(self):
		for language, words in (("fr", "Vous pouvez régler"), ("en", "You can pay")):
			customer = make_customer(f"Stancer Mail {language}", email=f"mail-{language}@example.org")
			order = make_sales_order(customer, 30)
			frappe.db.set_value("Sales Order", order.name, "language", language)
			pr = make_payment_request(order, self.settings, email=f"mail-{language}@example.org", mute=False)
			# What ERPNext sent on submit: its message, rendered with the link it made.
			pr.reload()
			self.assertIn("/stancer_checkout?token=", pr.payment_url)
			message = pr.get_message()
			self.assertIn(words, message)
			self.assertIn(f'href="{pr.payment_url}"', message)
			# The request's form shows one language, not the template choosing between two.
			self.assertNotIn("{% if", pr.message)
			subject = "Demande de paiement pour" if language == "fr" else "Payment Request for"
			self.assertTrue(pr.subject.startswith(subject), pr.subject)

	def test_send_again_records_the_mail_with_the_link(self):
		pr = self.new_request()
		answer = link_sharing.send_link(pr.name)
		self.assertIn("buyer@example.org", answer)
		mails = frappe.get_all(
			"Communication",
			# ERPNext files the mail under the order the request is for.
			filters={"reference_doctype": pr.reference_doctype, "reference_name": pr.reference_name},
			pluck="content",
		)
		self.assertTrue(any("/stancer_checkout?token=" in (m or "") for m in mails), mails)

	def french_customer_pays_in_an_english_browser(self, name, card):
		"""A French customer opens the link and pays in an English browser: (Stancer's page
		address, our return page's answer, the browser's headers)."""
		customer = make_customer(name, email=name.lower().replace(" ", ".") + "@example.org")
		frappe.db.set_value("Customer", customer, "language", "fr")
		frappe.db.commit()
		pr = self.new_request(customer=customer)
		english = {"Accept-Language": "en-GB,en;q=0.9"}
		opened = requests.get(
			on_server(pr.get_payment_url()), headers=english, allow_redirects=False, timeout=60
		)
		back = pay_on_page(opened.headers["Location"], card)
		answer = come_back(back, headers=english)
		return opened.headers["Location"], answer, english

	def test_a_french_customer_in_an_english_browser_reads_french(self):
		stancer_page, answer, _english = self.french_customer_pays_in_an_english_browser(
			"Stancer Client Lecteur", REFUSED
		)
		self.assertIn("lang=fr-FR", stancer_page)  # Stancer's page
		self.assertEqual(page_state(answer)[0], "failed")
		self.assertIn("Le paiement n'a pas abouti", answer.text)  # our page, in French
		self.assertIn("Réessayer", answer.text)

	def test_the_success_page_speaks_the_customers_language_too(self):
		_page, answer, english = self.french_customer_pays_in_an_english_browser(
			"Stancer Client Ravi", SUCCESS
		)
		self.assertEqual(answer.status_code, 302, answer.text[:300])
		self.assertIn("_lang=fr", answer.headers["Location"])
		success = requests.get(on_server(answer.headers["Location"]), headers=english, timeout=60)
		self.assertIn("Merci : votre paiement a été accepté.", success.text)
		self.assertIn("Vous pouvez fermer cette page.", success.text)  # no login page offered
		self.assertNotIn("accepted", success.text)

	def test_a_guest_is_not_sent_to_a_page_that_asks_to_log_in(self):
		"""Another app's hook (a shop) names its order page; a logged-out payer is not sent there."""
		from stancer_integration import payment_links
		from stancer_integration.permissions import as_administrator

		frappe.set_user("Guest")
		try:
			self.assertIsNone(payment_links.redirect_for_visitor("/orders/SO-1"))
			with as_administrator():
				self.assertIsNone(payment_links.redirect_for_visitor("/orders/SO-1"))
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(payment_links.redirect_for_visitor("/orders/SO-1"), "/orders/SO-1")

	def test_the_hosted_page_says_what_is_paid_in_the_customers_language(self):
		customer = make_customer("Stancer Client Libellé", email="libelle@example.org")
		frappe.db.set_value("Customer", customer, "language", "fr")
		frappe.db.commit()
		pr = self.new_request(customer=customer)
		requests.get(on_server(pr.get_payment_url()), allow_redirects=False, timeout=60)
		frappe.db.commit()
		record = frappe.get_all("Stancer Payment", filters={"payment_request": pr.name}, pluck="stancer_id")[
			0
		]
		with self.settings.get_client() as client:
			description = client.payments.get(record)["description"]
		frappe.local.lang = "fr"
		try:
			expected = f"{frappe._('Sales Order')} {pr.reference_name}"
		finally:
			frappe.local.lang = "en"
		self.assertEqual(description, expected)
		self.assertNotIn("Payment Request for", description)

	def test_the_success_page_follows_no_address_a_visitor_writes(self):
		pr = self.new_request()

		def page(redirect_to):
			answer = requests.get(
				on_server("/stancer_paid"), params={"pr": pr.name, "redirect_to": redirect_to}, timeout=60
			)
			self.assertEqual(answer.status_code, 200)
			return answer.text

		self.assertNotIn("<script>alert(1)</script>", page('/"><script>alert(1)</script>'))
		for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
			self.assertNotIn("evil.example", page(elsewhere), elsewhere)
		self.assertIn('href="/orders"', page("/orders"))
