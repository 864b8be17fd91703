"""The webhook endpoint against `/api/method/ping`, and the reconciliation of many open payments.

Runs inside a bench (it needs frappe and a site with the app installed, gunicorn installed):

    cd /path/to/frappe-bench/sites
    ../env/bin/python /path/to/stancer_integration/benchmarks/bench_webhooks.py --site SITE \
        [--rounds 200] [--open 1000]

1. Webhook latency: under gunicorn (4 workers), in one run, each round POSTs a new signed delivery
   to the endpoint and GETs `/api/method/ping`; reported as medians and their ratio (goal ≤ 1.5).
2. Reconciliation: `--open` payments made at the sandbox and left open (Pending), with their
   records; one reconciliation run reads them all. Reported: its time, the Stancer calls it made
   per open payment (from the sandbox's request log; goal one), and the peak Python memory of
   the run (tracemalloc) for a tenth of them and for all of them (goal: flat).
It commits documents: use a test site.
"""

import json
import statistics
import time
import tracemalloc
from datetime import timedelta

import frappe
import requests
from on_site import run_on_site


def run(rounds, open):
	webhook_latency(rounds)
	for count in (max(1, open // 10), open):
		reconciliation_run(count)


def webhook_latency(rounds):
	from stancer_integration import webhooks
	from stancer_integration.stancer import signatures
	from stancer_integration.tests import helpers

	helpers.make_company()
	settings = helpers.make_settings("Bench Webhooks")
	frappe.db.commit()
	webhooks.register(settings, base_url="http://127.0.0.1:1")  # a signing secret, no deliveries
	frappe.db.commit()
	settings.reload()
	signing = settings.get_password("webhook_signing_secret")
	server = helpers.Gunicorn()
	site = {"X-Frappe-Site-Name": frappe.local.site}
	url = webhooks.endpoint_url(settings, base_url=server.url)
	endpoint, ping = [], []
	try:
		for number in range(rounds + 10):
			body = json.dumps(
				{
					"id": f"evt_bench_{frappe.generate_hash(length=12)}",
					"type": "payment.updated",
					"data": {"object": {"id": "paym_bench" + str(number)}},
				}
			).encode()
			headers = dict(
				site,
				**{"Content-Type": "application/json", signatures.HEADER: signatures.sign(signing, body)},
			)
			start = time.perf_counter()
			answer = requests.post(url, data=body, headers=headers, timeout=30)
			spent = time.perf_counter() - start
			assert answer.status_code == 200, answer.text[:300]
			start = time.perf_counter()
			requests.get(f"{server.url}/api/method/ping", headers=site, timeout=30).raise_for_status()
			if number >= 10:  # the first ones warm the workers up
				endpoint.append(spent)
				ping.append(time.perf_counter() - start)
	finally:
		server.stop()
	e, p = statistics.median(endpoint) * 1000, statistics.median(ping) * 1000
	print(f"webhook endpoint under gunicorn, median of {rounds}: {e:.1f} ms")
	print(f"/api/method/ping, same run, median: {p:.1f} ms")
	print(f"ratio endpoint / ping: {e / p:.2f} (goal ≤ 1.5)")


def reconciliation_run(count):
	from stancer_integration import reconciliation
	from stancer_integration.settlement import RECORD
	from stancer_integration.tests import helpers

	settings = helpers.make_settings(f"Bench Reconcile {count}")
	helpers.make_customer("Stancer Bench Buyer", email="bench@example.org")
	pr = helpers.make_payment_request(helpers.make_sales_order("Stancer Bench Buyer", 12.5), settings)
	frappe.db.commit()
	run = frappe.generate_hash(length=8)
	with settings.get_client() as client:
		for number in range(count):
			payment = client.payments.create(
				amount=1250, currency="eur", order_id=pr.name, unique_id=f"bench-{run}-{number}"
			)
			record = frappe.get_doc(
				{
					"doctype": RECORD,
					"payment_request": pr.name,
					"stancer_settings": settings.name,
					"mode": settings.mode,
					"public_key": settings.public_key,
					"amount": 12.5,
					"currency": "EUR",
					"amount_minor": 1250,
					"unique_id": payment["unique_id"],
					"stancer_id": payment["id"],
					"outcome": "Pending",
				}
			)
			record.name = payment["unique_id"]
			record.set_user_and_timestamp()
			record.last_checked = frappe.utils.now_datetime() - timedelta(minutes=1)
			record.db_insert()
	frappe.db.commit()
	log = f"{helpers.sandbox().url}/_sandbox/requests"
	account = settings.flags.sandbox_account
	calls_before = len(requests.get(log, params={"account": account}, timeout=30).json()["requests"])
	tracemalloc.start()
	start = time.perf_counter()
	found = reconciliation.reconcile(settings, min_age=timedelta(0))
	spent = time.perf_counter() - start
	_, peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	calls = len(requests.get(log, params={"account": account}, timeout=30).json()["requests"]) - calls_before
	assert found["read"] == count, found
	print(
		f"reconciliation of {count} open payments: {spent:.2f} s ({spent / count * 1000:.1f} ms each), "
		f"{calls / count:.3f} Stancer calls per payment ({calls} calls), peak Python memory {peak / 1e6:.1f} MB"
	)


if __name__ == "__main__":
	run_on_site(__doc__, run, rounds=200, open=1000)
