"""The WSGI application: API under /v1 and /v2, admin under /_sandbox, everything else is the page."""

import logging
import traceback

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from stancer_sandbox import admin, api, hosted_page, pages
from stancer_sandbox.api_errors import ApiError
from stancer_sandbox.demo import create_demo_payment

log = logging.getLogger(__name__)


class SandboxRequest(Request):
	max_content_length = 1024 * 1024  # no request body of the real API comes near this
	max_form_memory_size = 64 * 1024


class SandboxApp:
	def __init__(self, engine):
		self.engine = engine

	def __call__(self, environ, start_response):
		request = SandboxRequest(environ)
		try:
			response = self.dispatch(request)
		except Exception:
			log.error("sandbox error on %s %s\n%s", request.method, request.path, traceback.format_exc())
			response = api.json_response(500, ApiError(500, "Sandbox internal error").body())
		return response(environ, start_response)

	def dispatch(self, request):
		path = request.path
		if path.startswith(("/v1/", "/v2/")):
			return api.handle(self.engine, request)
		if path == "/_sandbox/demo":
			# A fresh demo payment on each visit: a person can always try the page again.
			return redirect(create_demo_payment(self.engine, request.host_url.rstrip("/")), 303)
		if path.startswith("/_sandbox/"):
			return admin.handle(self.engine, request)
		if path == "/":
			lang = pages.language(request.args.get("lang"))
			return Response(pages.index_page(lang, "/_sandbox/demo"), content_type=pages.HTML)
		segments = [segment for segment in path.split("/") if segment]
		return hosted_page.handle(self.engine, request, segments)
