"""Client overhead: `StancerClient.payments.get(id)` against a bare `requests.Session().get(...)`.

    python benchmarks/bench_client.py [--calls 2000] [--rounds 10]

Both ask the same sandbox (in its own process, on loopback) for the same payment with the same
auth, and both decode the JSON (a caller needs the dict). Calls alternate in rounds so drift of
the machine hits both sides alike. Prints time per call and the ratio client / bare (goal ≤ 1.10).
"""

import argparse
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sandbox_process import SandboxProcess  # benchmarks/ is on sys.path when run as a script

from stancer_integration.stancer.client import StancerClient

BODY = {"amount": 2599, "currency": "eur", "description": "Client benchmark"}


def timed(call, count):
	started = time.perf_counter()
	for _ in range(count):
		call()
	return time.perf_counter() - started


def main(argv=None):
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--calls", type=int, default=2000, help="calls per side (bound)")
	parser.add_argument("--rounds", type=int, default=10, help="alternating rounds the calls are split into")
	args = parser.parse_args(argv)
	per_round = max(1, args.calls // args.rounds)
	with SandboxProcess() as server:
		keys = server.create_account()
		client = StancerClient(
			secret_key=keys["secret_key"], public_key=keys["public_key"], api_base=server.url
		)
		payment = client.payments.create(**BODY)
		payment_id = payment["id"]
		url = f"{server.url}/v2/payments/{payment_id}"
		session = requests.Session()
		auth = (keys["secret_key"], "")

		def bare():
			answer = session.get(url, auth=auth, timeout=(5, 30))
			answer.raise_for_status()
			return answer.json()

		def with_client():
			return client.payments.get(payment_id)

		assert bare()["id"] == with_client()["id"] == payment_id
		for _ in range(20):  # warm both paths
			bare()
			with_client()
		bare_total = client_total = 0.0
		for _ in range(args.rounds):
			bare_total += timed(bare, per_round)
			client_total += timed(with_client, per_round)
		calls = per_round * args.rounds
		bare_ms, client_ms = bare_total / calls * 1000, client_total / calls * 1000
		ratio = client_ms / bare_ms
		print(f"calls per side: {calls} in {args.rounds} alternating rounds, sandbox at {server.url}")
		print(f"  bare requests.Session().get  {bare_ms:7.3f} ms/call")
		print(f"  StancerClient.payments.get   {client_ms:7.3f} ms/call")
		print(
			f"  ratio client / bare          {ratio:7.3f}  (goal <= 1.10: {'OK' if ratio <= 1.10 else 'OVER'})"
		)
		client.close()
		session.close()
	return 0


if __name__ == "__main__":
	raise SystemExit(main())
