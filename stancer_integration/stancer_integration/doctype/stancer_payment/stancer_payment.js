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
		const refunded = flt(frm.doc.refunded_amount);
		if (refunded > 0) {
			const whole = refunded >= flt(frm.doc.amount);
			frm.dashboard.set_headline_alert(
				whole
					? __("Refunded in full: {0}.", [format_currency(refunded, frm.doc.currency)])
					: __("{0} of {1} refunded.", [
							format_currency(refunded, frm.doc.currency),
							format_currency(frm.doc.amount, frm.doc.currency),
					  ]),
				"purple"
			);
		}
		const left = refunded < flt(frm.doc.amount);
		if (manager && frm.doc.outcome === "Paid" && frm.doc.payment_entry && left) {
			frm.add_custom_button(__("Refund"), () => refund_dialog(frm));
		}
		if (manager && frm.doc.outcome === "Authorized") {
			frm.add_custom_button(__("Cancel Authorization"), () => cancel_dialog(frm));
		}
	},
});

function refund_dialog(frm) {
	frm.call({ doc: frm.doc, method: "refund_defaults" }).then((r) => {
		const offer = r.message;
		const fields = [
			{
				fieldname: "amount",
				fieldtype: "Currency",
				label: __("Amount to Refund"),
				options: "currency",
				default: offer.left,
				reqd: 1,
				description: __("At most {0} is left to refund.", [
					format_currency(offer.left, offer.currency),
				]),
			},
			{ fieldname: "currency", fieldtype: "Data", hidden: 1, default: offer.currency },
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
			{
				fieldname: "credit_note",
				fieldtype: "Link",
				label: __("Credit Note"),
				options: "Sales Invoice",
				description: __("The refund is allocated to this credit note."),
				get_query: () => ({
					filters: {
						customer: frm.doc.customer,
						is_return: 1,
						docstatus: 1,
						outstanding_amount: ["<", 0],
					},
				}),
			},
		];
		if (offer.invoice) {
			fields.push({
				fieldname: "make_credit_note",
				fieldtype: "Check",
				label: __("Make the credit note from invoice {0}", [offer.invoice]),
				description: __("Only for a refund of the whole invoice."),
				depends_on: "eval:!doc.credit_note",
			});
		}
		const dialog = new frappe.ui.Dialog({
			title: __("Refund through Stancer"),
			fields,
			primary_action_label: __("Refund"),
			primary_action(values) {
				const amount = format_currency(values.amount, offer.currency);
				frappe.confirm(__("Give {0} back to the customer's card now?", [amount]), () => {
					dialog.hide();
					frm.call({
						doc: frm.doc,
						method: "refund",
						args: {
							amount: values.amount,
							reason: values.reason,
							credit_note: values.credit_note,
							make_credit_note: values.make_credit_note ? 1 : 0,
						},
						freeze: true,
						freeze_message: __("Sending the refund to Stancer…"),
					}).then((answer) => {
						const refund = answer.message || {};
						frappe.msgprint({
							title: __("Stancer Refund"),
							indicator: refund.payment_entry ? "green" : "orange",
							message: refund.payment_entry
								? __("{0} refunded; Payment Entry {1} made.", [
										amount,
										frappe.utils.get_form_link("Payment Entry", refund.payment_entry, true),
								  ])
								: __("Refund {0}: {1}", [
										frappe.utils.get_form_link("Stancer Refund", refund.name, true),
										__(refund.status),
								  ]),
						});
						frm.reload_doc();
					});
				});
			},
		});
		dialog.show();
	});
}

function cancel_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Cancel Authorization"),
		fields: [
			{
				fieldname: "then",
				fieldtype: "Select",
				label: __("Then"),
				options: [
					{ value: "keep", label: __("Keep the Payment Request payable (the customer can pay again)") },
					{ value: "cancel", label: __("Cancel the Payment Request") },
				],
				default: "keep",
			},
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
		],
		primary_action_label: __("Cancel Authorization"),
		primary_action(values) {
			dialog.hide();
			frm.call({
				doc: frm.doc,
				method: "cancel_authorization",
				args: { cancel_request: values.then === "cancel" ? 1 : 0, reason: values.reason },
				freeze: true,
			}).then(() => {
				frappe.show_alert({
					message: __("Authorization cancelled: nothing will be taken from the card."),
					indicator: "green",
				});
				frm.reload_doc();
			});
		},
	});
	dialog.show();
}
