"""The payment link where the accountant works: shown on a Stancer Payment Request with Copy and
Send Again, or, when it cannot work (request cancelled or paid, Stancer Settings disabled), why
not; and the e-mail text that carries it."""

import frappe
from frappe import _

from stancer_integration import payment_links, payment_request_info

# The message of the Payment Gateway Accounts the app makes: ERPNext renders it with the order
# or invoice (`doc`) and the link (`payment_url`) into the e-mail a Payment Request sends.
EMAIL_MESSAGE = """{% if (doc.language or "").startswith("fr") %}<p>Bonjour{% if doc.customer_name %} {{ doc.customer_name }}{% endif %},</p>
<p>Vous pouvez régler {{ doc.name }} par carte bancaire, en toute sécurité, à cette adresse :</p>
<p><a href="{{ payment_url }}">{{ payment_url }}</a></p>
<p>Vous pouvez aussi copier ce lien et le coller dans votre navigateur.</p>{% else %}<p>Hello{% if doc.customer_name %} {{ doc.customer_name }}{% endif %},</p>
<p>You can pay {{ doc.name }} by card, securely, at this address:</p>
<p><a href="{{ payment_url }}">{{ payment_url }}</a></p>
<p>You can also copy this link and paste it into your browser.</p>{% endif %}"""


@frappe.whitelist()
def get_link(payment_request):
	"""The link of a Stancer Payment Request for the Desk, or why it cannot work."""
	frappe.has_permission("Payment Request", "read", payment_request, throw=True)
	pr = payment_request_info.read(payment_request)
	settings = payment_request_info.settings_for_gateway(pr.payment_gateway) if pr else None
	if not settings:
		return {"stancer": False}
	if pr.docstatus == 2 or pr.status == "Cancelled":
		return {
			"stancer": True,
			"message": _("This Payment Request is cancelled: its payment link no longer works."),
		}
	if pr.docstatus == 0:
		return {
			"stancer": True,
			"message": _("The payment link is made when this Payment Request is submitted."),
		}
	if payment_request_info.amount_due(pr) <= 0:
		return {"stancer": True, "message": _("This Payment Request is paid."), "indicator": "green"}
	if not settings.enabled:
		return {
			"stancer": True,
			"message": _(
				"The Stancer Settings {0} are disabled: the payment link does not take payments."
			).format(settings.name),
		}
	# The link ERPNext stored and e-mailed, while it names this request; a new one otherwise
	# (a muted request has none), so the link shown stays the same from one visit to the next.
	stored = frappe.db.get_value("Payment Request", pr.name, "payment_url")
	if stored and payment_links.read_link(stored) == pr.name:
		return {"stancer": True, "url": stored}
	return {"stancer": True, "url": payment_links.checkout_url(pr.name)}


@frappe.whitelist()
def send_link(payment_request):
	"""E-mail the link again, as ERPNext did on submit (with the order's PDF)."""
	frappe.has_permission("Payment Request", "write", payment_request, throw=True)
	link = get_link(payment_request)
	if not link.get("url"):
		frappe.throw(link.get("message") or _("This is not a Stancer Payment Request."))
	pr = frappe.get_doc("Payment Request", payment_request)
	if not pr.email_to:
		frappe.throw(_("The Payment Request has no e-mail address to send the link to."))
	if pr.payment_url != link["url"]:
		pr.db_set("payment_url", link["url"])
	if "payment_url" not in (pr.message or ""):
		pr.db_set("message", EMAIL_MESSAGE)  # an older request's message had no link
	pr.send_email()
	pr.make_communication_entry()
	return _("The payment link was sent to {0}.").format(pr.email_to)
