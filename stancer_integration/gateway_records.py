"""The `Payment Gateway` and `Payment Gateway Account` records that make a Stancer account
selectable in ERPNext, kept in step with its Stancer Settings.

ERPNext's own `payment_gateway_enabled` hook (create_payment_gateway_account) serves only the
default company and makes its account the default, taking that away from any other gateway,
so the app creates these records itself and never fires that hook.
"""

import frappe
from frappe import _

from stancer_integration.link_sharing import EMAIL_MESSAGE

GATEWAY_PREFIX = "Stancer-"
SETTINGS_DOCTYPE = "Stancer Settings"


def gateway_name(settings_name):
	return f"{GATEWAY_PREFIX}{settings_name}"


def mode_of_payment_name(settings_name):
	"""The Mode of Payment of a settings document: named as its gateway."""
	return gateway_name(settings_name)


def sync(settings):
	"""Create or update the gateway records of `settings`; return (gateway, gateway account)."""
	gateway = ensure_payment_gateway(settings.name)
	account = settings.payment_account or ensure_payment_account(settings)
	gateway_account = ensure_gateway_account(settings, gateway, account)
	drop_stale_gateway_accounts(gateway, keep=gateway_account)
	ensure_mode_of_payment(settings, gateway, account)
	return gateway, gateway_account


def link_fields(doctype, target):
	"""The Link fields of `doctype` pointing at `target`, read from the doctype's metadata:
	ERPNext adds `mode_of_payment` to Payment Gateway on some versions, Dokos v4 links the
	gateway from Mode of Payment under a name its documentation does not give."""
	return [
		df.fieldname
		for df in frappe.get_meta(doctype).fields
		if df.fieldtype == "Link" and df.options == target
	]


def ensure_mode_of_payment(settings, gateway, account):
	"""One Mode of Payment per settings document, whose account for the settings' company is
	the gateway's; linked both ways with the Payment Gateway where the doctypes have the field."""
	name = mode_of_payment_name(settings.name)
	if frappe.db.exists("Mode of Payment", name):
		doc = frappe.get_doc("Mode of Payment", name)
	else:
		doc = frappe.new_doc("Mode of Payment")
		doc.mode_of_payment = name
		doc.enabled = 1
		if "Bank" in (frappe.get_meta("Mode of Payment").get_field("type").options or "").split("\n"):
			doc.type = "Bank"
	before = doc.as_dict(no_default_fields=True)
	row = next((r for r in doc.accounts if r.company == settings.company), None)
	if row is None:
		row = doc.append("accounts", {"company": settings.company})
	row.default_account = account
	for fieldname in link_fields("Mode of Payment", "Payment Gateway"):
		doc.set(fieldname, gateway)
	if doc.is_new():
		try:
			doc.insert(ignore_permissions=True)
		except frappe.DuplicateEntryError:
			# Made meanwhile by a save of the same settings in another request: update that one.
			return ensure_mode_of_payment(settings, gateway, account)
	elif doc.as_dict(no_default_fields=True) != before:
		doc.save(ignore_permissions=True)
	fields = link_fields("Payment Gateway", "Mode of Payment")
	if fields:
		frappe.db.set_value("Payment Gateway", gateway, dict.fromkeys(fields, doc.name))
	return doc.name


def mode_of_payment_of(payment_gateway):
	"""The Mode of Payment of a Stancer gateway, when it exists."""
	name = payment_gateway and payment_gateway.startswith(GATEWAY_PREFIX) and payment_gateway
	return name if name and frappe.db.exists("Mode of Payment", name) else None


def drop_mode_of_payment(settings_name):
	"""Delete the settings' Mode of Payment unless entries use it (they keep it, disabled)."""
	name = mode_of_payment_name(settings_name)
	if not frappe.db.exists("Mode of Payment", name):
		return
	frappe.db.savepoint("stancer_mode_of_payment")
	try:
		frappe.delete_doc("Mode of Payment", name, ignore_permissions=True)
	except frappe.LinkExistsError:
		frappe.db.rollback(save_point="stancer_mode_of_payment")
		frappe.db.set_value("Mode of Payment", name, "enabled", 0)


def ensure_payment_gateway(settings_name):
	name = gateway_name(settings_name)
	if not frappe.db.exists("Payment Gateway", name):
		frappe.get_doc(
			{
				"doctype": "Payment Gateway",
				"gateway": name,
				"gateway_settings": SETTINGS_DOCTYPE,
				"gateway_controller": settings_name,
			}
		).insert(ignore_permissions=True)
		return name
	current = frappe.db.get_value(
		"Payment Gateway", name, ["gateway_settings", "gateway_controller"], as_dict=True
	)
	if (current.gateway_settings, current.gateway_controller) != (SETTINGS_DOCTYPE, settings_name):
		frappe.db.set_value(
			"Payment Gateway",
			name,
			{"gateway_settings": SETTINGS_DOCTYPE, "gateway_controller": settings_name},
		)
	return name


