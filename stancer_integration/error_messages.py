"""Translated messages for the core's typed errors (the core itself speaks English only)."""

from frappe import _

from stancer_integration.stancer import errors


def validation_message(error):
	"""A translated sentence for a core ValidationError, from its rule code and parameters."""
	p = error.params
	messages = {
		"currency": lambda: _("Stancer does not accept payments in {0}. Accepted currencies: {1}.").format(
			p.get("currency"), p.get("accepted")
		),
		"amount_minimum": lambda: _("Stancer does not accept amounts below {0} minor units (cents).").format(
			p.get("minimum")
		),
		"amount_type": lambda: _("The amount is not valid."),
		"amount_invalid": lambda: _("The amount is not valid."),
		"amount_decimals": lambda: _("Amounts in {0} cannot have decimals.").format(p.get("currency")),
		"description_length": lambda: _("The payment description must be {0} to {1} characters long.").format(
			p.get("min"), p.get("max")
		),
		"reference_length": lambda: _(
			"The Stancer reference {0} must be at most {1} characters long."
		).format(p.get("field"), p.get("max")),
		"url": lambda: _("The return address of the payment is not a valid URL."),
		"url_https": lambda: _(
			"Stancer only returns customers to https addresses: enable https on this site."
		),
		"key_format": lambda: _(
			"The {0} is not a Stancer key: a Stancer key starts with stest_, sprod_, ptest_ or pprod_ followed by 24 letters or digits."
		).format(key_label(error.field)),
		"secret_key_missing": lambda: _("The secret key is missing."),
		"secret_key_prefix": lambda: _(
			"The secret key must start with stest_ (test) or sprod_ (live). Did you paste the public key?"
		),
		"public_key_prefix": lambda: _(
			"The public key must start with ptest_ (test) or pprod_ (live). Did you paste the secret key?"
		),
		"key_mode_mismatch": lambda: _(
			"The public key is a {0} key but the secret key is a {1} key: use both keys of the same mode."
		).format(mode_label(p.get("public_mode")), mode_label(p.get("secret_mode"))),
		"customer_name_length": lambda: _(
			"The customer name sent to Stancer must be 3 to 64 characters long."
		),
		"customer_email_length": lambda: _(
			"The customer email sent to Stancer must be 5 to 64 characters long."
		),
		"customer_mobile_length": lambda: _(
			"The customer mobile number sent to Stancer must be 8 to 16 characters long."
		),
		"customer_contact_missing": lambda: _("Stancer needs an email or a mobile number for the customer."),
		"live_key_host": lambda: _(
			"Live keys are only ever sent to Stancer's own API, https://{0}: a sandbox or another address takes test keys."
		).format(p.get("host")),
		"api_base": lambda: _(
			"The API base URL must use https (plain http only for a sandbox on this machine)."
		),
	}
	build = messages.get(error.code)
	return build() if build else _("Invalid Stancer request: {0}").format(error.message)


def key_label(field):
	return {"secret_key": _("secret key"), "public_key": _("public key")}.get(field, _("key"))


def mode_label(mode):
	return _("Live") if mode == "live" else _("Test")


def error_message(error):
	"""A translated sentence for any core error, safe to show (no key in it)."""
	if isinstance(error, errors.ValidationError):
		return validation_message(error)
	if isinstance(error, errors.AuthenticationError):
		return _("Stancer refused the secret key. Check it in Stancer Settings.")
	if isinstance(error, errors.UnavailableError):
		return _("Stancer cannot be reached right now. Please try again in a few minutes.")
	if isinstance(error, errors.NotFoundError):
		return _("Stancer does not know this object for this account and mode.")
	if isinstance(error, errors.ConflictError):
		return _("Stancer refused a duplicate: {0}").format(error.message)
	if isinstance(error, errors.InvalidRequestError):
		return _("Stancer refused the request: {0}").format(error.message)
	return _("Unexpected answer from Stancer: {0}").format(error.message)
