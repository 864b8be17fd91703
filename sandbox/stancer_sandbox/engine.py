"""The sandbox's moving parts in one place: store, clock, faults, webhooks, request log, sweeper.

The HTTP layers (API, admin, hosted page) only call into an Engine; nothing here knows HTTP.
"""

import collections
import heapq
import itertools
import json
import logging
import threading
import time

from stancer_sandbox import lifecycle
from stancer_sandbox.clock import Clock
from stancer_sandbox.faults import Faults
from stancer_sandbox.ids import new_id
from stancer_sandbox.store import DEMO_ACCOUNT, Store
from stancer_sandbox.webhook_delivery import WebhookDispatcher

log = logging.getLogger(__name__)

DEFAULTS = {
	"auth_expiry": 7 * 24 * 3600,  # an uncaptured authorization expires after 7 days
	"dispute_after": 60,  # a dispute test card turns `disputed` this long after capture
	# A refund is sent to the bank within the day, then credited to the cardholder.
	"refund_sent_after": 3600,
	"refund_credited_after": 3 * 24 * 3600,
	"webhook_retries": 5,
	"webhook_retry_delay": 1.0,  # seconds before the first retry, doubled each time
	"webhook_timeout": 5.0,
	"sweep_interval": 1.0,  # real seconds between two sweeps for expiry and disputes
	"request_log_size": 10000,
}


class Engine:
	def __init__(self, **options):
		unknown = set(options) - set(DEFAULTS)
		if unknown:
			raise TypeError(f"Unknown sandbox option(s): {', '.join(sorted(unknown))}")
		self.settings = {**DEFAULTS, **options}
		self.store = Store()
		self.clock = Clock()
		self.faults = Faults()
		self.webhooks = WebhookDispatcher(
			retries=self.settings["webhook_retries"],
			base_delay=self.settings["webhook_retry_delay"],
			timeout=self.settings["webhook_timeout"],
		)
		self.requests = collections.deque(maxlen=self.settings["request_log_size"])
		self._timers = []  # heap of (sandbox time, seq, account_id, live, payment id)
		self._seq = itertools.count()
		self._stop = threading.Event()
		self._sweeper = None
		self.demo = self.store.create_account(self.clock.timestamp(), DEMO_ACCOUNT)

	# -- life of the engine ------------------------------------------------------------------

	def start(self):
		self.webhooks.start()
		self._sweeper = threading.Thread(target=self._sweep_loop, name="sandbox-sweeper", daemon=True)
		self._sweeper.start()
		return self

	def stop(self):
		self._stop.set()
		if self._sweeper:
			self._sweeper.join(timeout=2)
		self.webhooks.stop()

	def create_account(self, live=False, name=None):
		return self.store.create_account(self.clock.timestamp(), name=name).keys(live)

	# -- time ----------------------------------------------------------------------------------

	def schedule(self, due, part, payment_id):
		"""Look at a payment again at sandbox time `due` (expiry, dispute)."""
		with self.store.lock:
			heapq.heappush(self._timers, (due, next(self._seq), part.account_id, part.live, payment_id))

	def advance_clock(self, seconds):
		now = self.clock.advance(seconds)
		self.sweep()
		return now

	def sweep(self):
		"""Apply every time-based change that is due; fire its webhooks."""
		with self.store.lock:
			now = self.clock.now()
			while self._timers and self._timers[0][0] <= now:
				_, _, account_id, live, payment_id = heapq.heappop(self._timers)
				part = self.store.partition(account_id, live)
				payment = part.payments.get(payment_id) if part else None
				if payment is not None:
					lifecycle.tick(self, part, payment)

	def _sweep_loop(self):
		while not self._stop.wait(self.settings["sweep_interval"]):
			try:
				self.sweep()
			except Exception:  # a sweep bug must not kill the thread; reads still apply changes
				log.exception("sandbox sweep failed")

	# -- events --------------------------------------------------------------------------------

	def emit(self, part, event_type, obj):
		"""Send `obj` to every webhook of the partition that listens to `event_type`."""
		if not part.webhooks:
			return
		event_id = new_id("evt")
		body = json.dumps(
			{
				"id": event_id,
				"type": event_type,
				"created": self.clock.timestamp(),
				"live_mode": part.live,
				"data": {"object": obj},
			},
			separators=(",", ":"),
		).encode()
		mode = self.faults.value(part.account_id, "webhooks")
		for hook in part.webhooks.values():
			if event_type not in hook["events"]:
				continue
			if mode == "drop":
				self.webhooks.record_dropped(hook["url"], event_id, event_type)
				continue
			self.webhooks.submit(
				hook["url"], hook["secret"], body, event_id, event_type, 2 if mode == "duplicate" else 1
			)

	# -- request log ---------------------------------------------------------------------------

	def log_request(self, method, path, status, part, started):
		# Never the Authorization header nor any key: only what identifies the call.
		self.requests.append(
			{
				"time": time.time(),
				"method": method,
				"path": path,
				"status": status,
				"account": part.account_id if part else None,
				"live_mode": part.live if part else None,
				"duration_ms": round((time.monotonic() - started) * 1000, 3),
			}
		)

	def request_log(self, account=None):
		entries = list(self.requests)
		if account:
			entries = [entry for entry in entries if entry["account"] == account]
		return entries