def ensure_payment_account(settings):
	"""The company's bank account named after the gateway, in the gateway's currency, created
	under its Bank group (a change of currency gets an account of its own)."""
	account_name = gateway_name(settings.name)
	filters = {"company": settings.company, "is_group": 0, "account_currency": settings.currency}
	for name in (account_name, f"{account_name} {settings.currency}"):
		existing = frappe.db.get_value("Account", dict(filters, account_name=name), "name")
		if existing:
			return existing
	if frappe.db.exists("Account", {"account_name": account_name, "company": settings.company}):
		account_name = f"{account_name} {settings.currency}"
	parent = frappe.db.get_value(
		"Account",
		{"account_type": "Bank", "is_group": 1, "root_type": "Asset", "company": settings.company},
		"name",
	)
	if not parent:
		frappe.throw(
			_(
				"Company {0} has no group account of type Bank. Choose a Payment Account in Stancer Settings."
			).format(frappe.bold(settings.company))
		)
	account = frappe.get_doc(
		{
			"doctype": "Account",
			"account_name": account_name,
			"parent_account": parent,
			"company": settings.company,
			"account_type": "Bank",
			"account_currency": settings.currency,
			"is_group": 0,
		}
	)
	account.insert(ignore_permissions=True)
	return account.name


def validate_payment_account(settings):
	if not settings.payment_account:
		return
	account = frappe.db.get_value(
		"Account",
		settings.payment_account,
		["company", "account_type", "account_currency", "is_group"],
		as_dict=True,
	)
	if not account or account.company != settings.company:
		frappe.throw(
			_("The Payment Account {0} does not belong to company {1}.").format(
				frappe.bold(settings.payment_account), frappe.bold(settings.company)
			)
		)
	if account.is_group or account.account_type not in ("Bank", "Cash"):
		frappe.throw(_("The Payment Account must be a Bank or Cash account, not a group."))
	if account.account_currency and account.account_currency != settings.currency:
		frappe.throw(
			_("The Payment Account is in {0} but the gateway's currency is {1}.").format(
				account.account_currency, settings.currency
			)
		)


def ensure_gateway_account(settings, gateway, account):
	filters = {"payment_gateway": gateway, "company": settings.company, "currency": settings.currency}
	name = frappe.db.get_value("Payment Gateway Account", filters, "name")
	if name:
		doc = frappe.get_doc("Payment Gateway Account", name)
		# A message without the link (ERPNext's default, or this app's before it carried one)
		# gets the one with the link; a merchant's own message with the link is kept.
		no_link = "payment_url" not in (doc.message or "")
		changed = no_link or doc.payment_account != account or (settings.make_default and not doc.is_default)
		if changed:
			if no_link:
				doc.message = EMAIL_MESSAGE
			doc.payment_account = account
			if settings.make_default:
				doc.is_default = 1  # ERPNext's validate then clears the company's other default
			doc.save(ignore_permissions=True)
		return doc.name
	doc = frappe.get_doc(
		{
			"doctype": "Payment Gateway Account",
			"payment_gateway": gateway,
			"payment_account": account,
			"company": settings.company,
			"payment_channel": "Email",
			"message": EMAIL_MESSAGE,
			# Only when asked; ERPNext still makes it the default when the company has none at all.
			"is_default": 1 if settings.make_default else 0,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def drop_stale_gateway_accounts(gateway, keep):
	"""After a change of company or currency: remove this gateway's other accounts no Payment
	Request uses (those in use stay, so their documents keep working)."""
	for name in frappe.get_all(
		"Payment Gateway Account", filters={"payment_gateway": gateway, "name": ("!=", keep)}, pluck="name"
	):
		if not frappe.db.exists("Payment Request", {"payment_gateway_account": name}):
			frappe.delete_doc("Payment Gateway Account", name, ignore_permissions=True, force=True)


def rename(old_settings_name, new_settings_name):
	"""Follow a rename of Stancer Settings: the gateway and its accounts take the new name."""
	old, new = gateway_name(old_settings_name), gateway_name(new_settings_name)
	if frappe.db.exists("Payment Gateway", old) and not frappe.db.exists("Payment Gateway", new):
		frappe.rename_doc("Payment Gateway", old, new, force=True, show_alert=False)
	ensure_payment_gateway(new_settings_name)
	old_mode, new_mode = mode_of_payment_name(old_settings_name), mode_of_payment_name(new_settings_name)
	if frappe.db.exists("Mode of Payment", old_mode) and not frappe.db.exists("Mode of Payment", new_mode):
		frappe.rename_doc("Mode of Payment", old_mode, new_mode, force=True, show_alert=False)
	for name in frappe.get_all("Payment Gateway Account", filters={"payment_gateway": new}, pluck="name"):
		if name.startswith(old + " - "):
			target = new + name[len(old) :]
			if not frappe.db.exists("Payment Gateway Account", target):
				frappe.rename_doc("Payment Gateway Account", name, target, force=True, show_alert=False)
