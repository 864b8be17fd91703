"""A local fake Stancer (API v2, hosted page, webhooks, faults), like `localstripe` for Stripe.

Pure Python on werkzeug; nothing here imports frappe or the app (`stancer_integration`).
See sandbox/README.md.
"""

from stancer_sandbox.cards import CARDS
from stancer_sandbox.server import SandboxServer

__all__ = ["CARDS", "SandboxServer"]
