"""The app's own time to answer a checkout link, sandbox time subtracted.

Runs inside a bench (it needs frappe and a site with the app installed):

    cd /path/to/frappe-bench/sites
    ../env/bin/python /path/to/stancer_integration/benchmarks/bench_checkout.py --site SITE [--rounds 30]

Each round opens a new Payment Request's link (the full first-click path: a Stancer payment is
created) twice over: through the app's handler in this process, as a guest, and through a real
web server (`frappe serve`), as a browser. In the same run it times, on their own, the Stancer
call that path makes once the customer is known (the payment creation) against the sandbox, and a trivial
request to the web server. The app's own time is the handler's median minus the Stancer median
(goal: under 50 ms). It commits documents: use a test site.
"""

import statistics
import time

import frappe
import requests
from on_site import run_on_site


def run(rounds):
	from stancer_integration import checkout, payment_links
	from stancer_integration.site_references import customer_external_id
	from stancer_integration.tests import helpers

	helpers.make_company()
	settings = helpers.make_settings("Bench Checkout")
	buyer = helpers.make_customer("Stancer Bench Buyer", email="bench@example.org")
	base = helpers.web_server()
	client = settings.get_client()

	def new_request():
		pr = helpers.make_payment_request(helpers.make_sales_order(buyer, 12.5), settings)
		frappe.db.commit()
		return pr

	def timed(call):
		start = time.perf_counter()
		result = call()
		return time.perf_counter() - start, result

	# Warm up both paths: module imports, caches, the Stancer customer.
	warm = new_request().name
	checkout.open_link(warm, payment_links.make_token(warm))
	customer_id = client.customers.find_by_external_id(customer_external_id(buyer))["id"]
	requests.get(helpers.on_server(new_request().get_payment_url()), allow_redirects=False, timeout=60)

	handler, over_http, stancer, ping = [], [], [], []
	for _ in range(rounds):
		# The app's handler, in this process, as a guest opening a new link.
		name = new_request().name
		token = payment_links.make_token(name)
		frappe.set_user("Guest")
		spent, result = timed(lambda name=name, token=token: checkout.open_link(name, token))
		frappe.set_user("Administrator")
		assert result.state == "redirect", result
		handler.append(spent)

		# The same path through the web server, as a browser sees it.
		url = helpers.on_server(new_request().get_payment_url())
		spent, answer = timed(lambda url=url: requests.get(url, allow_redirects=False, timeout=60))
		assert answer.status_code == 302, answer.text[:300]
		over_http.append(spent)

		# The Stancer call that path makes once the customer is known: the payment creation.
		spent, _ = timed(
			lambda: client.payments.create(
				amount=1250,
				currency="eur",
				description="Benchmark",
				order_id="bench",
				unique_id=frappe.generate_hash(length=20),
				three_d_secure=True,
				return_url="http://127.0.0.1/stancer_return?ref=bench",
				customer=customer_id,
			)
		)
		stancer.append(spent)
		spent, _ = timed(lambda: requests.get(f"{base}/api/method/ping", timeout=30))
		ping.append(spent)

	def ms(values):
		return statistics.median(values) * 1000

	print(f"rounds: {rounds}")
	print(f"Stancer (sandbox) payment creation, median: {ms(stancer):.1f} ms")
	print(f"checkout handler in-process, median: {ms(handler):.1f} ms")
	print(f"app's own time (handler - Stancer), median: {ms(handler) - ms(stancer):.1f} ms (goal < 50 ms)")
	print(f"checkout link over HTTP (frappe serve), median: {ms(over_http):.1f} ms")
	print(f"  of which the web server's floor (GET /api/method/ping), median: {ms(ping):.1f} ms")


if __name__ == "__main__":
	run_on_site(__doc__, run, rounds=30)
