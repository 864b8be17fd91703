# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""What people see, in a real browser (headless Chromium driven by tests/browser_flows.js), in
English and in French: the accountant shares the link from Desk, the customer pays on Stancer's
(sandbox) page and comes back, the accountant refunds. Screenshots go to /tmp/browser-shots/
(or $STANCER_SHOTS). Skipped, saying why, when Chromium, node or playwright-core is missing.

These tests commit (the web server only sees committed data) and use their own settings
("Browser …"), customers and users, so they can run beside the other bench tests."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from urllib.parse import urlsplit

import frappe
from frappe.installer import update_site_config
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt

from stancer_integration import payment_links
from stancer_integration.stancer_integration.doctype.stancer_payment.test_webshop import (
	ITEM,
	make_shop_item,
	make_shopper,
	shop_selling_through,
)
from stancer_integration.stancer_integration.doctype.stancer_payment.test_webshop import (
	PASSWORD as SHOP_PASSWORD,
)
from stancer_integration.tests.helpers import (
	COMPANY,
	make_company,
	make_customer,
	make_payment_request,
	make_price_list,
	make_sales_order,
	make_settings,
	make_user,
	scheduler_on_for,
	web_server,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "browser_flows.js")
SHOTS = os.environ.get("STANCER_SHOTS", "/tmp/browser-shots")
PASSWORD = "Browser-Stancer-Pass-7!"
SUCCESS, REFUSED = "4242424242424242", "4000000000000002"
RATES = {"en": 31.5, "fr": 47.25}  # the amounts each language's customer pays

# What each language must read, where a person reads it.
WORDS = {
	"en": {
		"link": "Payment link:",
		"copy": "Copy Payment Link",
		"again": "Send Payment Link Again",
		"paid_request": "This Payment Request is paid.",
		"amount": "31.50 EUR",
		"pay": "Pay 31.50 EUR",
		"card_number": "Card number",
		"failed_title": "Payment failed",
		"failed": "The payment did not go through",
		"try_again": "Try again",
		"success": "Thank you: your payment was accepted.",
		"close": "You can close this page.",
		"refund": "Refund",
		"refund_title": "Refund through Stancer",
		"left": "is left to refund.",
		"confirm": "back to the customer's card now?",
		"refunded": "refunded; Payment Entry",
		"status_words": "Paid: ",
		"list_title": "Stancer Payment",
		"shop_pay": "Pay",
		"shop_amount": "42.00 EUR",
		"shop_billed": "To Deliver",
		"shop_unbilled": "To Deliver and Bill",
	},
	"fr": {
		"link": "Lien de paiement :",
		"copy": "Copier le lien de paiement",
		"again": "Renvoyer le lien de paiement",
		"paid_request": "Cette demande de paiement est payée.",
		"amount": "47,25 EUR",
		"pay": "Payer 47,25 EUR",
		"card_number": "Numéro de carte",
		"failed_title": "Paiement échoué",
		"failed": "Le paiement n'a pas abouti",
		"try_again": "Réessayer",
		"success": "Merci : votre paiement a été accepté.",
		"close": "Vous pouvez fermer cette page.",
		"refund": "Rembourser",
		"refund_title": "Rembourser par Stancer",
		"left": "à rembourser.",
		"confirm": "sur la carte du client",
		"refunded": "rembours",
		"status_words": "Payé : ",
		"list_title": "Paiement Stancer",
		"shop_pay": "Payer",
		"shop_amount": "42,00 EUR",
		"shop_billed": "À Livrer",
		"shop_unbilled": "À Livrer et Facturer",
	},
}
# English that must not show on a French page (whole words of the app's and ERPNext's texts).
ENGLISH = (
	"Payment link",
	"Copy Payment Link",
	"Refund through",
	"Amount to Refund",
	"is left to refund",
	"Your payment",
	"Payment failed",
	"Try again",
	"Card number",
	"Success",
	"Continue",
	"refunded;",
	"Needs Attention",
)


