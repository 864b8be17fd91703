// Copyright (c) 2026, stancer_integration contributors
// For license information, please see license.txt

// Stancer's refund statuses, in words (stancer-api.md §6).
const STANCER_REFUND_WORDS = {
	"": __("Not sent to Stancer yet"),
	to_refund: __("Stancer sends it to the bank within the day"),
	awaiting_approval: __("Waiting for Stancer's approval"),
	refund_sent: __("Sent to the cardholder's bank"),
	refunded: __("Credited to the cardholder"),
	failed: __("Failed: the money stayed with you"),
	not_honored: __("Not honoured: the payment was disputed meanwhile"),
	payment_canceled: __("The authorization was cancelled: nothing was taken"),
};

frappe.ui.form.on("Stancer Refund", {
	refresh(frm) {
		frm.disable_save();
		frm.set_df_property(
			"stancer_status",
			"description",
			STANCER_REFUND_WORDS[frm.doc.stancer_status || ""] ||
				__("A status this app does not know: check the refund in Stancer's dashboard")
		);
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
