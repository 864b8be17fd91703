"""The app's own time to answer a checkout link, sandbox time subtracted.

Runs inside a bench (it needs frappe and a site with the app installed):

    cd /path/to/frappe-bench/sites
    ../env/bin/python /path/to/stancer_integration/benchmarks/bench_checkout.py --site SITE [--rounds 30]

For each round it makes a Payment Request, then times one GET of its checkout link on a real web
server (a new Stancer payment is made: the link's full first-click path) and, in the same run,
the Stancer calls that path makes (customer lookup + payment creation) directly against the
sandbox. It prints the medians and their difference (goal: under 50 ms). It commits documents:
use a test site.
"""

import argparse
import statistics
import time

import frappe
import requests


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--rounds", type=int, default=30)
	args = parser.parse_args()

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(args.rounds)
	finally:
		frappe.destroy()


def run(rounds):
	from stancer_integration.stancer.validation import stable_reference
	from stancer_integration.tests import helpers

	helpers.make_company()
	settings = helpers.make_settings(f"Bench {frappe.generate_hash(length=6)}")
	helpers.make_customer("Stancer Bench Buyer", email="bench@example.org")
	frappe.db.commit()
	helpers.web_server()
	client = settings.get_client()

	# Warm up: the first request loads modules and caches in the server.
	warm = helpers.make_payment_request(helpers.make_sales_order("Stancer Bench Buyer", 10), settings)
	frappe.db.commit()
	requests.get(helpers.on_server(warm.get_payment_url()), allow_redirects=False, timeout=60)

	link_times, stancer_times = [], []
	for _ in range(rounds):
		pr = helpers.make_payment_request(helpers.make_sales_order("Stancer Bench Buyer", 12.5), settings)
		frappe.db.commit()
		url = helpers.on_server(pr.get_payment_url())
		start = time.perf_counter()
		answer = requests.get(url, allow_redirects=False, timeout=60)
		link_times.append(time.perf_counter() - start)
		assert answer.status_code == 302, answer.text[:300]

		start = time.perf_counter()
		client.customers.find_by_external_id(stable_reference("Stancer Bench Buyer"))
		client.payments.create(
			amount=1250,
			currency="eur",
			description="Benchmark",
			order_id=pr.name,
			unique_id=frappe.generate_hash(length=20),
			three_d_secure=True,
			return_url="http://127.0.0.1/stancer_return?ref=bench",
		)
		stancer_times.append(time.perf_counter() - start)

	link, stancer = statistics.median(link_times), statistics.median(stancer_times)
	print(f"rounds: {rounds}")
	print(f"checkout link, median: {link * 1000:.1f} ms")
	print(f"Stancer (sandbox) calls, median: {stancer * 1000:.1f} ms")
	print(f"app's own time, median: {(link - stancer) * 1000:.1f} ms (goal < 50 ms)")


if __name__ == "__main__":
	main()
