# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt

from frappe.model.document import Document


class StancerCustomerReference(Document):
	"""One row per Stancer account and mode on a Customer: ids only, never card data."""
