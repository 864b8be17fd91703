"""Typed errors of the Stancer core.

Every failure a caller can see is one of these: no bare `requests` exception, `KeyError` or
`JSONDecodeError` leaves the client. Messages never contain a key.
"""

import re

_ID_IN_TEXT = re.compile(r"\b((?:paym|cust|card|pi|refd|sepa|dspt|whk)_[A-Za-z0-9]+)\b")


class StancerError(Exception):
	"""Base of every error raised by the core."""

	def __init__(self, message, *, http_status=None, body=None):
		super().__init__(message)
		self.message = message
		self.http_status = http_status
		self.body = body

	def __str__(self):
		if self.http_status:
			return f"{self.message} (HTTP {self.http_status})"
		return self.message


class ValidationError(StancerError, ValueError):
	"""Refused before sending: the request would break one of Stancer's rules.

	`code` names the rule and `params` its values, so a caller can show its own translated
	message (the Frappe layer does) instead of this English one.
	"""

	def __init__(self, message, *, field=None, code=None, params=None):
		super().__init__(message)
		self.field = field
		self.code = code or field or "invalid"
		self.params = params or {}


class InvalidRequestError(StancerError):
	"""Stancer refused the request (400, 402, 405–408, 410, 422, …)."""


class AuthenticationError(StancerError):
	"""The secret key is unknown, revoked or not allowed (401, 403)."""


class NotFoundError(StancerError):
	"""The object does not exist for this account and mode (404)."""


class ConflictError(StancerError):
	"""Duplicate or conflicting state (409); `existing_id` is the object Stancer points at."""

	def __init__(self, message, *, http_status=409, body=None, existing_id=None):
		super().__init__(message, http_status=http_status, body=body)
		self.existing_id = existing_id


class UnavailableError(StancerError):
	"""Stancer could not be reached or did not answer usefully (timeouts, connection, 429, 5xx).

	`maybe_processed` is True when the request may have reached Stancer (a POST that timed out
	after sending): the caller must look the object up before trying again.
	"""

	def __init__(self, message, *, http_status=None, body=None, maybe_processed=False):
		super().__init__(message, http_status=http_status, body=body)
		self.maybe_processed = maybe_processed


class APIError(StancerError):
	"""An answer the client cannot use (malformed JSON, unexpected status)."""


class SignatureError(StancerError):
	"""A webhook signature header is missing, malformed, stale or does not match."""


def parse_error_body(body):
	"""Return (message, object id or None) from Stancer's error body.

	Stancer answers `{"error": {"type": ..., "message": str | {"error": str, "id": str}}}`.
	"""
	if not isinstance(body, dict):
		return None, None
	error = body.get("error")
	if isinstance(error, str):
		return error, _find_id(error)
	if not isinstance(error, dict):
		return None, None
	message = error.get("message")
	if isinstance(message, dict):
		text = message.get("error") or ""
		obj_id = message.get("id")
		if obj_id and text:
			return f"{text} ({obj_id})", obj_id
		return (text or obj_id or None), obj_id or _find_id(text)
	if isinstance(message, str):
		return message, _find_id(message)
	return None, None


def _find_id(text):
	match = _ID_IN_TEXT.search(text or "")
	return match.group(1) if match else None


def error_for_status(http_status, body, fallback_text=""):
	"""Map an HTTP error answer to the typed error a caller handles."""
	message, obj_id = parse_error_body(body)
	message = message or fallback_text or f"Stancer answered HTTP {http_status}"
	if http_status in (401, 403):
		return AuthenticationError(message, http_status=http_status, body=body)
	if http_status == 404:
		return NotFoundError(message, http_status=http_status, body=body)
	if http_status == 409:
		return ConflictError(message, http_status=http_status, body=body, existing_id=obj_id)
	if http_status == 429 or http_status >= 500:
		return UnavailableError(message, http_status=http_status, body=body)
	if 400 <= http_status < 500:
		return InvalidRequestError(message, http_status=http_status, body=body)
	return APIError(message, http_status=http_status, body=body)
