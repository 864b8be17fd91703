# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from stancer_integration.permissions import require_manager


class StancerRefund(Document):
	"""One refund (or cancelled authorization) of a Stancer payment, asked from Desk: the key
	for sending it once and booking it once. Written by the app only."""

	@frappe.whitelist()
	def refresh_from_stancer(self):
		"""Desk button: read the refund again from Stancer and record what changed."""
		require_manager()
		from stancer_integration.refunds import follow

		settings = frappe.get_doc("Stancer Settings", self.stancer_settings)
		with settings.get_client() as client:
			doc = follow(self.name, client)
		return {"status": doc.status, "message": _("Stancer says: {0}").format(_(doc.status))}
