// The saved Stancer cards of a Customer, on its Stancer tab: brand and last 4 digits read from
// Stancer when the form is shown (never stored), per account and mode; an Accounts Manager can
// forget one (the customer withdrew consent). Loaded through hooks.doctype_js (no core edit).
frappe.ui.form.on("Customer", {
	refresh(frm) {
		const field = frm.fields_dict.stancer_references;
		if (frm.is_new() || !field) return;
		const $box = field.$wrapper.find(".stancer-saved-cards").length
			? field.$wrapper.find(".stancer-saved-cards")
			: $('<div class="stancer-saved-cards" style="margin-top: var(--margin-md)"></div>').appendTo(
					field.$wrapper
			  );
		$box.empty();
		if (!(frm.doc.stancer_references || []).some((row) => row.payment_method_id)) return;
		frappe
			.call("stancer_integration.saved_cards.cards_of", { customer: frm.doc.name })
			.then((r) => show_cards(frm, $box, r.message || []));
	},
});

function show_cards(frm, $box, cards) {
	const esc = frappe.utils.escape_html;
	$box.empty();
	if (!cards.length) return;
	$box.append(`<div class="text-muted small">${esc(__("Saved cards for subscriptions"))}</div>`);
	cards.forEach((card) => {
		const what = card.error
			? `<span class="text-warning">${esc(card.error)}</span>`
			: `<b>${esc(card.label)}</b> ${esc(__("expires {0}", [card.expiry]))}` +
			  (card.expired ? ` <span class="text-danger">${esc(__("expired"))}</span>` : "");
		const $line = $(
			`<div class="flex justify-between align-center" style="padding: 4px 0">
				<span>${esc(card.settings)} (${esc(__(card.mode || ""))}): ${what}</span>
			</div>`
		).appendTo($box);
		if (!card.can_forget) return;
		$(`<button class="btn btn-xs btn-default">${esc(__("Forget"))}</button>`)
			.appendTo($line)
			.on("click", () => {
				frappe.confirm(
					__(
						"Forget the card {0} saved with {1}? The customer's next renewals will be sent the payment link instead of being charged.",
						[esc(card.label || ""), esc(card.settings)]
					),
					() =>
						frappe
							.call({
								method: "stancer_integration.saved_cards.forget",
								args: { customer: frm.doc.name, row: card.row },
								freeze: true,
							})
							.then((answer) => {
								frappe.show_alert({ message: answer.message, indicator: "green" });
								frm.reload_doc();
							})
				);
			});
	});
}
