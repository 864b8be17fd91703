"""Webhook delivery: signed POSTs in background threads, retried with exponential backoff.

Deliveries never block an API answer: `submit` only queues. A non-2xx answer or a connection
error is retried `retries` times, after `base_delay * 2**n` seconds.
"""

import collections
import hashlib
import heapq
import hmac
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

SIGNATURE_HEADER = "Stancer-Signature"


def signature(secret, body):
	"""`t=<unix time>,v1=<hex HMAC-SHA256 of b"<t>." + body, keyed with the secret as text>`.

	Made here, not borrowed from the app: the sandbox plays Stancer, and the app's tests check
	what it sends with the app's own verification.
	"""
	timestamp = int(time.time())
	digest = hmac.new(secret.encode("utf-8"), b"%d." % timestamp + body, hashlib.sha256).hexdigest()
	return f"t={timestamp},v1={digest}"


class Delivery:
	__slots__ = ("attempt", "body", "event_id", "event_type", "secret", "url")

	def __init__(self, url, secret, body, event_id, event_type):
		self.url = url
		self.secret = secret
		self.body = body
		self.event_id = event_id
		self.event_type = event_type
		self.attempt = 0


class WebhookDispatcher:
	def __init__(self, retries=5, base_delay=1.0, timeout=5.0, workers=4, log_size=2000):
		self.retries = retries
		self.base_delay = base_delay
		self.timeout = timeout
		self._workers = workers
		self._queue = []  # heap of (due, seq, Delivery)
		self._seq = itertools.count()
		self._cond = threading.Condition()
		self._log = collections.deque(maxlen=log_size)
		self._pool = None
		self._thread = None
		self._stopping = False

	def start(self):
		self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="sandbox-webhook")
		self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
		self._thread.start()

	def stop(self):
		with self._cond:
			self._stopping = True
			self._cond.notify_all()
		if self._thread:
			self._thread.join(timeout=2)
		if self._pool:
			self._pool.shutdown(wait=False, cancel_futures=True)

	def submit(self, url, secret, body, event_id, event_type, copies=1):
		"""Queue `copies` deliveries of one event (2 for the "duplicate" fault)."""
		with self._cond:
			for _ in range(copies):
				heapq.heappush(
					self._queue,
					(time.monotonic(), next(self._seq), Delivery(url, secret, body, event_id, event_type)),
				)
			self._cond.notify()

	def record_dropped(self, url, event_id, event_type):
		self._log.append(self._entry(url, event_id, event_type, 0, None, "dropped by fault", False))

	def deliveries(self):
		return list(self._log)

	def pending(self):
		with self._cond:
			return len(self._queue)

	def _run(self):
		while True:
			with self._cond:
				while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
					wait = self._queue[0][0] - time.monotonic() if self._queue else None
					self._cond.wait(timeout=wait)
				if self._stopping:
					return
				_, _, delivery = heapq.heappop(self._queue)
			try:
				self._pool.submit(self._send, delivery)
			except RuntimeError:  # pool shut down while stopping
				return

	def _send(self, delivery):
		delivery.attempt += 1
		status = error = None
		try:
			header = signature(delivery.secret, delivery.body)
			answer = requests.post(
				delivery.url,
				data=delivery.body,
				headers={
					"Content-Type": "application/json",
					SIGNATURE_HEADER: header,
					"User-Agent": "stancer-sandbox",
				},
				timeout=self.timeout,
				allow_redirects=False,
			)
			status = answer.status_code
			answer.close()
		except requests.RequestException as exc:
			error = type(exc).__name__
		ok = status is not None and 200 <= status < 300
		self._log.append(
			self._entry(
				delivery.url, delivery.event_id, delivery.event_type, delivery.attempt, status, error, ok
			)
		)
		if ok or delivery.attempt > self.retries:
			return
		delay = self.base_delay * (2 ** (delivery.attempt - 1))
		with self._cond:
			if self._stopping:
				return
			heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), delivery))
			self._cond.notify()

	@staticmethod
	def _entry(url, event_id, event_type, attempt, status, error, delivered):
		return {
			"event": event_id,
			"type": event_type,
			"url": url,
			"attempt": attempt,
			"status": status,
			"error": error,
			"delivered": delivered,
			"time": time.time(),
		}
