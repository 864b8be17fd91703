# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""The shop, end to end, as a shopper's browser goes: log in, add to cart, place the order, Pay
on the order page, pay on the sandbox's hosted page, back on the shop. Webshop makes a Payment
Entry and a Sales Invoice and ERPNext re-points the entry to the invoice: the app adopts that
entry and books nothing else. These tests commit (the web server only sees committed data) and
set Webshop Settings for their run, putting them back afterwards."""

from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import frappe
import requests
from frappe.installer import update_site_config

from stancer_integration import gateway_records, settlement
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	REFUSED,
	CheckoutCase,
	page_state,
	records_for,
	reset_rate_limits,
)
from stancer_integration.tests.helpers import (
	COMPANY,
	come_back,
	make_company,
	make_customer,
	make_item,
	make_price_list,
	make_settings,
	make_user,
	on_server,
	pay_on_page,
	web_server,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]

PAY = "/api/method/erpnext.accounts.doctype.payment_request.payment_request.make_payment_request"
ITEM = "Shop Stancer Mug"
PASSWORD = "Shop-Stancer-Pass-9!"
BUYER, BUYER_USER = "Shop Buyer Alice", "shop-alice@example.org"
OTHER, OTHER_USER = "Shop Buyer Bob", "shop-bob@example.org"
SHOP_SETTINGS = (
	"enabled",
	"company",
	"price_list",
	"enable_checkout",
	"payment_gateway_account",
	"payment_success_url",
	"allow_items_not_in_stock",
	"show_price",
	"default_customer_group",
)


def make_shopper(customer, user):
	"""A portal user (role Customer) whose Contact links them to `customer`, with an address."""
	make_customer(customer, email=user)
	make_user(user, ["Customer"])
	frappe.get_doc("User", user).update({"new_password": PASSWORD}).save(ignore_permissions=True)
	if not frappe.db.exists("Contact", {"email_id": user}):
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": customer,
				"user": user,
				"email_ids": [{"email_id": user, "is_primary": 1}],
				"links": [{"link_doctype": "Customer", "link_name": customer}],
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Dynamic Link", {"parenttype": "Address", "link_name": customer}):
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": customer,
				"address_type": "Billing",
				"address_line1": "1 rue de la Paix",
				"city": "Paris",
				"country": "France",
				"links": [{"link_doctype": "Customer", "link_name": customer}],
			}
		).insert(ignore_permissions=True)


def make_shop_item(price_list):
	from webshop.webshop.doctype.website_item.website_item import make_website_item

	make_item(ITEM)
	if not frappe.db.exists("Website Item", {"item_code": ITEM}):
		make_website_item(frappe.get_doc("Item", ITEM), save=True)
	frappe.db.set_value("Website Item", {"item_code": ITEM}, "published", 1)
	if not frappe.db.exists("Item Price", {"item_code": ITEM, "price_list": price_list}):
		frappe.get_doc(
			{"doctype": "Item Price", "item_code": ITEM, "price_list": price_list, "price_list_rate": 42}
		).insert(ignore_permissions=True)


@contextmanager
def shop_selling_through(settings, price_list):
	"""Webshop Settings (one document for the site) selling through `settings` at `price_list`,
	put back as they were afterwards."""
	shop = frappe.get_single("Webshop Settings")
	saved = {field: shop.get(field) for field in SHOP_SETTINGS}
	shop.update(
		{
			"enabled": 1,
			"company": COMPANY,
			"price_list": price_list,
			"enable_checkout": 1,
			"payment_gateway_account": settings.payment_gateway_account,
			"payment_success_url": "",
			"allow_items_not_in_stock": 1,
			"show_price": 1,
			"default_customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}),
		}
	)
	shop.save(ignore_permissions=True)
	frappe.db.commit()
	try:
		yield
	finally:
		shop = frappe.get_single("Webshop Settings")
		shop.update(saved)
		shop.flags.ignore_mandatory = True
		shop.save(ignore_permissions=True)
		frappe.db.commit()


class ShopCase(CheckoutCase):
	"""A shop selling through Stancer Settings "Shop Checkout", and two shoppers."""

	@classmethod
	def setUpClass(cls):
		# CheckoutCase's steps, not its set-up: its "E2E" settings are other modules' (new keys
		# there would flag their open payments while they run on the same site).
		super(CheckoutCase, cls).setUpClass()
		make_company()
		cls.shop = make_settings("Shop Checkout")
		price_list = make_price_list("EUR")
		make_shop_item(price_list)
		make_shopper(BUYER, BUYER_USER)
		make_shopper(OTHER, OTHER_USER)
		cls.enterClassContext(shop_selling_through(cls.shop, price_list))
		update_site_config("stancer_rate_limit", 100000)
		frappe.db.commit()
		web_server()

	def setUp(self):
		reset_rate_limits()

	# -- what a shopper's browser does ---------------------------------------------------------

	def browser(self, user=None):
		session = requests.Session()
		if user:
			answer = session.post(
				on_server("/api/method/login"), data={"usr": user, "pwd": PASSWORD}, timeout=60
			)
			self.assertEqual(answer.status_code, 200, answer.text[:300])
		return session

	def call(self, session, method, **data):
		answer = session.post(on_server(f"/api/method/{method}"), data=data, timeout=120)
		self.assertEqual(answer.status_code, 200, answer.text[:1500])
		return answer.json().get("message")

	def place_order(self, session):
		"""Add to Cart, open the cart (which picks the address), Place Order: the Sales Order."""
		cart = "webshop.webshop.shopping_cart.cart"
		self.call(session, f"{cart}.update_cart", item_code=ITEM, qty=1)
		self.call(session, f"{cart}.get_cart_quotation")
		order = self.call(session, f"{cart}.place_order")
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("Sales Order", order, "order_type"), "Shopping Cart")
		return order

	def press_pay(self, session, order):
		"""The order page's Pay button, as webshop's order.html writes it."""
		query = {"dn": order, "dt": "Sales Order", "submit_doc": 1, "order_type": "Shopping Cart"}
		return session.get(on_server(PAY), params=query, allow_redirects=False, timeout=120)

	def pay_order(self, session, order, card="4242424242424242"):
		"""Pay → our link → the hosted page → our return page: (return address, its answer)."""
		pressed = self.press_pay(session, order)
		self.assertEqual(pressed.status_code, 302, pressed.text[:1500])
		link = pressed.headers["Location"]
		self.assertIn("/stancer_checkout?token=", link)
		opened = session.get(on_server(link), allow_redirects=False, timeout=60)
		self.assertEqual(opened.status_code, 302, page_state(opened))
		back = pay_on_page(opened.headers["Location"], card)
		self.assertTrue(back and "/stancer_return?ref=" in back, back)
		answer = come_back(back, session=session)
		frappe.db.commit()
		return back, answer

	def request_of(self, order):
		names = frappe.get_all(
			"Payment Request",
			filters={"reference_doctype": "Sales Order", "reference_name": order, "docstatus": 1},
			pluck="name",
		)
		self.assertEqual(len(names), 1, names)
		return frappe.get_doc("Payment Request", names[0])

	def assertShopOrderPaidOnce(self, order):
		"""One Payment Entry, keyed on the Stancer id, now against webshop's invoice; the
		request Paid; the record Paid, not flagged, pointing at that entry."""
		pr = self.request_of(order)
		self.assertEqual(pr.status, "Paid")
		paid = [r for r in records_for(pr.name) if r.outcome == "Paid"]
		self.assertEqual(len(paid), 1, records_for(pr.name))
		record = paid[0]
		self.assertFalse(record.needs_attention, record.attention_reason)
		entries = frappe.get_all(
			"Payment Entry",
			filters={"party": BUYER, "docstatus": 1, "reference_no": record.stancer_id},
			pluck="name",
		)
		self.assertEqual(entries, [record.payment_entry])
		invoices = frappe.get_all(
			"Sales Invoice Item",
			filters={"sales_order": order, "docstatus": 1},
			pluck="parent",
			distinct=True,
		)
		self.assertEqual(len(invoices), 1, invoices)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoices[0], "outstanding_amount"), 0)
		# Every submitted entry of this shopper touching the order or its invoice is that one.
		touching = frappe.get_all(
			"Payment Entry Reference",
			filters={"docstatus": 1, "reference_name": ("in", [order, invoices[0]])},
			pluck="parent",
			distinct=True,
		)
		self.assertEqual(touching, [record.payment_entry])
		return pr, record


class TestShop(ShopCase):
	def test_shop_order_paid_once(self):
		shopper = self.browser(BUYER_USER)
		order = self.place_order(shopper)
		back, answer = self.pay_order(shopper, order)
		self.assertEqual(answer.status_code, 302, page_state(answer))
		location = answer.headers["Location"]
		self.assertIn("/stancer_paid?", location)
		# Back on the shop's order page after the success page.
		redirect_to = parse_qs(urlsplit(location).query).get("redirect_to", [""])[0]
		self.assertIn(f"/orders/{order}", redirect_to)
		pr, record = self.assertShopOrderPaidOnce(order)
		self.assertEqual(frappe.db.get_value("Sales Order", order, "per_billed"), 100)
		# The entry webshop made is the one adopted: ERPNext moved it onto the invoice.
		rows = frappe.get_all(
			"Payment Entry Reference",
			filters={"parent": record.payment_entry},
			fields=["reference_doctype", "payment_request"],
		)
		self.assertEqual({r.reference_doctype for r in rows}, {"Sales Invoice"})

		# The return page hit again (a reload, the back button): nothing more is booked.
		versions = frappe.db.count("Version", {"ref_doctype": "Stancer Payment", "docname": record.name})
		again = come_back(back, session=shopper)
		frappe.db.commit()
		self.assertEqual(again.status_code, 302, page_state(again))
		self.assertIn("/stancer_paid?", again.headers["Location"])
		self.assertShopOrderPaidOnce(order)
		self.assertEqual(
			frappe.db.count("Version", {"ref_doctype": "Stancer Payment", "docname": record.name}), versions
		)
		# Webshop still shows Pay on the paid order: pressing it asks for nothing more.
		pressed = self.press_pay(shopper, order)
		self.assertEqual(pressed.status_code, 417, pressed.text[:500])
		self.assertIn("nothing left to pay", pressed.text)
		frappe.db.commit()
		self.assertEqual(self.request_of(order).name, pr.name)
		self.assertShopOrderPaidOnce(order)

	def test_entry_adopted_however_it_is_re_pointed(self):
		"""Another version of ERPNext or webshop may key the entry its hook makes on something
		else than the request and move it elsewhere: it is still found, adopted and keyed on the
		Stancer id, and no second entry is made. (The recording runs in this process, so the
		hook can be wrapped; the payment is made at the sandbox through the pages.)"""
		shopper = self.browser(BUYER_USER)
		order = self.place_order(shopper)
		pressed = self.press_pay(shopper, order)
		opened = shopper.get(on_server(pressed.headers["Location"]), allow_redirects=False, timeout=60)
		pay_on_page(opened.headers["Location"], "4242424242424242")  # paid; not back yet
		frappe.db.commit()
		pr = self.request_of(order)
		[record] = records_for(pr.name)
		original = settlement.run_payment_authorized_hooks

		def hook_that_re_keys(pr, stancer_id):
			redirect_to = original(pr, stancer_id)
			for entry in frappe.get_all(
				"Payment Entry", filters={"party": BUYER, "reference_no": pr.name}, pluck="name"
			):
				frappe.db.set_value("Payment Entry", entry, "reference_no", "WEB-ORDER-" + order)
				frappe.db.set_value("Payment Entry Reference", {"parent": entry}, "payment_request", None)
			return redirect_to

		with patch.object(settlement, "run_payment_authorized_hooks", hook_that_re_keys):
			result = settlement.sync_record(record.name)
		frappe.db.commit()
		self.assertEqual(result.outcome, "Paid")
		self.assertTrue(result.payment_entry)
		self.assertShopOrderPaidOnce(order)

	def test_refused_card_then_pay_again_from_the_order_page(self):
		shopper = self.browser(BUYER_USER)
		order = self.place_order(shopper)
		_back, answer = self.pay_order(shopper, order, card=REFUSED)
		self.assertIn('data-state="failed"', answer.text)
		# Pay pressed again on the order page: the same request, a new attempt, paid once.
		_back, answer = self.pay_order(shopper, order)
		self.assertEqual(answer.status_code, 302, page_state(answer))
		pr, _record = self.assertShopOrderPaidOnce(order)
		self.assertEqual([r.outcome for r in records_for(pr.name)], ["Failed", "Paid"])

	def test_presses_on_pay_at_once_make_one_request(self):
		"""A double click (four, here): one Payment Request, every press sent to its link."""
		from concurrent.futures import ThreadPoolExecutor

		from stancer_integration import payment_links

		shopper = self.browser(BUYER_USER)
		order = self.place_order(shopper)
		with ThreadPoolExecutor(max_workers=4) as pool:
			pressed = list(pool.map(lambda _: self.press_pay(self.browser(BUYER_USER), order), range(4)))
		frappe.db.commit()
		self.assertEqual({answer.status_code for answer in pressed}, {302}, [a.text[:300] for a in pressed])
		requests_made = frappe.get_all(
			"Payment Request", filters={"reference_name": order, "docstatus": 1}, pluck="name"
		)
		self.assertEqual(len(requests_made), 1, requests_made)
		named = {payment_links.read_link(answer.headers["Location"]) for answer in pressed}
		self.assertEqual(named, set(requests_made))

	def test_pay_for_another_customers_order_is_refused(self):
		order = self.place_order(self.browser(BUYER_USER))
		answer = self.press_pay(self.browser(OTHER_USER), order)
		self.assertEqual(answer.status_code, 403, answer.text[:500])
		self.assertFalse(frappe.db.exists("Payment Request", {"reference_name": order}))

	def test_guest_pay_is_refused(self):
		order = self.place_order(self.browser(BUYER_USER))
		answer = self.press_pay(self.browser(), order)
		self.assertEqual(answer.status_code, 403, answer.text[:500])
		self.assertFalse(frappe.db.exists("Payment Request", {"reference_name": order}))

	def test_shop_gateway_other_than_stancer_is_left_to_erpnext(self):
		"""With the shop set to another gateway, a shopper's Pay is ERPNext's, refused as before."""
		other = (
			frappe.get_doc({"doctype": "Payment Gateway", "gateway": "Shop Other Gateway"})
			if not frappe.db.exists("Payment Gateway", "Shop Other Gateway")
			else None
		)
		if other:
			other.insert(ignore_permissions=True)
		account = frappe.db.get_value("Payment Gateway Account", {"payment_gateway": "Shop Other Gateway"})
		if not account:
			account = (
				frappe.get_doc(
					{
						"doctype": "Payment Gateway Account",
						"payment_gateway": "Shop Other Gateway",
						"company": COMPANY,
						"payment_account": self.shop.payment_account
						or frappe.db.get_value(
							"Payment Gateway Account", self.shop.payment_gateway_account, "payment_account"
						),
					}
				)
				.insert(ignore_permissions=True)
				.name
			)
		frappe.db.set_single_value("Webshop Settings", "payment_gateway_account", account)
		frappe.db.commit()
		try:
			order = self.place_order(self.browser(BUYER_USER))
			answer = self.press_pay(self.browser(BUYER_USER), order)
			self.assertEqual(answer.status_code, 403, answer.text[:500])
			self.assertFalse(frappe.db.exists("Payment Request", {"reference_name": order}))
		finally:
			frappe.db.set_single_value(
				"Webshop Settings", "payment_gateway_account", self.shop.payment_gateway_account
			)
			frappe.db.commit()

	def test_mode_of_payment_on_entries(self):
		mode = gateway_records.mode_of_payment_name(self.shop.name)
		account = frappe.db.get_value(
			"Payment Gateway Account", self.shop.payment_gateway_account, "payment_account"
		)
		self.assertEqual(
			frappe.db.get_value(
				"Mode of Payment Account", {"parent": mode, "company": COMPANY}, "default_account"
			),
			account,
		)
		shopper = self.browser(BUYER_USER)
		order = self.place_order(shopper)
		self.pay_order(shopper, order)
		_pr, record = self.assertShopOrderPaidOnce(order)
		self.assertEqual(frappe.db.get_value("Payment Entry", record.payment_entry, "mode_of_payment"), mode)
		# An entry the app makes itself (a Payment Request from Desk) carries it too.
		pr = self.new_request(settings=self.shop, customer=BUYER)
		self.pay(pr)
		desk_record = self.assertPaidOnce(pr)
		self.assertEqual(
			frappe.db.get_value("Payment Entry", desk_record.payment_entry, "mode_of_payment"), mode
		)
