"""Serving: TLS with a self-signed certificate, the CLI, the context manager, options."""

import os
import re
import subprocess
import sys
import time

import requests
import urllib3

from stancer_sandbox import SandboxServer
from stancer_sandbox.cli import parse_args

SANDBOX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox")


def test_tls_serving():
	urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
	with SandboxServer(port=0, tls=True) as server:
		assert server.url.startswith("https://127.0.0.1:")
		keys = server.create_account()
		answer = requests.get(
			f"{server.url}/v2/payments/", auth=(keys["secret_key"], ""), verify=False, timeout=5
		)
		assert answer.status_code == 200 and answer.json()["payments"] == []
		intent = requests.post(
			f"{server.url}/v2/payment_intents/",
			json={"amount": 300, "currency": "eur"},
			auth=(keys["secret_key"], ""),
			verify=False,
			timeout=5,
		).json()
		assert intent["url"].startswith(server.url + "/test_pi_")


def test_options_reach_the_engine():
	server = SandboxServer(port=0, auth_expiry=10, webhook_retries=2)
	assert server.engine.settings["auth_expiry"] == 10
	assert server.engine.webhooks.retries == 2


def test_cli_arguments():
	args = parse_args(["--port", "0", "--tls", "--auth-expiry", "60", "--webhook-retries", "1", "--no-demo"])
	assert (args.port, args.tls, args.auth_expiry, args.webhook_retries, args.demo) == (
		0,
		True,
		60.0,
		1,
		False,
	)
	assert parse_args([]).demo is True


def test_module_command_prints_a_demo_link():
	# The source in sandbox/, as in this process (pytest's `pythonpath`), not an installed copy.
	env = {
		**os.environ,
		"PYTHONUNBUFFERED": "1",
		"PYTHONPATH": SANDBOX + os.pathsep + os.environ.get("PYTHONPATH", ""),
	}
	process = subprocess.Popen(
		[sys.executable, "-m", "stancer_sandbox", "--port", "0"],
		stdout=subprocess.PIPE,
		stderr=subprocess.STDOUT,
		text=True,
		env=env,
	)
	try:
		lines = []
		deadline = time.monotonic() + 20
		while time.monotonic() < deadline:
			line = process.stdout.readline()
			lines.append(line)
			if "demo payment link" in line:
				break
		link = re.search(r"(http://\S+)", lines[-1]).group(1)
		page = requests.get(link, timeout=5)
		assert page.status_code == 200 and "Card number" in page.text
	finally:
		process.terminate()
		process.wait(timeout=10)


def test_sandbox_never_imports_frappe():
	folder = os.path.join(SANDBOX, "stancer_sandbox")
	for root, _, files in os.walk(folder):
		for name in files:
			if name.endswith(".py"):
				with open(os.path.join(root, name), encoding="utf-8") as handle:
					source = handle.read()
				assert not re.search(r"^\s*(import|from)\s+frappe\b", source, re.M), name
