"""Shared set-up for the bench tests: one local Stancer sandbox per test process, a French
company in EUR, and Stancer Settings pointing at the sandbox. No network beyond loopback."""

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import frappe
import requests

import stancer_integration


def find_sandbox():
	"""Make `stancer_sandbox` importable: a bench does not install it (only the `test` extra
	does), so take it from sandbox/ in the checkout the app runs from."""
	if importlib.util.find_spec("stancer_sandbox") is None:
		root = os.path.dirname(os.path.dirname(os.path.abspath(stancer_integration.__file__)))
		sys.path.insert(0, os.path.join(root, "sandbox"))


find_sandbox()

from stancer_sandbox import SandboxServer, shopper  # noqa: E402

COMPANY = "Stancer Test SAS"
COMPANY_ABBR = "STS"

_sandbox = None


def sandbox():
	"""The sandbox of this test process, started on first use on a free loopback port."""
	global _sandbox
	if _sandbox is None:
		_sandbox = SandboxServer(port=0).start()
	return _sandbox


def make_company(name=COMPANY, abbr=COMPANY_ABBR, currency="EUR", country="France"):
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": abbr,
				"default_currency": currency,
				"country": country,
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
	return name


def make_settings(gateway_name, company=COMPANY, keys=None, live=False, **fields):
	"""Stancer Settings on a fresh sandbox account (or the given keys).

	Settings left committed by an earlier run get the new keys: the sandbox forgets its
	accounts when it stops."""
	# The sandbox's page shows the company, as Stancer's shows the name the account is registered under.
	keys = keys or sandbox().create_account(live=live, name=company)
	values = dict(
		{
			"company": company,
			"public_key": keys["public_key"],
			"secret_key": keys["secret_key"],
		},
		**fields,
	)
	# A live key goes to Stancer only: live settings are made but never call out.
	values.setdefault("api_base_url", "https://api.stancer.com" if live else sandbox().url)
	if frappe.db.exists("Stancer Settings", gateway_name):
		doc = frappe.get_doc("Stancer Settings", gateway_name)
		doc.update(values)
		doc.save(ignore_permissions=True)
	else:
		doc = frappe.get_doc(dict(values, doctype="Stancer Settings", gateway_name=gateway_name))
		doc.insert(ignore_permissions=True)
	doc.flags.sandbox_account = keys.get("account_id")
	return doc


def make_user(email, roles):
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.add_roles(*roles)
	return email


def scheduler_on_for(case):
	"""Frappe's test runner turns the site's scheduler setting off (a running scheduler then does
	no work meanwhile); a merchant's site has it on, and the return page counts on it: a guest is
	answered before the booking only where the reconciliation runs. On for the class `case`, and
	put back as it was after it. No scheduler process runs during these tests."""
	was = frappe.db.get_single_value("System Settings", "enable_scheduler", cache=False)
	frappe.db.set_single_value("System Settings", "enable_scheduler", 1)
	frappe.db.commit()

	def back():
		frappe.db.set_single_value("System Settings", "enable_scheduler", was)
		frappe.db.commit()

	case.addClassCleanup(back)


# -- a real web server for end-to-end tests ----------------------------------------------------

_server = None


def free_port():
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def web_server():
	"""This site served by `frappe serve` (threaded werkzeug, as `bench serve`) on a free
	loopback port, for tests that go through the pages as a customer's browser does. Data the
	test process makes must be committed before the server can see it."""
	global _server
	if _server:
		return _server
	port = free_port()
	log = open(os.path.join(frappe.get_site_path("logs"), "stancer-test-server.log"), "ab")
	process = subprocess.Popen(
		[
			sys.executable,
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"--site",
			frappe.local.site,
			"serve",
			"--port",
			str(port),
			"--noreload",
		],
		cwd=os.path.abspath(frappe.local.sites_path),
		stdout=log,
		stderr=log,
	)
	atexit.register(process.terminate)
	url = f"http://127.0.0.1:{port}"
	deadline = time.monotonic() + 90
	while time.monotonic() < deadline:
		try:
			if requests.get(f"{url}/api/method/ping", timeout=2).status_code == 200:
				_server = url
				return url
		except requests.RequestException:
			pass
		if process.poll() is not None:
			break
		time.sleep(0.3)
	process.terminate()
	raise RuntimeError("The test web server did not start: see logs/stancer-test-server.log")


