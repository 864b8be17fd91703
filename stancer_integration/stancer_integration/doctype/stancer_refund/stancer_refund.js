// Copyright (c) 2026, stancer_integration contributors
// For license information, please see license.txt

frappe.ui.form.on("Stancer Refund", {
	refresh(frm) {
		frm.disable_save();
		if (frm.doc.needs_attention) {
			frm.dashboard.set_headline_alert(frm.doc.attention_reason || __("Needs attention"), "red");
		}
		const open = ["Sending", "To Refund", "Sent to Bank"].includes(frm.doc.status);
		if (open && frappe.user.has_role(["System Manager", "Accounts Manager"])) {
			frm.add_custom_button(__("Refresh from Stancer"), () => {
				frm.call({ doc: frm.doc, method: "refresh_from_stancer", freeze: true }).then((r) => {
					frappe.show_alert({ message: r.message.message, indicator: "blue" });
					frm.reload_doc();
				});
			});
		}
	},
});
