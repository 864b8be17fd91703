"""The payment link and the return address, answered ahead of Frappe's website page machinery.

Their usual answer is a redirect (to Stancer's page, to the success page), which needs no page
rendering: sent straight out, a customer's click costs about what the app does. Any other
answer (failed, received, pending…) is rendered by the page itself, with the site's look; a
link or address that names nothing gets a small 404 of its own.
"""

from html import escape

import frappe
from frappe import _
from frappe.website.page_renderers.template_page import TemplatePage
from frappe.website.utils import build_response

from stancer_integration.templates.pages import stancer_checkout, stancer_return

PAGES = {"stancer_checkout": stancer_checkout, "stancer_return": stancer_return}
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate"}


class StancerPages:
	"""A `page_renderer` (hooks.py) for the app's two guest pages."""

	def __init__(self, path=None, http_status_code=None):
		self.path = (path or frappe.local.request.path).strip("/ ")
		self.http_status_code = http_status_code or 200

	def can_render(self):
		return self.path in PAGES

	def render(self):
		page = PAGES[self.path]
		try:
			result = page.answer()
		except frappe.PageDoesNotExistError:
			return build_response(self.path, not_found(), 404, dict(NO_STORE))
		if page.is_redirect(result):
			return build_response(self.path, "", 302, dict(NO_STORE, Location=result.location))
		frappe.flags.stancer_page_answer = result
		return TemplatePage(self.path, self.http_status_code).render()


def not_found():
	lang = escape(frappe.local.lang or "en")
	title = escape(_("Page not found"))
	text = escape(_("This payment link or address is not valid. Please use the link you were sent."))
	return (
		f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
		f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
		f'<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto; text-align: center">'
		f"<h2>{title}</h2><p>{text}</p></body></html>"
	)
