"""The payment link where the accountant works: shown on a Stancer Payment Request with Copy and
Send Again, or, when it cannot work (request cancelled or paid, Stancer Settings disabled), why
not; and the e-mail text that carries it."""

import frappe
from frappe import _

from stancer_integration import payment_links, payment_request_info

# The e-mail text, in French and in English: ERPNext renders it with the order or invoice (`doc`)
# and the link (`payment_url`) into the e-mail a Payment Request sends.
MESSAGES = {
	"fr": """<p>Bonjour {{ doc.customer_name }},</p>
<p>Vous pouvez régler {{ doc.name }} par carte bancaire, en toute sécurité, à cette adresse :</p>
<p><a href="{{ payment_url }}">{{ payment_url }}</a></p>
<p>Vous pouvez aussi copier ce lien et le coller dans votre navigateur.</p>""",
	"en": """<p>Hello {{ doc.customer_name }},</p>
<p>You can pay {{ doc.name }} by card, securely, at this address:</p>
<p><a href="{{ payment_url }}">{{ payment_url }}</a></p>
<p>You can also copy this link and paste it into your browser.</p>""",
}
# The Payment Gateway Accounts' message, which ERPNext copies onto each request: the language is
# picked from the order or invoice when the e-mail is made; a Stancer request gets the text of
# its customer's language when it is submitted (`for_request`), so its form shows one.
LANGUAGE_CHOICE = '{% if (doc.language or "").startswith("fr") %}'
EMAIL_MESSAGE = LANGUAGE_CHOICE + MESSAGES["fr"] + "{% else %}" + MESSAGES["en"] + "{% endif %}"


def for_request(doc):
	"""A Payment Request's message and subject in its customer's language, set before submit
	(ERPNext writes its subject in English whoever the customer is)."""
	# The order's or invoice's language (ERPNext fills it from the Customer; it may be changed
	# on the document), else the customer's, else the site's.
	language = (
		frappe.db.get_value(doc.reference_doctype, doc.reference_name, "language")
		or payment_request_info.customer_language(doc)
		or frappe.get_system_settings("language")
		or "en"
	)
	lang = "fr" if language.startswith("fr") else "en"
	if not doc.message or doc.message.startswith(LANGUAGE_CHOICE):  # the app's, of any version
		doc.message = MESSAGES[lang]
	erpnext_subjects = (
		f"Payment Request for {doc.reference_name}",
		_("Payment Request for {0}").format(doc.reference_name),
	)
	if doc.subject in (None, "", *erpnext_subjects):
		doc.subject = _("Payment Request for {0}", lang=lang).format(doc.reference_name)


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
