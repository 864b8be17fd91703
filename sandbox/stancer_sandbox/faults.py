"""Fault injection: latency, failing answers, lost answers, webhook trouble, stuck payments.

Faults are global or scoped to one account. `POST /_sandbox/faults` adds to what is set
(counters add up, other values replace), `DELETE /_sandbox/faults` resets.
"""

import threading

from stancer_sandbox.api_errors import ApiError

COUNTERS = (
	"fail_next",
	"fail_after_processing_next",
	"garble_after_processing_next",
	"fail_next_refund",
	"stick_next_payment",
)
ALLOWED_FAIL_STATUS = (429, 500, 502, 503, 504)
# "unavailable": the webhook API answers 404, as for an account Stancer offers no webhooks.
WEBHOOK_MODES = ("drop", "duplicate", "unavailable", None)
METHODS = ("GET", "POST", "PATCH", "DELETE", None)


class FaultSet:
	__slots__ = (
		"empty_lists_404",
		"fail_after_processing_next",
		"fail_next",
		"fail_next_refund",
		"fail_status",
		"garble_after_processing_next",
		"latency_ms",
		"only_method",
		"stick_next_payment",
		"webhooks",
	)

	def __init__(self):
		self.latency_ms = 0
		self.fail_next = 0
		self.fail_status = 503
		self.fail_after_processing_next = 0
		self.garble_after_processing_next = 0  # processed, then a 200 that is not JSON (a proxy's page)
		self.fail_next_refund = 0  # the bank rejects the next refund when it is sent
		self.only_method = None  # "POST": fail_next and fail_after_processing_next spare other calls
		self.webhooks = None
		self.stick_next_payment = 0
		self.empty_lists_404 = False

	def to_json(self):
		return {name: getattr(self, name) for name in self.__slots__}


def _int_field(body, name, minimum=0):
	value = body[name]
	if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
		raise ApiError(400, f"Invalid `{name}`: must be an integer ≥ {minimum}")
	return value


class Faults:
	def __init__(self):
		self._lock = threading.Lock()
		self._global = FaultSet()
		self._accounts = {}

	def add(self, body, known_accounts):
		"""Apply a `POST /_sandbox/faults` body; return the new state."""
		if not isinstance(body, dict):
			raise ApiError(400, "The body must be a JSON object")
		known = {
			"account",
			"empty_lists_404",
			"webhooks",
			"fail_status",
			"latency_ms",
			"only_method",
			*COUNTERS,
		}
		unknown = sorted(set(body) - known)
		if unknown:
			raise ApiError(400, f"Unknown fault `{unknown[0]}`; known: {', '.join(sorted(known))}")
		account = body.get("account")
		if account is not None and account not in known_accounts:
			raise ApiError(404, f"Account `{account}` not found")
		changes = {}
		for name in COUNTERS:
			if name in body:
				changes[name] = _int_field(body, name)
		if "latency_ms" in body:
			changes["latency_ms"] = _int_field(body, "latency_ms")
		if "fail_status" in body:
			if body["fail_status"] not in ALLOWED_FAIL_STATUS:
				raise ApiError(400, f"Invalid `fail_status`: one of {ALLOWED_FAIL_STATUS}")
			changes["fail_status"] = body["fail_status"]
		elif "fail_next" in body:
			changes["fail_status"] = 503  # a 429 asked earlier does not leak into this call's failures
		if "webhooks" in body:
			if body["webhooks"] not in WEBHOOK_MODES:
				raise ApiError(400, 'Invalid `webhooks`: "drop", "duplicate", "unavailable" or null')
			changes["webhooks"] = body["webhooks"]
		if "only_method" in body:
			if body["only_method"] not in METHODS:
				raise ApiError(400, 'Invalid `only_method`: "GET", "POST", "PATCH", "DELETE" or null')
			changes["only_method"] = body["only_method"]
		if "empty_lists_404" in body:
			if not isinstance(body["empty_lists_404"], bool):
				raise ApiError(400, "Invalid `empty_lists_404`: must be a boolean")
			changes["empty_lists_404"] = body["empty_lists_404"]
		with self._lock:
			target = self._global if account is None else self._accounts.setdefault(account, FaultSet())
			for name, value in changes.items():
				if name in COUNTERS or name == "latency_ms":
					# Additive: two POSTs of fail_next=1 fail the next two calls.
					value += getattr(target, name)
				setattr(target, name, value)
		return self.to_json()

	def reset(self, account=None):
		with self._lock:
			if account is None:
				self._global = FaultSet()
				self._accounts.clear()
			else:
				self._accounts.pop(account, None)
		return self.to_json()

	def to_json(self):
		with self._lock:
			return {
				"global": self._global.to_json(),
				"accounts": {key: value.to_json() for key, value in self._accounts.items()},
			}

	def _sets(self, account_id):
		scoped = self._accounts.get(account_id) if account_id else None
		return (scoped, self._global) if scoped else (self._global,)

	def latency(self, account_id):
		"""Seconds to wait before answering this account's API call."""
		return sum(s.latency_ms for s in self._sets(account_id)) / 1000.0

	def take(self, account_id, counter, method=None):
		"""Consume one unit of `counter` (account scope first) for a call of `method`; return the
		FaultSet used or None. A set with `only_method` spares calls of other methods."""
		with self._lock:
			for fault_set in self._sets(account_id):
				if fault_set.only_method and method and fault_set.only_method != method:
					continue
				if getattr(fault_set, counter) > 0:
					setattr(fault_set, counter, getattr(fault_set, counter) - 1)
					return fault_set
		return None

	def value(self, account_id, name):
		"""The first set value of `name` (account scope wins over global)."""
		for fault_set in self._sets(account_id):
			value = getattr(fault_set, name)
			if value:
				return value
		return None
