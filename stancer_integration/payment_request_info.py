"""What the app reads of a Payment Request: its Stancer settings, what is still due on it, its
customer, and the row lock every checkout and recording takes on it."""

from decimal import ROUND_CEILING, Decimal

import frappe
from frappe.utils import flt

from stancer_integration.stancer import money

# What the link and the recording need of a Payment Request: read as values, not as a document.
FIELDS = (
	"name",
	"creation",
	"docstatus",
	"status",
	"company",
	"payment_gateway",
	"currency",
	"grand_total",
	"outstanding_amount",
	"party_account_currency",
	"party_type",
	"party",
	"subject",
	"email_to",
	"reference_doctype",
	"reference_name",
)


# Read too where the version has them: what says a request belongs to a subscription (ERPNext's
# flag, Dokos' link).
OPTIONAL_FIELDS = ("is_a_subscription", "subscription")


def read(name, lock=False):
	"""The Payment Request's values; with `lock`, its row is locked until the transaction ends:
	the one lock every checkout and every recording of its payments takes first."""
	# The table's columns, not the doctype's meta (heavier to load, on every click).
	fields = FIELDS + tuple(
		field for field in OPTIONAL_FIELDS if frappe.db.has_column("Payment Request", field)
	)
	# A plain query: every click of a link and every recording reads it.
	rows = frappe.db.sql(
		"select {} from `tabPayment Request` where name = %s{}".format(
			", ".join(f"`{field}`" for field in fields), " for update" if lock else ""
		),
		name,
		as_dict=True,
	)
	return rows[0] if rows else None


def lock(name):
	frappe.db.get_value("Payment Request", name, "name", for_update=True)


def settings_for_gateway(payment_gateway):
	"""The Stancer Settings behind a Payment Gateway, or None when it is not a Stancer one."""
	if not payment_gateway:
		return None
	# Both read from Frappe's document cache (every click reads them; a save clears it). The
	# cached settings hold no secret: Password fields are read from their own table.
	gateway = frappe.get_cached_value(
		"Payment Gateway", payment_gateway, ["gateway_settings", "gateway_controller"], as_dict=True
	)
	if not gateway or gateway.gateway_settings != "Stancer Settings" or not gateway.gateway_controller:
		return None
	try:
		return frappe.get_cached_doc("Stancer Settings", gateway.gateway_controller)
	except frappe.DoesNotExistError:
		return None


def customer_of(pr):
	if pr.get("party_type") == "Customer" and pr.get("party"):
		return pr.party
	customer = frappe.db.get_value(pr.reference_doctype, pr.reference_name, "customer")
	return customer or None


def customer_language(pr):
	"""The language of the request's customer (the Customer's, else the Contact's of the
	request's e-mail where Contact has one), or None."""
	customer = customer_of(pr)
	language = frappe.db.get_value("Customer", customer, "language") if customer else None
	return language or contact_language(pr.get("email_to"))


def contact_language(email):
	"""The language of the Contact with this e-mail, where Contact has one (Dokos), or None."""
	if not email or not frappe.db.has_column("Contact", "language"):
		return None
	return frappe.db.get_value("Contact", {"email_id": email}, "language") or None


def language_of_request(name):
	"""`customer_language` of a Payment Request named `name`: one read when the request names
	its Customer (the usual case, on every click of its link)."""
	row = frappe.db.sql(
		"""select pr.party_type, pr.party, pr.email_to, pr.reference_doctype, pr.reference_name,
			customer.language
		from `tabPayment Request` pr
		left join `tabCustomer` customer on pr.party_type = 'Customer' and customer.name = pr.party
		where pr.name = %s""",
		name,
		as_dict=True,
	)
	if not row:
		return None
	if row[0].party_type == "Customer" and row[0].party:
		return row[0].language or contact_language(row[0].email_to)
	return customer_language(row[0])


def amount_due(pr):
	"""What is still due on a Payment Request, in the request's own currency (Decimal).

	`outstanding_amount` is in the party account's currency. When that differs from the
	request's, an untouched request is due in full (its grand total, exactly: converting there
	and back would lose a cent); a partly paid one in proportion, rounded up, so the customer
	is never charged less than what is due, and never more than the grand total.
	"""
	if pr.docstatus != 1 or pr.status in ("Paid", "Cancelled"):
		return Decimal(0)
	outstanding = money.to_decimal(flt(pr.outstanding_amount))
	grand_total = money.to_decimal(flt(pr.grand_total))
	if outstanding <= 0:
		return Decimal(0)
	party_currency = pr.get("party_account_currency") or pr.currency
	if party_currency == pr.currency:
		return outstanding
	full = full_outstanding(pr)
	if not full or outstanding >= full:
		return grand_total
	step = Decimal(1).scaleb(-money.exponent(pr.currency))
	due = (grand_total * outstanding / full).quantize(step, rounding=ROUND_CEILING)
	return min(due, grand_total)


def full_outstanding(pr):
	"""The outstanding amount ERPNext set when the request was submitted (party currency)."""
	ref = frappe.db.get_value(
		pr.reference_doctype,
		pr.reference_name,
		["rounded_total", "grand_total", "base_rounded_total", "base_grand_total"],
		as_dict=True,
	)
	if not ref:
		return None
	doc_total = flt(ref.rounded_total or ref.grand_total)
	base_total = flt(ref.base_rounded_total or ref.base_grand_total)
	if not doc_total:
		return None
	precision = frappe.get_precision("Payment Request", "outstanding_amount") or 2
	return money.to_decimal(flt(flt(pr.grand_total) / doc_total * base_total, precision))