def playwright_core():
	"""Where playwright-core is: $PLAYWRIGHT_CORE, else node's own resolution, else the
	browser-check folder of this machine. None when node cannot load it."""
	node = shutil.which("node")
	if not node:
		return None
	candidates = [
		os.environ.get("PLAYWRIGHT_CORE"),
		"playwright-core",
		"/tmp/browser-check/node_modules/playwright-core",
	]
	for candidate in filter(None, candidates):
		found = subprocess.run(
			[node, "-e", f"console.log(require.resolve({json.dumps(candidate)}))"],
			capture_output=True,
			text=True,
			cwd=HERE,
			check=False,
		)
		if found.returncode == 0:
			return os.path.dirname(found.stdout.strip()) if candidate == "playwright-core" else candidate
	return None


def chromium():
	for candidate in (os.environ.get("STANCER_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
		if candidate and os.access(candidate, os.X_OK):
			return candidate
	return None


def why_no_browser():
	if not chromium():
		return "Chromium is not installed (/usr/bin/chromium, or set STANCER_CHROMIUM): no browser test"
	if not shutil.which("node"):
		return "node is not installed: the browser tests drive Chromium from node"
	if not playwright_core():
		return (
			"playwright-core cannot be loaded by node (npm install playwright-core, or set "
			"PLAYWRIGHT_CORE to its folder): no browser test"
		)
	return None


def make_accountant(email, language):
	make_user(email, ["Accounts Manager", "Accounts User"])
	user = frappe.get_doc("User", email)
	user.update({"new_password": PASSWORD, "language": language, "send_welcome_email": 0})
	user.save(ignore_permissions=True)
	return email


def make_client(name, language):
	make_customer(name, email=f"{frappe.scrub(name)}@example.org")
	frappe.db.set_value("Customer", name, "language", language)
	return name


class TestBrowser(FrappeTestCase):
	"""One browser run for the whole class (set up once, it takes a minute or two); each test
	checks what one person saw."""

	@classmethod
	def setUpClass(cls):
		why = why_no_browser()
		if why:
			raise unittest.SkipTest(why)
		super().setUpClass()
		scheduler_on_for(cls)
		make_company()
		cls.settings = make_settings("Browser Checkout", payment_page_language="")
		update_site_config("stancer_rate_limit", 100000)
		frappe.cache.delete_keys("stancer-page")
		runs = []
		cls.requests = {}
		for lang in ("en", "fr"):
			customer = make_client(f"Browser Client {lang.upper()}", lang)
			accountant = make_accountant(f"browser.accountant.{lang}@example.org", lang)
			made = {
				tag: cls.new_request(customer, RATES[lang], f"{tag}-{lang}@example.org")
				for tag in ("a", "b", "c")
			}
			cls.requests[lang] = made
			other = "en" if lang == "fr" else "fr"
			runs.append(
				{
					"lang": lang,
					"accountant": accountant,
					"customer": customer,
					"request": made["a"].name,
					"browser_locale": "fr-FR" if lang == "fr" else "en-GB",
					"other_browser_locale": "fr-FR" if other == "fr" else "en-GB",
					"copy_label": WORDS[lang]["copy"],
					"refund_label": WORDS[lang]["refund"],
					"reason": "Geste commercial" if lang == "fr" else "Goodwill gesture",
				}
			)
		frappe.db.commit()
		for run in runs:
			made = cls.requests[run["lang"]]
			run.update(link=made["a"].get_payment_url(), link_refused=made["b"].get_payment_url())
			run["link_other_browser"] = made["c"].get_payment_url()
		shop = cls.shop_runs()
		frappe.db.commit()
		cls.base = web_server()
		cls.results = cls.drive(runs, [])
		# Webshop Settings is one document for the site: set to this module's gateway only
		# while the shopper's browser runs.
		with shop_selling_through(cls.settings, make_price_list("EUR")):
			shopped = cls.drive([], shop)
		cls.results["steps"].update(shopped["steps"])
		cls.results["errors"] += shopped["errors"]

	@classmethod
	def shop_runs(cls):
		"""A shopper per language (user and customer in that language) and the shop's item."""
		make_shop_item(make_price_list("EUR"))
		runs = []
		for lang in ("en", "fr"):
			customer, user = f"Browser Shopper {lang.upper()}", f"browser.shopper.{lang}@example.org"
			make_shopper(customer, user)
			frappe.db.set_value("Customer", customer, "language", lang)
			frappe.db.set_value("User", user, "language", lang)
			route = frappe.db.get_value("Website Item", {"item_code": ITEM}, "route")
			runs.append({"lang": lang, "user": user, "password": SHOP_PASSWORD, "item_route": route})
		return runs

	@classmethod
	def new_request(cls, customer, rate, email):
		order = make_sales_order(customer, rate)
		return make_payment_request(order, cls.settings, email=email)

	@classmethod
	def drive(cls, runs, shop):
		"""Run the node script once over every flow; its results (what each page showed)."""
		os.makedirs(SHOTS, exist_ok=True)
		work = tempfile.mkdtemp(prefix="stancer-browser-")
		config = {
			"base": cls.base,
			# The site's own address, in its links and in Stancer's return address: the test
			# server stands for it (the browser is sent there).
			"site": frappe.utils.get_url(),
			"shots": SHOTS,
			"work": work,
			"chromium": chromium(),
			"password": PASSWORD,
			"cards": {"success": SUCCESS, "refused": REFUSED},
			"runs": runs,
			"shop": shop,
		}
		config_path, results_path = os.path.join(work, "config.json"), os.path.join(work, "results.json")
		with open(config_path, "w") as f:
			json.dump(config, f)
		env = dict(os.environ, PLAYWRIGHT_CORE=playwright_core())
		done = subprocess.run(
			["node", SCRIPT, config_path, results_path],
			capture_output=True,
			text=True,
			timeout=900,
			env=env,
			check=False,
		)
		if not os.path.exists(results_path):
			raise AssertionError(f"the browser script gave no results: {done.stderr[-3000:]}")
		with open(results_path) as f:
			results = json.load(f)
		results["stderr"] = done.stderr[-3000:]
		frappe.db.commit()  # a fresh snapshot: what the server committed
		return results

	def seen(self, name):
		step = self.results["steps"].get(name)
		self.assertIsNotNone(step, f"step {name} did not run: {self.results['errors']}")
		self.assertNotIn("error", step, f"{name}: {step.get('error')} (screenshot {step.get('screenshot')})")
		return step

	def assertNoEnglish(self, text, where):
		found = [words for words in ENGLISH if re.search(rf"\b{re.escape(words)}\b", text)]
		self.assertFalse(found, f"English on the French page {where}: {found} in {text[:600]!r}")

	# -- 1. the accountant shares the link -------------------------------------------------------

	def check_link_shown(self, lang):
		words = WORDS[lang]
		seen = self.seen(f"{lang}-1-payment-request-link")
		pr = self.requests[lang]["a"]
		intro = " ".join(seen["intro"])
		self.assertIn(words["link"], intro)
		self.assertIn("/stancer_checkout?token=", seen["link"])
		self.assertEqual(
			payment_links.read_link(seen["link"]), pr.name, "the link shown is another request's"
		)
		self.assertIn(words["copy"], seen["buttons"])
		self.assertIn(words["again"], seen["buttons"])
		self.assertEqual(
			seen["copied"], seen["link"], "Copy Payment Link did not put the link on the clipboard"
		)
		if lang == "fr":
			self.assertNoEnglish(intro + " ".join(seen["buttons"]), seen["screenshot"])

	def test_1_accountant_sees_and_copies_the_link_en(self):
		self.check_link_shown("en")

	def test_1_accountant_sees_and_copies_the_link_fr(self):
		self.check_link_shown("fr")

	def check_records_read_only(self, lang):
		words = WORDS[lang]
		listed = self.seen(f"{lang}-3-stancer-payment-list")
		self.assertIn(words["list_title"], listed["title"])
		self.assertTrue(any(self.requests[lang]["a"].name in row for row in listed["rows"]), listed["rows"])
		form = self.seen(f"{lang}-3-stancer-payment-form")
		self.assertEqual(form["primary"], [], f"the record shows a primary action: {form['primary']}")
		self.assertTrue(any(words["status_words"] in w for w in form["status_words"]), form["status_words"])
		self.assertIn(words["refund"], form["buttons"])
		self.assertEqual(form["editable_inputs"], 0, "the Stancer Payment form has editable fields")
		paid = self.seen(f"{lang}-3-payment-request-paid")
		self.assertIn(words["paid_request"], " ".join(paid["intro"]))
		self.assertNotIn(words["copy"], paid["buttons"])
		if lang == "fr":
			self.assertNoEnglish(" ".join(listed["rows"]) + listed["head"], listed["screenshot"])
			self.assertNoEnglish(" ".join(form["buttons"] + form["status_words"]), form["screenshot"])

	def test_1_stancer_payment_list_and_form_en(self):
		self.check_records_read_only("en")

	def test_1_stancer_payment_list_and_form_fr(self):
		self.check_records_read_only("fr")

	# -- 2. the customer pays ----------------------------------------------------------------------

	def check_hosted_page(self, seen, lang):
		words = WORDS[lang]
		self.assertEqual(seen["lang"].split("-")[0], lang)
		self.assertIn(words["amount"], seen["text"])
		self.assertEqual(seen["pay_button"], words["pay"])
		self.assertIn(words["card_number"], seen["text"])
		# The merchant's name, as Stancer's page shows it.
		self.assertIn(COMPANY, seen["text"], "the hosted page does not name the merchant")

	def check_success(self, seen, lang, where):
		self.assertIn("/stancer_paid", seen["url"])
		self.assertEqual(seen["lang"].split("-")[0], lang, f"{where}: the success page is not in {lang}")
		self.assertIn(WORDS[lang]["success"], seen["text"])
		if lang == "fr":
			self.assertNoEnglish(seen["text"], seen["screenshot"])

	def check_customer_pays(self, lang):
		self.check_hosted_page(self.seen(f"{lang}-2a-hosted-page"), lang)
		self.check_success(self.seen(f"{lang}-2a-success"), lang, "paid at once")
		pr = frappe.get_doc("Payment Request", self.requests[lang]["a"].name)
		self.assertEqual(pr.status, "Paid")

	def test_2_customer_pays_en(self):
		self.check_customer_pays("en")

	def test_2_customer_pays_fr(self):
		self.check_customer_pays("fr")

	def check_refused_then_paid(self, lang):
		words = WORDS[lang]
		refused = self.seen(f"{lang}-2b-refused")
		self.assertEqual(refused["state"], "failed")
		self.assertEqual(refused["lang"].split("-")[0], lang)
		self.assertIn(words["failed_title"], refused["text"])
		self.assertIn(words["failed"], refused["text"])
		self.assertIn(words["try_again"], refused["buttons"])
		if lang == "fr":
			self.assertNoEnglish(refused["text"], refused["screenshot"])
		self.check_hosted_page(self.seen(f"{lang}-2b-try-again"), lang)
		self.check_success(self.seen(f"{lang}-2b-success"), lang, "paid after a refusal")
		self.assertEqual(
			frappe.db.get_value("Payment Request", self.requests[lang]["b"].name, "status"), "Paid"
		)

	def test_2_refused_card_then_success_en(self):
		self.check_refused_then_paid("en")

	def test_2_refused_card_then_success_fr(self):
		self.check_refused_then_paid("fr")

	def check_other_browser(self, lang):
		"""The customer's language wins over the browser's, on every page of the journey."""
		self.check_hosted_page(self.seen(f"{lang}-2c-hosted-page"), lang)
		self.check_success(self.seen(f"{lang}-2c-success"), lang, "a browser in the other language")

	def test_2_customer_language_over_browser_en(self):
		self.check_other_browser("en")

	def test_2_customer_language_over_browser_fr(self):
		self.check_other_browser("fr")

	def check_after_payment(self, lang):
		"""Continue on the success page never asks a logged-out customer to log in; the link
		opened again says it is paid."""
		went = self.seen(f"{lang}-2a-continue")
		self.assertFalse(went["asks_login"], f"Continue sends the customer to a login page: {went['url']}")
		if not went["offered"]:
			# Nowhere to go on for a guest: the page says it can be closed.
			self.assertIn(WORDS[lang]["close"], went["text"])
		again = self.seen(f"{lang}-2a-link-again")
		self.assertFalse(again["asks_login"], again["url"])
		self.assertIn(urlsplit(again["url"]).path, ("/stancer_paid", "/stancer_checkout"))

	def test_2_after_payment_en(self):
		self.check_after_payment("en")

	def test_2_after_payment_fr(self):
		self.check_after_payment("fr")

	# -- 3. the accountant refunds -----------------------------------------------------------------

	def check_refund(self, lang):
		words = WORDS[lang]
		dialog = self.seen(f"{lang}-3-refund-dialog")
		self.assertEqual(dialog["dialog_title"], words["refund_title"])
		self.assertEqual(
			flt(dialog["amount"].replace("€", "").replace(" ", "").replace(",", ".")), RATES[lang]
		)
		shown_amount = f"{RATES[lang]:.2f}"
		self.assertIn(words["left"], dialog["dialog"])
		self.assertIn(shown_amount, dialog["dialog"])
		confirm = self.seen(f"{lang}-3-refund-confirm")
		self.assertIn(words["confirm"], confirm["confirm"])
		self.assertIn(shown_amount, confirm["confirm"])
		done = self.seen(f"{lang}-3-refund-done")
		self.assertIn(words["refunded"], done["message"])
		record = frappe.get_all(
			"Stancer Payment",
			filters={"payment_request": self.requests[lang]["a"].name, "outcome": "Paid"},
			pluck="name",
		)
		refunds = frappe.get_all(
			"Stancer Refund",
			filters={"stancer_payment": ("in", record)},
			fields=["name", "amount", "payment_entry", "reason"],
		)
		self.assertEqual(len(refunds), 1, refunds)
		self.assertEqual(flt(refunds[0].amount), RATES[lang])
		self.assertTrue(refunds[0].payment_entry)
		self.assertIn(refunds[0].payment_entry, done["message"])
		shown = self.seen(f"{lang}-3-stancer-refund-form")
		self.assertIn(refunds[0].payment_entry, shown["body"])
		self.assertEqual(shown["primary"], [])
		if lang == "fr":
			for page in (dialog["dialog"], confirm["confirm"], done["message"], shown["body"]):
				self.assertNoEnglish(page, f"{lang}-3-refund")

	def test_3_refund_en(self):
		self.check_refund("en")

	def test_3_refund_fr(self):
		self.check_refund("fr")

	# -- 4. the shopper pays the cart --------------------------------------------------------------

	def check_shop(self, lang):
		words = WORDS[lang]
		placed = self.seen(f"{lang}-4-shop-order")
		order = placed["order"]
		self.assertTrue(frappe.db.exists("Sales Order", order), placed["url"])
		hosted = self.seen(f"{lang}-4-shop-hosted-page")
		self.assertTrue(hosted["pay_label"].startswith(words["shop_pay"]), hosted["pay_label"])
		self.assertEqual(hosted["lang"].split("-")[0], lang)
		self.assertIn(words["shop_amount"], hosted["text"])
		refused = self.seen(f"{lang}-4-shop-refused")
		self.assertEqual(refused["state"], "failed")
		self.assertIn(words["failed"], refused["text"])
		self.seen(f"{lang}-4-shop-try-again")
		paid = self.seen(f"{lang}-4-shop-paid")
		self.assertIn(f"/orders/{order}", paid["final_url"], "the shopper is not back on the order page")
		# Webshop's order page has no "paid" word: the order is now billed (webshop's invoice).
		self.assertIn(words["shop_billed"], paid["final_text"])
		self.assertNotIn(words["shop_unbilled"], paid["final_text"])
		requests = frappe.get_all(
			"Payment Request",
			filters={"reference_name": order, "docstatus": 1},
			pluck="status",
		)
		self.assertEqual(requests, ["Paid"])
		if lang == "fr":
			self.assertNoEnglish(paid["final_text"], paid["screenshot"])

	def test_4_shop_en(self):
		self.check_shop("en")

	def test_4_shop_fr(self):
		self.check_shop("fr")
