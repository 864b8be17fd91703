"""The payment link and the return address, answered ahead of Frappe's website machinery.

Their usual answer is a redirect (to Stancer's page, to the success page), which needs no page
rendering. `answer_early` (a `before_request` hook) makes the answer before Frappe resolves the
website route — which builds every app's dynamic routes on each request, most of a click's
time — and sends a redirect or a 404 straight out. Any other answer (failed, received,
pending…) is rendered by the page itself, with the site's look, from the answer already made:
`StancerPages` (a `page_renderer`) hands it to the page.
"""

from html import escape

import frappe
from frappe import _
from frappe.website.page_renderers.template_page import TemplatePage
from frappe.website.utils import build_response
from werkzeug.exceptions import HTTPException

from stancer_integration.templates.pages import stancer_checkout, stancer_return

PAGES = {"stancer_checkout": stancer_checkout, "stancer_return": stancer_return}
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate"}


class Answered(HTTPException):
	"""A response made in `before_request`: Frappe's application returns an HTTPException as
	it is, so the website routing never runs — nor its end of request (no commit, no cookies):
	what these answers write, they commit themselves."""

	def __init__(self, response):
		super().__init__(response=response)


def answer_early():
	"""before_request hook (guest customers' clicks): answer the app's two pages before routing."""
	request = frappe.local.request
	if request.method not in ("GET", "HEAD"):
		return
	path = request.path.strip("/ ")
	page = PAGES.get(path)
	if page is None:
		return
	try:
		result = page.answer()
	except frappe.PageDoesNotExistError:
		raise Answered(build_response(path, not_found(), 404, dict(NO_STORE))) from None
	except Exception as error:
		# Shown by the website machinery as before (a rate limit's 429, say), not made again.
		frappe.flags.stancer_page_error = error
		return
	if page.is_redirect(result):
		raise Answered(build_response(path, "", 302, dict(NO_STORE, Location=result.location)))
	frappe.flags.stancer_page_answer = result


class StancerPages:
	"""A `page_renderer` (hooks.py) for the app's two guest pages."""

	def __init__(self, path=None, http_status_code=None):
		self.path = (path or frappe.local.request.path).strip("/ ")
		self.http_status_code = http_status_code or 200

	def can_render(self):
		return self.path in PAGES

	def render(self):
		page = PAGES[self.path]
		if frappe.flags.stancer_page_error:
			raise frappe.flags.stancer_page_error
		if frappe.flags.stancer_page_answer:
			return TemplatePage(self.path, self.http_status_code).render()
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
