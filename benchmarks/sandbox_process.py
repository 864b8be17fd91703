"""Run the sandbox in its own process for benchmarks, so client and server do not share a GIL."""

import os
import re
import subprocess
import sys
import time

import requests

SANDBOX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox")


class SandboxProcess:
	"""`python -m stancer_sandbox --port 0`; `.url` once it listens; stopped on exit."""

	def __init__(self, *args):
		self.args = args
		self.process = None
		self.url = None

	def __enter__(self):
		env = {
			**os.environ,
			"PYTHONUNBUFFERED": "1",
			"PYTHONPATH": SANDBOX + os.pathsep + os.environ.get("PYTHONPATH", ""),
		}
		self.process = subprocess.Popen(
			[sys.executable, "-m", "stancer_sandbox", "--port", "0", "--no-demo", *self.args],
			stdout=subprocess.PIPE,
			stderr=subprocess.STDOUT,
			text=True,
			env=env,
		)
		deadline = time.monotonic() + 30
		while time.monotonic() < deadline:
			line = self.process.stdout.readline()
			match = re.search(r"listening on (\S+)", line)
			if match:
				self.url = match.group(1)
				return self
			if not line and self.process.poll() is not None:
				break
		self.__exit__()
		raise RuntimeError("the sandbox did not start")

	def __exit__(self, *exc):
		if self.process and self.process.poll() is None:
			self.process.terminate()
			self.process.wait(timeout=10)

	def create_account(self):
		return requests.post(f"{self.url}/_sandbox/accounts", json={}, timeout=10).json()
