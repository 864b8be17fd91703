"""What an endpoint handler gets: the engine, the caller's partition, the request, helpers."""

import json

from stancer_sandbox.api_errors import ApiError, bad_request


class Ctx:
	def __init__(self, engine, part, request):
		self.engine = engine
		self.part = part
		self.request = request
		self._body = None

	@property
	def base_url(self):
		"""Where the caller reached the sandbox (`http://127.0.0.1:PORT`): page URLs use it."""
		return self.request.host_url.rstrip("/")

	@property
	def body(self):
		if self._body is None:
			raw = self.request.get_data(cache=True)
			if not raw.strip():
				self._body = {}
			else:
				try:
					self._body = json.loads(raw)
				except (ValueError, UnicodeDecodeError):
					raise ApiError(400, "The body is not valid JSON") from None
				if not isinstance(self._body, dict):
					raise ApiError(400, "The body must be a JSON object")
		return self._body

	def int_arg(self, name, default, minimum, maximum=None):
		raw = self.request.args.get(name)
		if raw is None or raw == "":
			return default
		try:
			value = int(raw)
		except ValueError:
			raise bad_request(name, "must be an integer") from None
		if value < minimum or (maximum is not None and value > maximum):
			upper = f" and at most {maximum}" if maximum is not None else ""
			raise bad_request(name, f"must be at least {minimum}{upper}")
		return value

	def paginate(self, items, key, serialize, label=None):
		"""The list envelope `{live_mode, <key>: [...], range}` over `items` (newest first)."""
		limit = self.int_arg("limit", 10, 1, 100)
		start = self.int_arg("start", 0, 0)
		page = []
		has_more = False
		for index, item in enumerate(items):
			if index < start:
				continue
			if len(page) == limit:
				has_more = True
				break
			page.append(serialize(item))
		if not page and self.engine.faults.value(self.part.account_id, "empty_lists_404"):
			raise ApiError(404, f"No {label or key} found")
		return {
			"live_mode": self.part.live,
			key: page,
			"range": {
				"start": start,
				"end": start + max(len(page) - 1, 0),
				"limit": limit,
				"has_more": has_more,
			},
		}
