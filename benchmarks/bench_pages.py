"""A customer's click under gunicorn (Frappe's production server), against `/api/method/ping`.

Runs inside a bench (frappe, the app on a site, gunicorn installed):

    cd /path/to/frappe-bench/sites
    ../env/bin/python /path/to/stancer_integration/benchmarks/bench_pages.py --site SITE [--rounds 30]

In one run, with 2 gunicorn workers: the median of `GET /api/method/ping`, of a forged link's 404,
of a working link's redirect to Stancer's page (a new Payment Request each round, so each
makes a Stancer payment on the sandbox, which runs in this process), and of the return
address's redirect to the success page once the customer paid on the sandbox's page: the first
one reads the payment from Stancer and answers, booking it (ERPNext's Payment Entry) after the
answer, whose end is timed too (seen in the database); a second one (a reload, or a webhook came
first) finds it booked. Goals: the redirects at most 3× ping, the
forged link at most 2× ping. It commits documents: use a test site.
"""

import statistics
import time
from urllib.parse import urlsplit

import frappe
import requests
from on_site import run_on_site


def run(rounds):
	from frappe.installer import update_site_config

	from stancer_integration.tests import helpers

	helpers.make_company()
	settings = helpers.make_settings("Bench Pages")
	buyer = helpers.make_customer("Stancer Bench Buyer", email="bench@example.org")
	links = [
		helpers.make_payment_request(helpers.make_sales_order(buyer, 10), settings).get_payment_url()
		for _ in range(rounds)
	]
	frappe.db.commit()
	limit = frappe.conf.get("stancer_rate_limit")
	update_site_config("stancer_rate_limit", 100000)  # one address opens far more links than a customer
	server = helpers.Gunicorn(workers=2)
	site = {"X-Frappe-Site-Name": frappe.local.site}

	def timed(path, keep=False):
		start = time.perf_counter()
		answer = requests.get(server.url + path, headers=site, allow_redirects=False, timeout=60)
		return time.perf_counter() - start, answer if keep else answer.status_code

	try:
		for _ in range(5):  # warm the workers up
			timed("/api/method/ping")
			timed("/stancer_checkout?token=forged")
		ping = [timed("/api/method/ping") for _ in range(rounds)]
		forged = [timed("/stancer_checkout?token=forged") for _ in range(rounds)]
		# One kind of click at a time, so no kind's work (a booking) weighs on another's figure.
		opened = [timed(urlsplit(link).path + "?" + urlsplit(link).query, keep=True) for link in links]
		redirect = [(spent, answer.status_code) for spent, answer in opened]
		paid = [
			urlsplit(helpers.pay_on_page(answer.headers["Location"], "4242424242424242"))
			for _, answer in opened
		]
		returns, booked = [], []
		for back in paid:
			# A customer's click on a server not busy with another's: the booking the previous
			# return does after its answer is waited for, outside the timing.
			start = time.perf_counter()
			returns.append(timed(back.path + "?" + back.query))
			helpers.wait_for_recording(back.path + "?" + back.query)
			booked.append((time.perf_counter() - start, 302))
		again = [timed(back.path + "?" + back.query) for back in paid]
	finally:
		server.stop()
		update_site_config("stancer_rate_limit", limit)
	assert {code for _, code in ping} == {200}
	assert {code for _, code in forged} == {404}
	assert {code for _, code in redirect} == {302}
	assert {code for _, code in returns} == {302}
	assert {code for _, code in again} == {302}

	def ms(values):
		return statistics.median(spent for spent, _ in values) * 1000

	print(f"GET /api/method/ping, median: {ms(ping):.1f} ms")
	print(f"forged link (404), median: {ms(forged):.1f} ms, {ms(forged) / ms(ping):.1f}x ping (goal <= 2)")
	print(
		f"working link (302), median: {ms(redirect):.1f} ms, {ms(redirect) / ms(ping):.1f}x ping (goal <= 3)"
	)
	print(
		f"return after paying (302, booked after the answer), median: {ms(returns):.1f} ms, {ms(returns) / ms(ping):.1f}x ping (goal <= 3)"
	)
	print(f"  its booking seen in the database, from the click, median: {ms(booked):.1f} ms")
	print(
		f"return once booked (302), median: {ms(again):.1f} ms, {ms(again) / ms(ping):.1f}x ping (goal <= 3)"
	)


if __name__ == "__main__":
	run_on_site(__doc__, run, rounds=30)
