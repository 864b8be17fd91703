# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from stancer_integration.permissions import require_manager


class StancerPayment(Document):
	"""One Stancer payment attempt: the key for recording it exactly once and for its link.

	Written by the app only (the link, the return page, the Desk buttons).
	"""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		amount_minor: DF.Int
		attention_reason: DF.SmallText | None
		card_brand: DF.Data | None
		card_last4: DF.Data | None
		currency: DF.Link | None
		customer: DF.Link | None
		last_checked: DF.Datetime | None
		last_error: DF.SmallText | None
		link_token: DF.SmallText | None
		mode: DF.Literal["", "Test", "Live"]
		needs_attention: DF.Check
		outcome: DF.Literal[
			"Pending", "Authorized", "Paid", "Failed", "Expired", "Canceled", "Refunded", "Disputed"
		]
		payment_entry: DF.Link | None
		payment_request: DF.Link | None
		public_key: DF.Data | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		response_code: DF.Data | None
		stancer_customer_id: DF.Data | None
		stancer_id: DF.Data | None
		stancer_settings: DF.Link | None
		stancer_status: DF.Data | None
		unique_id: DF.Data | None
	# end: auto-generated types

	@frappe.whitelist()
	def refresh_from_stancer(self):
		"""Desk button: fetch the payment again and record it if it is paid."""
		require_manager()
		from stancer_integration.settlement import sync_record

		result = sync_record(self.name)
		return {"outcome": result.outcome, "message": _("Stancer says: {0}").format(_(result.outcome))}

	@frappe.whitelist()
	def capture(self):
		"""Desk button for "authorize now, capture later": take the money, then record it."""
		require_manager()
		from stancer_integration.authorizations import capture_record

		result = capture_record(self.name)
		return {"outcome": result.outcome, "payment_entry": result.payment_entry}

	@frappe.whitelist()
	def refund_defaults(self):
		"""What the Refund dialog offers: what is left, and the invoice a credit note can come from."""
		require_manager()
		from stancer_integration.refunds import defaults

		return defaults(self.name)

	@frappe.whitelist()
	def refund(self, amount=None, reason=None, credit_note=None, make_credit_note=0):
		"""Desk button: give back `amount` (all that is left when empty) once, and book it."""
		require_manager()
		from stancer_integration.refunds import refund

		name = refund(self.name, amount, reason, credit_note, frappe.utils.cint(make_credit_note))
		return frappe.db.get_value(
			"Stancer Refund", name, ["name", "status", "payment_entry", "credit_note"], as_dict=True
		)

	@frappe.whitelist()
	def cancel_authorization(self, cancel_request=0, reason=None):
		"""Desk button: let an authorization go before capture; no money moved, no entry."""
		require_manager()
		from stancer_integration.refunds import cancel_authorization

		name = cancel_authorization(self.name, frappe.utils.cint(cancel_request), reason)
		return frappe.db.get_value("Stancer Refund", name, ["name", "status"], as_dict=True)
