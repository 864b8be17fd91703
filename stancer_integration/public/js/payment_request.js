// The payment link of a Stancer Payment Request, where the accountant works: shown, copied, sent
// again; or why it does not work. Loaded on ERPNext's form through hooks.doctype_js (no core edit).
frappe.ui.form.on("Payment Request", {
	refresh(frm) {
		if (frm.is_new() || !(frm.doc.payment_gateway || "").startsWith("Stancer-")) return;
		frappe
			.call("stancer_integration.link_sharing.get_link", { payment_request: frm.doc.name })
			.then((r) => {
				const link = r.message || {};
				if (!link.stancer) return;
				if (!link.url) {
					frm.set_intro(link.message, link.indicator || "orange");
					return;
				}
				const shown = frappe.utils.escape_html(link.url);
				// The token is long and has no natural break: let it wrap anywhere.
				const anchor = `<a href="${shown}" target="_blank" rel="noopener" style="word-break: break-all">${shown}</a>`;
				frm.set_intro(__("Payment link: {0}", [anchor]), "blue");
				// ERPNext's own resend would be a second button doing the same: one is enough.
				frm.remove_custom_button(__("Resend Payment Email"));
				frm.add_custom_button(__("Copy Payment Link"), () => {
					frappe.utils.copy_to_clipboard(link.url);
				});
				frm.add_custom_button(__("Send Payment Link Again"), () => {
					frappe
						.call({
							method: "stancer_integration.link_sharing.send_link",
							args: { payment_request: frm.doc.name },
							freeze: true,
							freeze_message: __("Sending…"),
						})
						.then((answer) => frappe.show_alert({ message: answer.message, indicator: "green" }));
				});
			});
	},
});
