"""A local fake Stancer (API v2, hosted page, webhooks, faults), like `localstripe` for Stripe.

Pure Python on werkzeug; nothing here imports frappe. See README.md in this folder.
"""

from stancer_integration.sandbox.cards import CARDS
from stancer_integration.sandbox.server import SandboxServer

__all__ = ["CARDS", "SandboxServer"]
