"""Rate limits for the guest pages, so a script cannot make Stancer objects in bulk."""

import frappe
from frappe.rate_limiter import rate_limit

WINDOW = 600  # seconds


def _limit():
	# One budget per visitor IP for both Stancer pages: Frappe keys page limits by IP only.
	return frappe.conf.get("stancer_rate_limit") or 60


def limited_page(build):
	"""A page's get_context(context) that runs `build(context)` under Frappe's rate_limit.

	Frappe passes the context only to a get_context whose own signature names it, which a
	decorated function's does not: hence this explicit wrapper.
	"""
	limited = rate_limit(limit=_limit, seconds=WINDOW)(build)

	def get_context(context):
		return limited(context)

	return get_context
