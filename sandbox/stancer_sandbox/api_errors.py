"""API errors in Stancer's body shape: `{"error": {"type": "invalid_request_error", "message": …}}`."""

ERROR_TYPE = "invalid_request_error"
UNAUTHORIZED_MESSAGE = "You are not authorized to access that resource"


class ApiError(Exception):
	"""Raised by endpoint code; the app turns it into a JSON answer with `status`."""

	def __init__(self, status, message, headers=None):
		super().__init__(message if isinstance(message, str) else str(message))
		self.status = status
		self.message = message
		self.headers = headers or {}

	def body(self):
		return {"error": {"type": ERROR_TYPE, "message": self.message}}


def bad_request(field, why):
	"""400 naming the field and the rule it breaks."""
	return ApiError(400, f"Invalid `{field}`: {why}")


def not_found(resource, object_id):
	"""404 in the v2 wording: "Payment `paym_x` not found"."""
	return ApiError(404, f"{resource} `{object_id}` not found")


def conflict(message, object_id=None):
	"""409; with an id the message is an object `{"error", "id"}`, as for duplicate unique_id."""
	if object_id:
		return ApiError(409, {"error": message, "id": object_id})
	return ApiError(409, message)


def unauthorized():
	return ApiError(401, UNAUTHORIZED_MESSAGE)
