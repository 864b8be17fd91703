frappe.listview_settings["Stancer Payment"] = {
	add_fields: ["outcome", "needs_attention", "currency"],
	hide_name_column: true,
	get_indicator(doc) {
		if (doc.needs_attention) return [__("Needs Attention"), "red", "needs_attention,=,1"];
		const colours = {
			Paid: "green",
			Authorized: "blue",
			Pending: "orange",
			Failed: "red",
			Expired: "gray",
			Canceled: "gray",
			Refunded: "purple",
			Disputed: "red",
		};
		return [__(doc.outcome), colours[doc.outcome] || "gray", `outcome,=,${doc.outcome}`];
	},
};
