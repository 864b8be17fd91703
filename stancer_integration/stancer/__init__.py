"""Framework-free Stancer core: client, money, status rules, validation, webhook signatures.

Nothing in this package imports frappe, so it runs (and is tested) without a bench.
"""

from stancer_integration.stancer.client import StancerClient
from stancer_integration.stancer.errors import (
	APIError,
	AuthenticationError,
	ConflictError,
	InvalidRequestError,
	NotFoundError,
	SignatureError,
	StancerError,
	UnavailableError,
	ValidationError,
)

__all__ = [
	"APIError",
	"AuthenticationError",
	"ConflictError",
	"InvalidRequestError",
	"NotFoundError",
	"SignatureError",
	"StancerClient",
	"StancerError",
	"UnavailableError",
	"ValidationError",
]
