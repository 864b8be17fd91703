frappe.listview_settings["Stancer Payment"] = {
	add_fields: ["outcome", "needs_attention", "currency", "amount", "refunded_amount"],
	hide_name_column: true,
	get_indicator(doc) {
		if (doc.needs_attention) return [__("Needs Attention"), "red", "needs_attention,=,1"];
		if (doc.outcome === "Paid" && flt(doc.refunded_amount) > 0) {
			return flt(doc.refunded_amount) >= flt(doc.amount)
				? [__("Refunded"), "purple", "refunded_amount,>,0"]
				: [__("Partly Refunded"), "purple", "refunded_amount,>,0"];
		}
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
