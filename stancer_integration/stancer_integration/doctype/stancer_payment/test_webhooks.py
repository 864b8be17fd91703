# Copyright (c) 2026, stancer_integration contributors
# For license information, please see license.txt
"""Webhooks: registered from the settings, delivered by the sandbox to the real web server, kept
once, recorded by the job through the one recording path; forged, replayed, unsigned and
oversized deliveries change nothing."""

import json
import time

import frappe
import requests

from stancer_integration import webhooks
from stancer_integration.stancer import signatures
from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
	SUCCESS,
	CheckoutCase,
	records_for,
)
from stancer_integration.tests.helpers import (
	come_back,
	make_settings,
	pay_on_page,
	sandbox,
	web_server,
)

test_ignore = ["Company", "Customer", "Payment Request", "Payment Entry", "Stancer Settings", "Currency"]


def deliveries_kept(account):
	return frappe.get_all(
		"Integration Request",
		filters={"integration_request_service": "Stancer", "reference_docname": account},
		fields=["name", "status", "data"],
	)


def set_faults(settings, **values):
	requests.post(
		f"{sandbox().url}/_sandbox/faults",
		json=dict(values, account=settings.flags.sandbox_account),
		timeout=10,
	).raise_for_status()


class TestWebhooks(CheckoutCase):
	def registered(self, name):
		settings = make_settings(name)
		frappe.db.commit()
		status = webhooks.register(settings, base_url=web_server())
		frappe.db.commit()
		self.assertEqual(status, "Registered with Stancer.")
		return frappe.get_doc("Stancer Settings", settings.name)

	def wait_for_deliveries(self, account, earlier, seconds=15):
		"""The deliveries kept for `account` since `earlier` (names kept before), once one came."""
		deadline = time.monotonic() + seconds
		while time.monotonic() < deadline:
			frappe.db.commit()
			kept = [k for k in deliveries_kept(account) if k.name not in earlier]
			if kept:
				return kept
			time.sleep(0.3)
		return []

	def test_registering_twice_keeps_one_webhook_and_its_signing_secret(self):
		settings = self.registered("Hooks Register")
		first = settings.webhook_id
		webhooks.register(settings, base_url=web_server())
		frappe.db.commit()
		settings.reload()
		with settings.get_client() as client:
			hooks = client.webhooks.list()
		self.assertEqual([h["id"] for h in hooks], [settings.webhook_id])
		self.assertNotEqual(settings.webhook_id, first)
		self.assertTrue(settings.get_password("webhook_signing_secret").startswith("whsec_"))
		self.assertNotIn(settings.get_password("webhook_secret"), settings.webhook_url)
		# Neither secret reaches the form.
		shown = frappe.get_doc("Stancer Settings", settings.name).as_dict()
		for secret in (
			settings.get_password("webhook_secret"),
			settings.get_password("webhook_signing_secret"),
		):
			self.assertNotIn(secret, json.dumps(shown, default=str))

	def test_refused_registration_says_so_and_saving_works(self):
		settings = make_settings("Hooks Refused")
		frappe.db.commit()
		set_faults(settings, webhooks="unavailable")
		try:
			status = webhooks.register(settings, base_url=web_server())
			settings.reload()
			settings.three_d_secure = 1
			settings.save()
		finally:
			requests.delete(f"{sandbox().url}/_sandbox/faults", timeout=10)
		self.assertIn("not available for this account", status)
		self.assertFalse(settings.webhook_id)

	def test_disabling_the_settings_unregisters(self):
		settings = self.registered("Hooks Disable")
		settings.enabled = 0
		settings.save()
		frappe.db.commit()
		with settings.get_client() as client:
			self.assertEqual(client.webhooks.list(), [])
		self.assertFalse(frappe.db.get_value("Stancer Settings", settings.name, "webhook_id"))

	def test_delivered_twice_while_the_customer_returns_books_once(self):
		settings = self.registered("Hooks Deliver")
		earlier = {k.name for k in deliveries_kept(settings.name)}
		set_faults(settings, webhooks="duplicate")
		try:
			pr = self.new_request(settings=settings)
			opened = self.open_link(pr)
			back = pay_on_page(opened.headers["Location"], SUCCESS)
			self.wait_for_deliveries(settings.name, earlier)
		finally:
			requests.delete(f"{sandbox().url}/_sandbox/faults", timeout=10)
		time.sleep(1)  # the duplicate's arrival
		frappe.db.commit()
		kept = [k for k in deliveries_kept(settings.name) if k.name not in earlier]
		paid_events = [k for k in kept if "to_capture" in k.data or "captured" in k.data]
		self.assertTrue(paid_events, kept)
		self.assertEqual(len({k.name for k in kept}), len(kept))
		# The customer comes back while the worker runs the job.
		answer = come_back(back)
		for delivery in kept:
			webhooks.process(docname=delivery.name)
		frappe.db.commit()
		self.assertEqual(answer.status_code, 302)
		self.assertPaidOnce(pr)
		statuses = {frappe.db.get_value("Integration Request", k.name, "status") for k in kept}
		self.assertEqual(statuses, {"Completed"})

	def test_a_delivery_alone_records_the_payment(self):
		settings = self.registered("Hooks Alone")
		earlier = {k.name for k in deliveries_kept(settings.name)}
		pr = self.new_request(settings=settings)
		opened = self.open_link(pr)
		pay_on_page(opened.headers["Location"], SUCCESS)  # the tab is closed
		for delivery in self.wait_for_deliveries(settings.name, earlier):
			webhooks.process(docname=delivery.name)
		frappe.db.commit()
		self.assertPaidOnce(pr)

	def test_forged_replayed_unsigned_and_oversized_deliveries_change_nothing(self):
		settings = self.registered("Hooks Forged")
		pr = self.new_request(settings=settings)
		self.open_link(pr)
		frappe.db.commit()
		record = records_for(pr.name)[-1]
		body = json.dumps(
			{
				"id": f"evt_{frappe.generate_hash(length=10)}",
				"type": "payment.updated",
				"data": {"object": {"id": record.stancer_id}},
			}
		).encode()
		signing = settings.get_password("webhook_signing_secret")
		oversized = json.dumps({"id": "evt_big", "pad": "x" * 70000}).encode()
		good_url = webhooks.endpoint_url(settings, base_url=web_server())
		bad_key = webhooks.endpoint_url(settings, base_url=web_server()).rsplit("key=", 1)[0] + "key=nope"
		cases = [
			("wrong key", bad_key, {signatures.HEADER: signatures.sign(signing, body)}, body),
			("no key", good_url.split("&key=")[0], {signatures.HEADER: signatures.sign(signing, body)}, body),
			("unsigned", good_url, {}, body),
			("bad signature", good_url, {signatures.HEADER: signatures.sign("whsec_other", body)}, body),
			(
				"replayed",
				good_url,
				{signatures.HEADER: signatures.sign(signing, body, timestamp=time.time() - 3600)},
				body,
			),
			("oversized", good_url, {signatures.HEADER: signatures.sign(signing, oversized)}, oversized),
		]
		before = len(deliveries_kept(settings.name))
		for label, url, headers, payload in cases:
			answer = requests.post(
				url, data=payload, headers={"Content-Type": "application/json", **headers}, timeout=30
			)
			self.assertGreaterEqual(answer.status_code, 400, label)
			self.assertLess(answer.status_code, 500, (label, answer.text[:300]))
			self.assertNotIn(settings.get_password("webhook_secret"), answer.text, label)
		frappe.db.commit()
		self.assertEqual(len(deliveries_kept(settings.name)), before)
		self.assertEqual(frappe.db.get_value("Stancer Payment", record.name, "outcome"), "Pending")
		# The same delivery, properly signed, is kept once however often it comes.
		for _ in range(3):
			answer = requests.post(
				good_url,
				data=body,
				headers={
					"Content-Type": "application/json",
					signatures.HEADER: signatures.sign(signing, body),
				},
				timeout=30,
			)
			self.assertEqual(answer.status_code, 200, answer.text[:300])
		frappe.db.commit()
		self.assertEqual(len(deliveries_kept(settings.name)), before + 1)

	def test_only_refused_deliveries_count_against_an_address(self):
		from frappe.installer import update_site_config

		from stancer_integration.stancer_integration.doctype.stancer_payment.test_stancer_payment import (
			reset_rate_limits,
		)

		settings = self.registered("Hooks Limits")
		signing = settings.get_password("webhook_signing_secret")
		good_url = webhooks.endpoint_url(settings, base_url=web_server())
		bad_url = good_url.rsplit("key=", 1)[0] + "key=nope"
		update_site_config("stancer_rate_limit", 3)
		reset_rate_limits()
		try:
			good, bad = [], []
			for _ in range(5):
				body = json.dumps({"id": f"evt_{frappe.generate_hash(length=10)}", "type": "ping"}).encode()
				headers = {
					"Content-Type": "application/json",
					signatures.HEADER: signatures.sign(signing, body),
				}
				good.append(requests.post(good_url, data=body, headers=headers, timeout=30).status_code)
				bad.append(requests.post(bad_url, data=body, headers=headers, timeout=30).status_code)
		finally:
			update_site_config("stancer_rate_limit", 100000)
			reset_rate_limits()
		self.assertEqual(good, [200] * 5)
		self.assertEqual(bad, [403, 403, 403, 429, 429])

	def test_a_copy_of_the_settings_gets_its_own_secret_and_no_webhook(self):
		settings = self.registered("Hooks Original")
		copy = frappe.copy_doc(settings, ignore_no_copy=False)  # as Desk's Duplicate does
		copy.gateway_name = f"Hooks Copy {frappe.generate_hash(length=5)}"
		copy.secret_key = settings.get_password("secret_key")  # a Password is typed again on a copy
		copy.insert(ignore_permissions=True)
		self.assertFalse(copy.webhook_id)
		self.assertTrue(copy.get_password("webhook_secret"))
		self.assertNotEqual(copy.get_password("webhook_secret"), settings.get_password("webhook_secret"))
		frappe.db.rollback()
