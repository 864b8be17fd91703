# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""Many customers paying different requests at the same moment, on two sites served by the same
gunicorn processes (Frappe's production server), each site with its own Stancer account: every
return page answers, every payment is booked once, nothing deadlocks into an error.

The second site is named by `stancer_second_site` in this site's config (a site of the same
bench with erpnext, payments and this app); without it the test is skipped, saying so."""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import frappe
from frappe.tests.utils import FrappeTestCase

from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	SUCCESS,
	entries_for,
)
from stancer_integration.tests.helpers import (
	Gunicorn,
	make_company,
	make_customer,
	make_payment_request,
	make_sales_order,
	make_settings,
	pay_on_page,
	sandbox,
	scheduler_on_for,
	wait_for_recording,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]
PER_SITE = 6
WORKERS = 4


def bench_execute(site, method, **kwargs):
	answer = subprocess.run(
		[
			sys.executable,
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"--site",
			site,
			"execute",
			method,
			"--kwargs",
			json.dumps(kwargs),
		],
		cwd=os.path.abspath(frappe.local.sites_path),
		capture_output=True,
		text=True,
		timeout=600,
	)
	if answer.returncode:
		raise RuntimeError(f"{method} on {site} failed:\n{answer.stderr[-3000:]}")
	return json.loads(answer.stdout.strip().splitlines()[-1])


class TestManyCustomers(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		scheduler_on_for(cls)

	def test_twelve_customers_on_two_sites_at_once(self):
		second = frappe.conf.get("stancer_second_site")
		if not second:
			self.skipTest("no second site: set stancer_second_site in this site's config to run it")
		try:
			import gunicorn  # noqa: F401
		except ImportError:
			self.skipTest("gunicorn is not installed in this bench")
		make_company()
		settings = make_settings("Load First Site")
		make_customer("Stancer Load Buyer", email="load@example.org")
		mine = []
		for number in range(PER_SITE):
			pr = make_payment_request(make_sales_order("Stancer Load Buyer", 10 + number), settings)
			mine.append({"name": pr.name, "url": pr.get_payment_url()})
		frappe.db.commit()
		keys = sandbox().create_account()
		theirs = bench_execute(
			second,
			"stancer_integration.tests.load_site.prepare",
			count=PER_SITE,
			api_base_url=sandbox().url,
			public_key=keys["public_key"],
			secret_key=keys["secret_key"],
		)
		customers = [(frappe.local.site, r) for r in mine] + [(second, r) for r in theirs]
		server = Gunicorn(workers=WORKERS)
		try:
			answers = self.pay_all_at_once(server, customers)
		finally:
			server.stop()
		frappe.db.commit()
		self.assertEqual(
			[a.status_code for a in answers],
			[302] * len(customers),
			[a.text[:300] for a in answers if a.status_code != 302],
		)
		for answer in answers:
			self.assertIn("/stancer_paid?", answer.headers["Location"])
		for request in mine:
			self.assertEqual(frappe.db.get_value("Payment Request", request["name"], "status"), "Paid")
			self.assertEqual(len(entries_for(request["name"])), 1)
		expected = {r["name"]: {"status": "Paid", "entries": 1} for r in theirs}
		for _ in range(10):
			found = bench_execute(
				second, "stancer_integration.tests.load_site.outcome", names=[r["name"] for r in theirs]
			)
			if found == expected:
				break
			time.sleep(1)
		self.assertEqual(found, expected)

	def pay_all_at_once(self, server, customers):
		"""Each customer opens the link, pays, and comes back; the returns all start together."""
		together = threading.Barrier(len(customers))

		def customer(site_and_request):
			site, request = site_and_request
			opened = server.get(site, request["url"])
			self.assertEqual(opened.status_code, 302, opened.text[:300])
			back = pay_on_page(opened.headers["Location"], SUCCESS)
			together.wait(timeout=300)
			return server.get(site, back), site, back

		this_site = frappe.local.site  # frappe.local is the test thread's only
		with ThreadPoolExecutor(max_workers=len(customers)) as pool:
			done = list(pool.map(customer, customers))
		for _answer, site, back in done:
			if site == this_site:
				wait_for_recording(back)  # booked after the answer; the other site's is polled
		return [answer for answer, _site, _back in done]
