"""Payment Request hooks for requests that use a Stancer gateway."""

import frappe
from frappe import _

from stancer_integration import gateway_records, link_sharing
from stancer_integration.payment_request_info import settings_for_gateway


def validate_before_submit(doc, method=None):
	"""Refuse what Stancer would refuse, before the request is sent to a customer.

	ERPNext swallows any exception raised in on_payment_request_submission, so this check
	must happen here to be seen.
	"""
	settings = settings_for_gateway(doc.payment_gateway)
	if not settings:
		return
	if not settings.enabled:
		frappe.throw(_("The Stancer gateway {0} is disabled.").format(frappe.bold(doc.payment_gateway)))
	settings.validate_transaction_currency(doc.currency)
	settings.validate_minimum_transaction_amount(doc.currency, doc.grand_total)
	link_sharing.for_request(doc)
	if doc.meta.has_field("mode_of_payment") and not doc.get("mode_of_payment"):
		# ERPNext copies it onto the entries it makes (webshop's set_as_paid), as the app does.
		doc.mode_of_payment = gateway_records.mode_of_payment_of(doc.payment_gateway)
