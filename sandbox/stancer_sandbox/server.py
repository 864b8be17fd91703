"""`SandboxServer`: the sandbox served by werkzeug's threaded server in a daemon thread.

>>> with SandboxServer(port=0) as srv:
...     keys = srv.create_account()
...     srv.url  # 'http://127.0.0.1:PORT'
"""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from stancer_sandbox import tls as tls_support
from stancer_sandbox.app import SandboxApp
from stancer_sandbox.demo import create_demo_payment
from stancer_sandbox.engine import Engine


class QuietHandler(WSGIRequestHandler):
	"""No access log on stderr: tests and benchmarks stay readable (the CLI logs instead)."""

	def log_request(self, *args, **kwargs):
		pass

	def log(self, type, message, *args):
		if type == "error":
			super().log(type, message, *args)


class SandboxServer:
	def __init__(self, port=0, host="127.0.0.1", tls=False, quiet=True, **options):
		self.host = host
		self.port = port
		self.tls = tls
		self.quiet = quiet
		self.engine = Engine(**options)
		self.app = SandboxApp(self.engine)
		self._server = None
		self._thread = None

	def start(self):
		context = tls_support.server_context(self.host) if self.tls else None
		self._server = make_server(
			self.host,
			self.port,
			self.app,
			threaded=True,
			ssl_context=context,
			request_handler=QuietHandler if self.quiet else None,
		)
		self.port = self._server.socket.getsockname()[1]
		self.engine.start()
		self._thread = threading.Thread(
			target=self._server.serve_forever, name="stancer-sandbox", daemon=True
		)
		self._thread.start()
		return self

	def serve_forever(self):
		"""Serve in the calling thread (the CLI); Ctrl-C stops."""
		if self._thread is None:
			self.start()
		try:
			self._thread.join()
		except KeyboardInterrupt:
			pass
		finally:
			self.stop()

	def stop(self):
		if self._server is not None:
			self._server.shutdown()
			self._server.server_close()
			self._server = None
		self.engine.stop()

	def __enter__(self):
		return self.start() if self._server is None else self

	def __exit__(self, *exc):
		self.stop()

	@property
	def url(self):
		host = self.host
		if host in ("0.0.0.0", "", "::"):
			host = "127.0.0.1"
		elif ":" in host:
			host = f"[{host}]"
		return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

	def create_account(self, live=False, name=None):
		"""A new account: `{"account_id", "public_key", "secret_key"}` of the asked mode; `name`
		is the merchant's name its hosted page shows."""
		keys = self.engine.create_account(live=live, name=name)
		return {name: keys[name] for name in ("account_id", "public_key", "secret_key")}

	def account_keys(self, account_id, live=False):
		"""The key pair of an existing account in the other mode (tests of test/live separation)."""
		keys = self.engine.store.accounts[account_id].keys(live)
		return {name: keys[name] for name in ("account_id", "public_key", "secret_key")}

	@property
	def demo_account(self):
		keys = self.engine.demo.keys(False)
		return {name: keys[name] for name in ("account_id", "public_key", "secret_key")}

	def demo_payment_link(self, lang="en-GB"):
		return create_demo_payment(self.engine, self.url, lang)

	def advance_clock(self, seconds):
		return self.engine.advance_clock(seconds)
