"""Sandbox benchmark: requests/second over loopback, and resident memory after N payments.

    python benchmarks/bench_sandbox.py [--requests 3000] [--seconds 10] [--payments 100000]

Loops are bounded in count and time, and only talk to 127.0.0.1. The memory part builds the
payments in-process through the WSGI app (full validation and page code, no sockets): each
payment is created by the API and paid on the hosted page, so it also holds a saved card.
"""

import argparse
import base64
import gc
import os
import sys
import threading
import time

import requests
from werkzeug.test import Client

# The sandbox's source in this checkout (sandbox/, package stancer_sandbox).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox"))

from sandbox_process import SandboxProcess  # benchmarks/ is on sys.path when run as a script

from stancer_sandbox.app import SandboxApp
from stancer_sandbox.engine import Engine

BODY = {
	"amount": 2599,
	"currency": "eur",
	"description": "Facture ACC-SINV-2026-00012",
	"return_url": "https://erp.example.org/api/method/stancer.return?ref=ACC-PRQ-2026-00031",
}


def rss_mb():
	with open("/proc/self/status") as handle:
		for line in handle:
			if line.startswith("VmRSS:"):
				return int(line.split()[1]) / 1024
	return float("nan")


def throughput(label, call, count, seconds, threads=1):
	"""Run `call` up to `count` times (split over threads) or `seconds`; print calls/second."""
	done = [0] * threads
	deadline = time.monotonic() + seconds

	def work(slot):
		for _ in range(count // threads):
			if time.monotonic() > deadline:
				break
			call()
			done[slot] += 1

	workers = [threading.Thread(target=work, args=(slot,)) for slot in range(threads)]
	started = time.perf_counter()
	for worker in workers:
		worker.start()
	for worker in workers:
		worker.join()
	elapsed = time.perf_counter() - started
	total = sum(done)
	print(
		f"  {label:<44} {total / elapsed:8.0f} req/s  ({total} calls, {elapsed:.2f} s, {threads} thread(s))"
	)
	return total / elapsed


def bench_http(count, seconds):
	print("HTTP over loopback (sandbox in its own process; werkzeug opens a connection per request)")
	with SandboxProcess() as server:
		keys = server.create_account()
		auth = (keys["secret_key"], "")
		local = threading.local()

		def session():
			if not hasattr(local, "session"):
				local.session = requests.Session()
				local.session.auth = auth
			return local.session

		payment = session().post(f"{server.url}/v2/payments/", json=BODY, timeout=5).json()
		get_url = f"{server.url}/v2/payments/{payment['id']}"

		def get():
			assert session().get(get_url, timeout=5).status_code == 200

		def create():
			assert session().post(f"{server.url}/v2/payments/", json=BODY, timeout=5).status_code == 200

		def listing():
			assert (
				session().get(f"{server.url}/v2/payments/", params={"limit": 10}, timeout=5).status_code
				== 200
			)

		throughput("GET /v2/payments/{id}", get, count, seconds)
		throughput("POST /v2/payments/", create, count, seconds)
		throughput("GET /v2/payments/?limit=10", listing, count, seconds)
		throughput("GET /v2/payments/{id}", get, count, seconds, threads=4)


def bench_memory(payments):
	print(f"Resident memory after {payments:,} payments (created by the API and paid on the page)")
	gc.collect()
	before = rss_mb()
	engine = Engine()
	client = Client(SandboxApp(engine))
	keys = engine.create_account()
	headers = {"Authorization": "Basic " + base64.b64encode(f"{keys['secret_key']}:".encode()).decode()}
	card = {"number": "4242424242424242", "exp": "12/34", "cvc": "123"}
	started = time.perf_counter()
	for index in range(payments):
		body = {**BODY, "order_id": f"ACC-PRQ-2026-{index:08d}", "unique_id": f"ACC-PRQ-2026-{index:08d}-1"}
		answer = client.post("/v2/payments/", json=body, headers=headers)
		page = client.post(f"/{keys['public_key']}/{answer.json['id']}", data=card)
		assert page.status_code == 303
		# The log of API calls is bounded (10,000 entries): part of the figure, not growing past it.
	elapsed = time.perf_counter() - started
	gc.collect()
	after = rss_mb()
	print(f"  process RSS before: {before:7.1f} MB")
	print(
		f"  process RSS after:  {after:7.1f} MB  (+{after - before:.1f} MB, "
		f"{(after - before) * 1024 * 1024 / payments:.0f} bytes per paid payment)"
	)
	print(f"  built in {elapsed:.1f} s ({payments / elapsed:.0f} payments+page per second, in-process)")
	return after


def main(argv=None):
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--requests", type=int, default=3000, help="calls per HTTP measure (bound)")
	parser.add_argument("--seconds", type=float, default=10.0, help="time bound per HTTP measure")
	parser.add_argument("--payments", type=int, default=100_000, help="payments for the memory measure")
	parser.add_argument("--skip-http", action="store_true")
	parser.add_argument("--skip-memory", action="store_true")
	args = parser.parse_args(argv)
	if not args.skip_http:
		bench_http(args.requests, args.seconds)
	if not args.skip_memory:
		after = bench_memory(args.payments)
		print(f"  goal: under 300 MB resident -> {'OK' if after < 300 else 'OVER'}")


if __name__ == "__main__":
	main()
