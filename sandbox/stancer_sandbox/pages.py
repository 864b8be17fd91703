"""HTML of the hosted payment page, in English or French: small, self-contained, all escaped."""

import json
from html import escape

from stancer_sandbox.cards import CARDS

HTML = "text/html; charset=utf-8"

TEXT = {
	"en": {
		"title": "Payment",
		"sandbox": "Stancer sandbox: no real card is charged.",
		"amount": "Amount",
		"card_number": "Card number",
		"expiry": "Expiry (MM/YY)",
		"cvc": "CVC",
		"pay": "Pay",
		"test_cards": "Test cards",
		"test_cards_hint": "Any future expiry date and any 3-digit CVC.",
		"invalid_number": "The card number is not valid.",
		"invalid_expiry": "The expiry date must be written MM/YY.",
		"expired": "This card has expired.",
		"invalid_cvc": "The CVC must be 3 digits.",
		"processed_title": "Payment already processed",
		"processed_text": "This payment has already been processed. Status:",
		"pending_title": "Payment being processed",
		"pending_text": "This payment is being processed. Status:",
		"back": "Back to the shop",
		"threeds_title": "3-D Secure authentication",
		"threeds_text": "Your bank asks you to confirm this payment.",
		"authenticate": "Authenticate",
		"cancel": "Cancel",
		"result_title": "Payment finished",
		"not_found_title": "Payment not found",
		"not_found_text": "This payment link is not valid.",
		"status": "Status:",
		"return_title": "Payment status",
		"index_text": "A local fake of the Stancer API and payment page.",
	},
	"fr": {
		"title": "Paiement",
		"sandbox": "Bac à sable Stancer : aucune carte réelle n'est débitée.",
		"amount": "Montant",
		"card_number": "Numéro de carte",
		"expiry": "Date d'expiration (MM/AA)",
		"cvc": "Cryptogramme (CVC)",
		"pay": "Payer",
		"test_cards": "Cartes de test",
		"test_cards_hint": "N'importe quelle date d'expiration future et n'importe quel CVC à 3 chiffres.",
		"invalid_number": "Le numéro de carte n'est pas valide.",
		"invalid_expiry": "La date d'expiration doit être écrite MM/AA.",
		"expired": "Cette carte est expirée.",
		"invalid_cvc": "Le cryptogramme doit comporter 3 chiffres.",
		"processed_title": "Paiement déjà traité",
		"processed_text": "Ce paiement a déjà été traité. Statut :",
		"pending_title": "Paiement en cours de traitement",
		"pending_text": "Ce paiement est en cours de traitement. Statut :",
		"back": "Retour au site marchand",
		"threeds_title": "Authentification 3-D Secure",
		"threeds_text": "Votre banque vous demande de confirmer ce paiement.",
		"authenticate": "Authentifier",
		"cancel": "Annuler",
		"result_title": "Paiement terminé",
		"not_found_title": "Paiement introuvable",
		"not_found_text": "Ce lien de paiement n'est pas valide.",
		"status": "Statut :",
		"return_title": "Statut du paiement",
		"index_text": "Une imitation locale de l'API et de la page de paiement Stancer.",
	},
}

STYLE = (
	"body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#222;margin:0;padding:2rem 1rem}"
	"main{max-width:26rem;margin:auto;background:#fff;border-radius:8px;padding:1.5rem;"
	"box-shadow:0 1px 4px rgba(0,0,0,.15)}"
	".merchant{font-weight:600;color:#555;margin:0 0 .5rem}"
	"h1{font-size:1.3rem;margin:0 0 1rem}.amount{font-size:1.6rem;font-weight:600;margin:.2rem 0 1rem}"
	"label{display:block;margin:.7rem 0 .2rem;font-size:.9rem}"
	"input{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;border:1px solid #bbb;border-radius:4px}"
	".row{display:flex;gap:.8rem}.row>div{flex:1}"
	"button{margin-top:1.2rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:4px;"
	"background:#1a56db;color:#fff;cursor:pointer}button.secondary{background:#888}"
	".error{background:#fde8e8;color:#9b1c1c;padding:.6rem;border-radius:4px}"
	".note{font-size:.8rem;color:#666}table{width:100%;font-size:.8rem;border-collapse:collapse;margin-top:.5rem}"
	"td{padding:.2rem;border-top:1px solid #eee}code{font-size:.85rem}"
)


def language(raw):
	"""`fr`, `fr-FR`, `fr_FR` → French; anything else → English (Stancer falls back to English)."""
	return "fr" if (raw or "").lower().replace("_", "-").split("-")[0] == "fr" else "en"


def money(lang, amount, currency):
	value = f"{amount // 100}.{amount % 100:02d}"
	if lang == "fr":
		value = value.replace(".", ",")
	return f"{value} {(currency or '').upper()}"


