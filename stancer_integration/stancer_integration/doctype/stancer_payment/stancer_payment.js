// Copyright (c) 2026, stancer_integration contributors
// For license information, please see license.txt

// Stancer's raw statuses, in words (https://www.stancer.com documents them).
const STANCER_STATUS_WORDS = {
	"": __("Nothing decided yet: the customer has not paid on Stancer's page"),
	authorized: __("Authorized by the bank: the money is taken when captured"),
	to_capture: __("Paid: Stancer takes the money within the day"),
	capture_sent: __("Paid: the money is on its way"),
	captured: __("Paid: the money is credited"),
	refused: __("Refused by the bank"),
	failed: __("Failed"),
	expired: __("The authorization expired before it was captured"),
	canceled: __("Cancelled: nothing will be taken"),
	disputed: __("Disputed by the cardholder"),
};

frappe.ui.form.on("Stancer Payment", {
	refresh(frm) {
		frm.disable_save();
		if (frm.doc.needs_attention) {
			frm.dashboard.set_headline_alert(frm.doc.attention_reason || __("Needs attention"), "red");
		}
		const words =
			STANCER_STATUS_WORDS[frm.doc.stancer_status || ""] ||
			__("A status this app does not know: check the payment in Stancer's dashboard");
		frm.set_df_property("stancer_status", "description", words);
		const manager = frappe.user.has_role(["System Manager", "Accounts Manager"]);
		if (frm.doc.stancer_id && manager) {
			frm.add_custom_button(__("Refresh from Stancer"), () => {
				frm.call({ doc: frm.doc, method: "refresh_from_stancer", freeze: true }).then((r) => {
					frappe.show_alert({ message: r.message.message, indicator: "blue" });
					frm.reload_doc();
				});
			});
		}
		if (frm.doc.outcome === "Authorized" && manager) {
			frm.add_custom_button(__("Capture"), () => {
				const amount = format_currency(frm.doc.amount, frm.doc.currency);
				frappe.confirm(__("Take {0} from the customer's card now?", [amount]), () => {
					frm.call({ doc: frm.doc, method: "capture", freeze: true }).then((r) => {
						const result = r.message || {};
						frappe.msgprint({
							title: __("Capture"),
							indicator: result.payment_entry ? "green" : "orange",
							message: result.payment_entry
								? __("{0} captured; Payment Entry {1} made.", [amount, result.payment_entry])
								: __("Stancer says: {0}", [__(result.outcome)]),
						});
						frm.reload_doc();
					});
				});
			});
		}
	},
});
