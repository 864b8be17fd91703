// Copyright (c) 2026, stancer_integration contributors
// For license information, please see license.txt

frappe.ui.form.on("Stancer Payment", {
	refresh(frm) {
		if (frm.doc.needs_attention) {
			frm.dashboard.set_headline_alert(frm.doc.attention_reason || __("Needs attention"), "red");
		}
		if (frm.doc.stancer_id && frappe.user.has_role(["System Manager", "Accounts Manager"])) {
			frm.add_custom_button(__("Refresh from Stancer"), () => {
				frm.call({ doc: frm.doc, method: "refresh_from_stancer", freeze: true }).then((r) => {
					frappe.show_alert({ message: r.message.message, indicator: "blue" });
					frm.reload_doc();
				});
			});
		}
		if (frm.doc.outcome === "Authorized" && frappe.user.has_role(["System Manager", "Accounts Manager"])) {
			frm.add_custom_button(__("Capture"), () => {
				frm.call({ doc: frm.doc, method: "capture", freeze: true }).then(() => frm.reload_doc());
			});
		}
	},
});
