app_name = "stancer_integration"
app_title = "Stancer Integration"
app_publisher = "stancer_integration contributors"
app_description = "Stancer card payments for Dokos and ERPNext (payments, webshop)"
app_email = "contact@example.org"
app_license = "mit"

# ERPNext (or Dokos, which keeps the app name) and the payments app provide Payment Request,
# Payment Gateway and Payment Gateway Account.
required_apps = ["frappe/erpnext", "frappe/payments"]

# The payment link on ERPNext's Payment Request form (Copy, Send Again), without a core edit.
doctype_js = {
	"Payment Request": "public/js/payment_request.js",
	# The saved cards (brand, last 4, read from Stancer) and Forget, on the Stancer tab.
	"Customer": "public/js/customer.js",
}

# The payment link and return address answered ahead of the page machinery (a redirect is
# their usual answer); other answers are rendered by their pages in templates/pages.
page_renderer = ["stancer_integration.fast_pages.StancerPages"]
# …and made before the website route is resolved: a redirect or a 404 goes straight out.
# Stancer's deliveries likewise, ahead of the API handler: the endpoint answers in milliseconds.
before_request = [
	"stancer_integration.fast_pages.answer_early",
	"stancer_integration.webhooks.receive_early",
]

# The shop's Pay button: a shopper pays their own order through Stancer without "create"
# permission on Payment Request; anything else goes on to ERPNext's method unchanged.
override_whitelisted_methods = {
	"erpnext.accounts.doctype.payment_request.payment_request.make_payment_request": (
		"stancer_integration.shop_payments.make_payment_request"
	),
}

# Installation
# ------------
before_install = "stancer_integration.install.before_install"
after_install = "stancer_integration.install.after_install"
after_migrate = "stancer_integration.install.after_migrate"
before_uninstall = "stancer_integration.install.before_uninstall"

# Document events
# ---------------
doc_events = {
	"Payment Request": {
		# ERPNext swallows errors of on_payment_request_submission: refuse here instead.
		"before_submit": "stancer_integration.overrides.payment_request.validate_before_submit",
	},
	"Delivery Note": {
		# Authorize now, capture later: delivering the order takes the money.
		"on_submit": "stancer_integration.authorizations.on_delivery",
	},
	"Sales Invoice": {
		# A Stancer subscription's invoice: its saved card is charged by a job after the commit.
		"on_submit": "stancer_integration.renewals.on_invoice_submit",
	},
	"Customer": {
		# The Stancer ids on a Customer are written by the app only.
		"validate": "stancer_integration.overrides.customer.keep_references_read_only",
	},
}

# Scheduled jobs
# --------------
scheduler_events = {
	# Each account's own interval (Stancer Settings, "Reconcile every") is honoured inside.
	"cron": {"* * * * *": ["stancer_integration.reconciliation.run"]},
	# Renewals whose job was lost with its worker.
	"hourly": ["stancer_integration.renewals.sweep"],
}

# Dokos retries a failed notification through this hook (untested here: Dokos is not available).
webhooks_handler = {"Stancer": ["stancer_integration.webhooks.process"]}
