"""The sandbox clock: wall time plus an offset that tests move forward.

Every time-based rule (authorization expiry, disputes, card expiry on the page) reads this clock,
so `POST /_sandbox/clock {"advance": 604800}` replaces waiting a week.
"""

import threading
import time


class Clock:
	def __init__(self):
		self._offset = 0.0
		self._lock = threading.Lock()

	def now(self):
		"""Sandbox time as a float (seconds since the epoch)."""
		return time.time() + self._offset

	def timestamp(self):
		"""Sandbox time as Stancer writes it: whole seconds."""
		return int(self.now())

	def advance(self, seconds):
		with self._lock:
			self._offset += float(seconds)
		return self.now()

	@property
	def offset(self):
		return self._offset