def _page(lang, title, body, status_code=None):
	return (
		f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
		'<meta name="viewport" content="width=device-width,initial-scale=1">'
		f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
		f'<body><main>{body}<p class="note">{escape(TEXT[lang]["sandbox"])}</p></main></body></html>'
	)


def _summary(lang, payment):
	text = escape(payment.get("description") or "")
	merchant = payment.get("merchant")
	return (
		(f'<p class="merchant">{escape(merchant)}</p>' if merchant else "")
		+ f"<h1>{escape(TEXT[lang]['title'])}</h1>"
		+ (f"<p>{text}</p>" if text else "")
		+ f'<div class="amount">{escape(money(lang, payment["amount"], payment["currency"]))}</div>'
	)


def _test_cards(lang):
	label = "label_fr" if lang == "fr" else "label"
	rows = "".join(
		f"<tr><td><code>{escape(number)}</code></td><td>{escape(card[label])}</td></tr>"
		for number, card in CARDS.items()
	)
	t = TEXT[lang]
	return (
		f'<h2 style="font-size:1rem;margin-top:1.5rem">{escape(t["test_cards"])}</h2>'
		f'<p class="note">{escape(t["test_cards_hint"])}</p><table>{rows}</table>'
	)


def payment_form(lang, payment, action, error=None, expiry=""):
	t = TEXT[lang]
	error_html = f'<p class="error" role="alert">{escape(t[error])}</p>' if error else ""
	body = (
		_summary(lang, payment)
		+ error_html
		+ f'<form method="post" action="{escape(action)}" autocomplete="off">'
		f'<label for="number">{escape(t["card_number"])}</label>'
		'<input id="number" name="number" inputmode="numeric" placeholder="4242 4242 4242 4242" required>'
		'<div class="row"><div>'
		f'<label for="exp">{escape(t["expiry"])}</label>'
		f'<input id="exp" name="exp" placeholder="12/34" value="{escape(expiry)}" required></div><div>'
		f'<label for="cvc">{escape(t["cvc"])}</label>'
		'<input id="cvc" name="cvc" inputmode="numeric" placeholder="123" required></div></div>'
		f'<button type="submit">{escape(t["pay"])} {escape(money(lang, payment["amount"], payment["currency"]))}</button>'
		"</form>" + _test_cards(lang)
	)
	return _page(lang, t["title"], body)


def challenge_page(lang, payment, action):
	t = TEXT[lang]
	body = (
		f"<h1>{escape(t['threeds_title'])}</h1><p>{escape(t['threeds_text'])}</p>"
		f'<div class="amount">{escape(money(lang, payment["amount"], payment["currency"]))}</div>'
		f'<form method="post" action="{escape(action)}">'
		f'<button type="submit" name="action" value="authenticate">{escape(t["authenticate"])}</button>'
		f'<button type="submit" name="action" value="cancel" class="secondary">{escape(t["cancel"])}</button>'
		"</form>"
	)
	return _page(lang, t["threeds_title"], body)


def status_page(lang, title_key, text_key, status, return_url):
	t = TEXT[lang]
	link = f'<p><a href="{escape(return_url)}">{escape(t["back"])}</a></p>' if return_url else ""
	body = (
		f"<h1>{escape(t[title_key])}</h1>"
		f'<p>{escape(t[text_key])} <strong id="status">{escape(str(status) if status else "null")}</strong></p>{link}'
	)
	return _page(lang, t[title_key], body)


def message_page(lang, title_key, text_key):
	t = TEXT[lang]
	return _page(lang, t[title_key], f"<h1>{escape(t[title_key])}</h1><p>{escape(t[text_key])}</p>")


def _shown(value):
	# JSON spelling (null, false), as the API shows it.
	return value if isinstance(value, str) else json.dumps(value)


def return_page(lang, payment):
	t = TEXT[lang]
	rows = "".join(
		f"<tr><td>{escape(key)}</td><td><code>{escape(_shown(payment.get(key)))}</code></td></tr>"
		for key in ("id", "status", "response", "amount", "currency", "order_id", "live_mode")
	)
	body = (
		f"<h1>{escape(t['return_title'])}</h1>"
		f'<p>{escape(t["status"])} <strong id="status">{escape(_shown(payment.get("status")))}</strong></p>'
		f"<table>{rows}</table>"
	)
	return _page(lang, t["return_title"], body)


def index_page(lang, demo_link):
	t = TEXT[lang]
	link = f'<p><a href="{escape(demo_link)}">Demo payment</a></p>' if demo_link else ""
	return _page(lang, "Stancer sandbox", f"<h1>Stancer sandbox</h1><p>{escape(t['index_text'])}</p>{link}")
