// Copyright (c) 2026, stancer_integration contributors
// For license information, please see license.txt

frappe.listview_settings["Stancer Refund"] = {
	add_fields: ["status", "needs_attention", "currency"],
	hide_name_column: true,
	get_indicator(doc) {
		if (doc.needs_attention) {
			return [__("Needs Attention"), "red", "needs_attention,=,1"];
		}
		const colours = {
			Sending: "orange",
			"To Refund": "blue",
			"Sent to Bank": "blue",
			Refunded: "green",
			Failed: "red",
			"Not Sent": "gray",
			"Authorization Cancelled": "gray",
		};
		return [__(doc.status), colours[doc.status] || "gray", `status,=,${doc.status}`];
	},
};
