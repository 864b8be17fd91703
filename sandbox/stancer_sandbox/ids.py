"""Random identifiers and keys in Stancer's shapes: `<prefix>_` + 24 characters [A-Za-z0-9]."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24


def random_token(length=ID_LENGTH):
	# secrets, not random: keys minted here are real credentials for the sandbox.
	return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix):
	"""A new object id such as `paym_…` (29 characters)."""
	return f"{prefix}_{random_token()}"


def looks_like(value, prefix):
	"""True when `value` has the exact shape `<prefix>_` + 24 alphanumerics."""
	if not isinstance(value, str) or not value.startswith(prefix + "_"):
		return False
	body = value[len(prefix) + 1 :]
	return len(body) == ID_LENGTH and body.isascii() and body.isalnum()
