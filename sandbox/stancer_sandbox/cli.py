"""`stancer-sandbox`: run the sandbox and print the demo account's keys and a demo payment link."""

import argparse
import logging
import sys

from stancer_sandbox.server import SandboxServer


def parse_args(argv=None):
	parser = argparse.ArgumentParser(
		prog="stancer-sandbox", description="A local fake Stancer API and payment page."
	)
	parser.add_argument(
		"--port", type=int, default=8765, help="port to listen on (0: any free port; default 8765)"
	)
	parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
	parser.add_argument(
		"--tls", action="store_true", help="serve HTTPS with a self-signed certificate made at start"
	)
	parser.add_argument(
		"--demo",
		action="store_true",
		default=True,
		help="print a ready-to-pay demo payment link (the default)",
	)
	parser.add_argument("--no-demo", dest="demo", action="store_false", help="do not create the demo payment")
	parser.add_argument(
		"--auth-expiry",
		type=float,
		default=7 * 24 * 3600,
		metavar="SECONDS",
		help="an uncaptured authorization expires after this long (default 7 days)",
	)
	parser.add_argument(
		"--dispute-after",
		type=float,
		default=60,
		metavar="SECONDS",
		help="the dispute test card turns `disputed` this long after capture (default 60)",
	)
	parser.add_argument(
		"--webhook-retries",
		type=int,
		default=5,
		metavar="N",
		help="retries of a failed webhook delivery (default 5)",
	)
	parser.add_argument(
		"--webhook-retry-delay",
		type=float,
		default=1.0,
		metavar="SECONDS",
		help="delay before the first retry, doubled each time (default 1)",
	)
	parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
	return parser.parse_args(argv)


def main(argv=None):
	args = parse_args(argv)
	logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
	server = SandboxServer(
		port=args.port,
		host=args.host,
		tls=args.tls,
		quiet=not args.verbose,
		auth_expiry=args.auth_expiry,
		dispute_after=args.dispute_after,
		webhook_retries=args.webhook_retries,
		webhook_retry_delay=args.webhook_retry_delay,
	)
	server.start()
	demo = server.demo_account
	out = sys.stdout
	out.write(f"Stancer sandbox listening on {server.url}\n")
	out.write(f"  API base:          {server.url}  (HTTP Basic, username = secret key)\n")
	out.write(f"  demo account:      {demo['account_id']}\n")
	out.write(f"  demo secret key:   {demo['secret_key']}\n")
	out.write(f"  demo public key:   {demo['public_key']}\n")
	if args.demo:
		out.write(f"  demo payment link: {server.demo_payment_link()}\n")
		out.write(f"  (a fresh one each time: {server.url}/_sandbox/demo)\n")
	out.write("  test card: 4242 4242 4242 4242, any future expiry, any CVC. Ctrl-C stops.\n")
	out.flush()
	server.serve_forever()
	return 0


if __name__ == "__main__":
	raise SystemExit(main())