class Gunicorn:
	"""This bench's sites served by gunicorn (Frappe's production server) on a free loopback
	port; a request picks its site with the X-Frappe-Site-Name header."""

	def __init__(self, workers=4):
		self.port = free_port()
		self.url = f"http://127.0.0.1:{self.port}"
		log = open(os.path.join(frappe.get_site_path("logs"), "stancer-test-gunicorn.log"), "ab")
		self.process = subprocess.Popen(
			[
				sys.executable,
				"-m",
				"gunicorn",
				"--workers",
				str(workers),
				"--timeout",
				"120",
				"--bind",
				f"127.0.0.1:{self.port}",
				"frappe.app:application",
			],
			cwd=os.path.abspath(frappe.local.sites_path),
			stdout=log,
			stderr=log,
		)
		deadline = time.monotonic() + 90
		while time.monotonic() < deadline:
			try:
				headers = {"X-Frappe-Site-Name": frappe.local.site}
				if requests.get(f"{self.url}/api/method/ping", headers=headers, timeout=2).ok:
					return
			except requests.RequestException:
				pass
			time.sleep(0.3)
		self.stop()
		raise RuntimeError("gunicorn did not start: see logs/stancer-test-gunicorn.log")

	def get(self, site, url):
		"""The path and query of `url`, on gunicorn, for `site`."""
		parts = urlsplit(url)
		return requests.get(
			f"{self.url}{parts.path}?{parts.query}",
			headers={"X-Frappe-Site-Name": site},
			allow_redirects=False,
			timeout=180,
		)

	def stop(self):
		self.process.terminate()
		self.process.wait(30)


def on_server(url):
	"""The same path and query, on the test web server."""
	parts = urlsplit(url)
	return web_server() + parts.path + (f"?{parts.query}" if parts.query else "")


def pay_on_page(page_url, number, exp="12/34", cvc="123", threeds="authenticate"):
	"""Pay on the sandbox's hosted page as a customer would; return where it sends them."""
	return shopper.pay_on_page(page_url, number, exp=exp, cvc=cvc, threeds=threeds).headers.get("Location")


def come_back(url, session=None, **kwargs):
	"""The customer's browser back on a return address (redirect not followed), then what the
	server books after answering a guest (`wait_for_recording`); a fresh snapshot after."""
	answer = (session or requests).get(on_server(url), allow_redirects=False, timeout=120, **kwargs)
	if answer.status_code == 302:
		wait_for_recording(url)
	frappe.db.commit()
	return answer


def wait_for_recording(url, timeout=60):
	"""Until the attempt a return address names is no longer paid-and-unbooked: a guest is told
	"paid" before the server books it (payment_return.record_now_or_after_answer)."""
	ref = (parse_qs(urlsplit(url).query).get("ref") or [""])[0]
	deadline = time.monotonic() + timeout
	while True:
		frappe.db.commit()  # a fresh snapshot: see what the server committed
		name = frappe.db.exists("Stancer Payment", ref) or frappe.db.get_value(
			"Stancer Payment", {"unique_id": ref}, "name"
		)
		row = name and frappe.db.get_value(
			"Stancer Payment", name, ["outcome", "payment_entry", "needs_attention"], as_dict=True
		)
		if not row or row.payment_entry or row.needs_attention or row.outcome not in ("Pending", "Paid"):
			return row
		if time.monotonic() > deadline:
			raise AssertionError(f"{ref}: told paid, still not booked nor flagged after {timeout} s")
		time.sleep(0.02)


# -- sales documents -----------------------------------------------------------------------------


def make_customer(name, email=None, currency=None):
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}),
				"default_currency": currency,
				"email_id": email,
			}
		).insert(ignore_permissions=True)
	return name


def make_item(code="Stancer Test Service"):
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return code


def make_price_list(currency):
	name = f"Stancer {currency}"
	if not frappe.db.exists("Price List", name):
		frappe.get_doc(
			{
				"doctype": "Price List",
				"price_list_name": name,
				"currency": currency,
				"selling": 1,
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
	return name


def make_exchange_rate(from_currency, to_currency, rate):
	"""A stored rate, so ERPNext never asks a currency API on the network."""
	filters = {"from_currency": from_currency, "to_currency": to_currency, "date": frappe.utils.nowdate()}
	if not frappe.db.exists("Currency Exchange", filters):
		frappe.get_doc(
			dict(filters, doctype="Currency Exchange", exchange_rate=rate, for_selling=1, for_buying=1)
		).insert(ignore_permissions=True)


def make_sales_order(customer, rate, currency="EUR", company=COMPANY, conversion_rate=1.0):
	today = frappe.utils.nowdate()
	order = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company,
			"currency": currency,
			"conversion_rate": conversion_rate,
			"selling_price_list": make_price_list(currency),
			"price_list_currency": currency,
			"plc_conversion_rate": conversion_rate,
			"transaction_date": today,
			"delivery_date": today,
			"items": [{"item_code": make_item(), "qty": 1, "rate": rate, "delivery_date": today}],
		}
	)
	order.insert(ignore_permissions=True)
	order.submit()
	return order


def make_sales_invoice(customer, rate, company=COMPANY):
	today = frappe.utils.nowdate()
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"customer": customer,
			"company": company,
			"currency": "EUR",
			"selling_price_list": make_price_list("EUR"),
			"posting_date": today,
			"due_date": today,
			"items": [{"item_code": make_item(), "qty": 1, "rate": rate}],
		}
	)
	invoice.insert(ignore_permissions=True)
	invoice.submit()
	return invoice


def make_payment_request(order, settings, email="buyer@example.org", mute=True):
	from erpnext.accounts.doctype.payment_request.payment_request import make_payment_request as make

	return make(
		dt=order.doctype,
		dn=order.name,
		payment_gateway_account=settings.payment_gateway_account,
		recipient_id=email,
		submit_doc=1,
		mute_email=1 if mute else 0,
		return_doc=1,
	)
