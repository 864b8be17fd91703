// Copyright (c) 2026, stancer_integration contributors
// For license information, please see license.txt

frappe.ui.form.on("Stancer Settings", {
	setup(frm) {
		frm.set_query("payment_account", () => ({
			filters: {
				company: frm.doc.company,
				is_group: 0,
				account_type: ["in", ["Bank", "Cash"]],
			},
		}));
		frm.set_query("bank_account", () => ({
			filters: { company: frm.doc.company },
		}));
	},

	refresh(frm) {
		if (frm.doc.mode) {
			frm.dashboard.set_headline_alert(
				frm.doc.mode === "Live"
					? __("Live mode: customers are charged for real.")
					: __("Test mode: no real money moves."),
				frm.doc.mode === "Live" ? "orange" : "blue"
			);
		}
		if (!frm.is_new()) {
			frm.add_custom_button(__("Test Connection"), () => {
				frm.call({
					doc: frm.doc,
					method: "test_connection",
					freeze: true,
					freeze_message: __("Calling Stancer…"),
				}).then((r) => {
					const result = r.message || {};
					frappe.msgprint({
						title: result.ok ? __("Stancer connection") : __("Stancer connection failed"),
						message: result.message,
						indicator: result.ok ? "green" : "red",
					});
				});
			});
			frm.add_custom_button(__("Register Webhook"), () => {
				frm.call({
					doc: frm.doc,
					method: "register_webhook",
					freeze: true,
					freeze_message: __("Calling Stancer…"),
				}).then((r) => {
					const result = r.message || {};
					frappe.msgprint({
						title: __("Webhook"),
						message: result.message,
						indicator: result.registered ? "green" : "orange",
					});
					frm.reload_doc();
				});
			});
			frm.add_custom_button(__("Reconcile Now"), () => {
				frm.call({
					doc: frm.doc,
					method: "reconcile_now",
					freeze: true,
					freeze_message: __("Reading open payments from Stancer…"),
				}).then((r) => {
					frappe.msgprint({
						title: __("Reconciliation"),
						message: (r.message || {}).message,
						indicator: "blue",
					});
					frm.reload_doc();
				});
			});
		}
	},

	onload(frm) {
		// A new form gets the site's default currency: the company's is the right default.
		if (frm.is_new()) frm.trigger("set_company_currency");
	},

	company(frm) {
		frm.trigger("set_company_currency");
		frm.set_value("payment_account", "");
	},

	set_company_currency(frm) {
		if (!frm.doc.company) return;
		frappe.db.get_value("Company", frm.doc.company, "default_currency").then((r) => {
			if (r.message) frm.set_value("currency", r.message.default_currency);
		});
	},
});
