"""The shop's Pay button, for the shopper whose order it is, when the shop takes cards through
Stancer.

Webshop's order page links Pay to ERPNext's `make_payment_request`, which (ERPNext 15) demands
"create" permission on Payment Request: portal customers do not have it, and granting it would
let them make requests for anything. `hooks.py` routes that method here
(`override_whitelisted_methods`): a logged-in shopper's Pay for a Shopping Cart order of their
own customer, when Webshop Settings' Payment Gateway Account is a Stancer one for the order's
company and currency, makes (or reuses) the order's Payment Request as Administrator and sends
them to the Stancer link. Everything else — other gateways, Desk users, other documents — goes
to ERPNext's method untouched, with its own checks.
"""

import frappe
from frappe import _
from frappe.utils import cint, flt

from stancer_integration import payment_links, payment_request_info
from stancer_integration.permissions import as_administrator

SHOP_ORDER_TYPE = "Shopping Cart"
# An order in these states takes no payment from the shop.
STOPPED = ("Closed", "On Hold", "Completed")


@frappe.whitelist()
def make_payment_request(**args):
	"""ERPNext's `make_payment_request`, with the shop's Stancer Pay path for shoppers."""
	from erpnext.accounts.doctype.payment_request.payment_request import (
		make_payment_request as erpnext_make_payment_request,
	)

	args = frappe._dict(args)
	args.pop("cmd", None)
	if frappe.session.user == "Guest":
		# Not guest-callable (no allow_guest): Frappe refuses a guest before this line; said
		# again so that no change of decorator opens the shop path to guests.
		raise frappe.PermissionError(_("Please log in to pay for your order."))
	account = shop_gateway_account(args)
	if not account:
		return erpnext_make_payment_request(**args)
	return pay_shop_order(args, account)


def shop_gateway_account(args):
	"""The shop's Stancer Payment Gateway Account when `args` is a Pay press of the logged-in
	shopper for an order of their own customer; None when the shop path does not apply."""
	if args.get("order_type") != SHOP_ORDER_TYPE or args.get("dt") != "Sales Order":
		return None
	if not isinstance(args.get("dn"), str):
		return None
	if not is_installed("webshop"):
		return None
	# Read from the table, not a cached document: a setting changed without a save (a patch,
	# set_single_value) must not leave the shop paying through a gateway it no longer uses.
	shop = frappe.db.get_singles_dict("Webshop Settings")
	if not cint(shop.get("enabled")) or not cint(shop.get("enable_checkout")):
		return None
	account_name = shop.get("payment_gateway_account")
	if not account_name:
		return None
	account = frappe.db.get_value(
		"Payment Gateway Account",
		account_name,
		["name", "payment_gateway", "company", "currency"],
		as_dict=True,
	)
	if not account or not payment_request_info.settings_for_gateway(account.payment_gateway):
		return None  # another gateway: ERPNext's method, unchanged
	order = frappe.db.get_value(
		"Sales Order",
		args.dn,
		["name", "customer", "company", "currency", "docstatus", "order_type", "status"],
		as_dict=True,
	)
	if not order or order.docstatus != 1 or order.customer not in shopper_customers():
		return None  # not theirs: ERPNext's method refuses them as it always did
	if order.order_type != SHOP_ORDER_TYPE or order.status in STOPPED:
		return None  # an order made in Desk, or stopped: not the shop's to take payment for
	if (order.company, (order.currency or "").upper()) != (account.company, (account.currency or "").upper()):
		return None
	if args.get("payment_gateway_account") not in (None, "", account.name):
		return None  # a gateway the shop does not use: ERPNext's method, with its checks
	return account


def shopper_customers():
	"""The Customers the logged-in user is a portal user of (ERPNext's portal rule)."""
	return set(
		frappe.get_all(
			"Portal User",
			filters={"user": frappe.session.user, "parenttype": "Customer"},
			pluck="parent",
		)
	)


def is_installed(app):
	return app in frappe.get_installed_apps()


def pay_shop_order(args, account):
	"""The order's open Stancer request if it has one (its link again, never a second request
	that would cancel it while a payment may be on its way), else a new one made by ERPNext's
	method as Administrator with only what the Pay button sends."""
	from erpnext.accounts.doctype.payment_request.payment_request import (
		make_payment_request as erpnext_make_payment_request,
	)

	# Presses on one order, one after another: the order's row is locked from a fresh
	# transaction, so this press sees the request an earlier press made (MariaDB's snapshot is
	# taken at the first plain read, after the lock) until ERPNext's method commits.
	frappe.db.commit()
	order = frappe.db.sql(
		"""select per_billed, advance_paid, rounded_total, grand_total from `tabSales Order`
		where name = %s for update""",
		args.dn,
		as_dict=True,
	)[0]
	if flt(order.per_billed) > 0 or flt(order.advance_paid) >= flt(order.rounded_total or order.grand_total):
		# Webshop keeps its Pay button on a paid order (the payment moved to the invoice it
		# made): ERPNext would ask for the whole order again. Nothing is due on the order.
		frappe.throw(
			_("Order {0} is already paid or invoiced: there is nothing left to pay on it.").format(args.dn),
			title=_("Nothing to pay"),
		)
	open_request = open_stancer_request(args.dn)
	if open_request:
		return redirect(payment_links.checkout_url(open_request))
	shop_args = {
		"dt": "Sales Order",
		"dn": args.dn,
		"submit_doc": 1,
		"order_type": SHOP_ORDER_TYPE,
		"payment_gateway_account": account.name,
	}
	if cint(args.get("loyalty_points")) > 0:
		shop_args["loyalty_points"] = cint(args.get("loyalty_points"))  # ERPNext checks the balance
	with as_administrator():
		# Commits the request and answers with a redirect to its Stancer link.
		return erpnext_make_payment_request(**shop_args)


def open_stancer_request(order):
	"""The order's newest open request through any Stancer gateway: its link again, never a
	second request (ERPNext would cancel the first while a payment may be on its way on it)."""
	for request in frappe.get_all(
		"Payment Request",
		filters={
			"reference_doctype": "Sales Order",
			"reference_name": order,
			"docstatus": 1,
			"status": ("not in", ("Paid", "Cancelled", "Completed")),
			"outstanding_amount": (">", 0),
		},
		fields=["name", "payment_gateway"],
		order_by="creation desc",
	):
		if payment_request_info.settings_for_gateway(request.payment_gateway):
			return request.name
	return None


def redirect(location):
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = location
