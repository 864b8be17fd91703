"""Rate limits for the guest pages, so a script cannot make Stancer objects in bulk.

Frappe's own page limit keys on the first X-Forwarded-For address, which any client can write,
so these pages count by the address that really connected: the socket's peer, or, when that
peer is a proxy this site trusts (loopback, where nginx runs in Frappe's production set-up,
unless `stancer_trust_loopback` is 0, plus the networks in `stancer_trusted_proxies`), the
last address that proxy saw.

Only what can cost something is counted: a link whose token is valid (it may create a Stancer
payment), a return address naming no payment (a scan). A return address that names a payment
counts for that visitor and payment alone, so no one, behind the same proxy or not, can lock a
customer out of their own payment's page.
"""

import ipaddress

import frappe

WINDOW = 600  # seconds
DEFAULT_LIMIT = 60


def limit():
	return int(frappe.conf.get("stancer_rate_limit") or DEFAULT_LIMIT)


def _address(text):
	try:
		return ipaddress.ip_address((text or "").strip().strip("[]"))
	except ValueError:
		return None


def _trusted(address):
	if address is None:
		return False
	if address.is_loopback and frappe.conf.get("stancer_trust_loopback", 1):
		return True
	for network in frappe.conf.get("stancer_trusted_proxies") or []:
		try:
			if address in ipaddress.ip_network(network, strict=False):
				return True
		except ValueError:
			continue
	return False


def client_address():
	"""The visitor's address, which a forged X-Forwarded-For cannot choose."""
	request = frappe.local.request
	peer = _address(request.environ.get("REMOTE_ADDR") or request.remote_addr)
	hops = [_address(part) for part in (request.headers.get("X-Forwarded-For") or "").split(",")]
	# From the nearest hop back: the first address not set by a trusted proxy is the client.
	address = peer
	while _trusted(address) and hops:
		hop = hops.pop()
		if hop is None:
			break
		address = hop
	return str(address) if address else "unknown"


def hit(page, *scope, allowed=None):
	"""Count one visit of `page` by this visitor (and `scope`); 429 past the limit."""
	key = frappe.cache.make_key(":".join(("stancer-page", page, client_address(), *map(str, scope))))
	count = frappe.cache.incrby(key, 1)
	if count == 1:
		frappe.cache.expire(key, WINDOW)
	if count > (allowed or limit()):
		raise frappe.TooManyRequestsError
