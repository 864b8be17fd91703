"""In-memory state: accounts, their keys, and one partition of objects per (account, mode).

A secret key resolves to exactly one partition, so a key can never reach another account's or
mode's objects. All access goes through `Store.lock` (werkzeug serves requests in threads).
"""

import threading

from stancer_sandbox.ids import new_id, random_token

# The embedded demo account: fixed, documented keys so a person can try the sandbox at once.
DEMO_ACCOUNT = {
	"account_id": "acct_DemoSandboxAccount000001",
	"secret_key": "stest_DemoSandboxSecretTest001",
	"public_key": "ptest_DemoSandboxPublicTest001",
	"live_secret_key": "sprod_DemoSandboxSecretProd001",
	"live_public_key": "pprod_DemoSandboxPublicProd001",
}


class Account:
	__slots__ = ("account_id", "created", "name", "public_live", "public_test", "secret_live", "secret_test")

	def __init__(self, account_id, secret_test, public_test, secret_live, public_live, created, name=None):
		self.account_id = account_id
		self.name = name  # the merchant's name, shown on the hosted page as Stancer's shows it
		self.secret_test = secret_test
		self.public_test = public_test
		self.secret_live = secret_live
		self.public_live = public_live
		self.created = created

	def keys(self, live=False):
		"""The keys a caller uses: the pair of the asked mode first, both pairs anyway."""
		pair = (self.secret_live, self.public_live) if live else (self.secret_test, self.public_test)
		return {
			"account_id": self.account_id,
			"secret_key": pair[0],
			"public_key": pair[1],
			"live_mode": bool(live),
			"test": {"secret_key": self.secret_test, "public_key": self.public_test},
			"live": {"secret_key": self.secret_live, "public_key": self.public_live},
		}


class Partition:
	"""The objects of one account in one mode."""

	__slots__ = (
		"account_id",
		"cards",
		"customers",
		"failing_refunds",
		"intents",
		"live",
		"merchant_name",
		"order_ids",
		"payments",
		"refunds",
		"refunds_by_payment",
		"unique_ids",
		"webhooks",
	)

	def __init__(self, account_id, live, merchant_name=None):
		self.account_id = account_id
		self.live = live
		self.merchant_name = merchant_name
		self.payments = {}  # insertion order = creation order; lists walk it backwards
		self.intents = {}
		self.customers = {}
		self.cards = {}
		self.refunds = {}
		self.webhooks = {}
		self.unique_ids = {}  # unique_id -> payment id
		self.order_ids = {}  # order_id -> [payment ids]
		self.refunds_by_payment = {}
		self.failing_refunds = set()  # refund ids the bank will reject (fault fail_next_refund)


class Store:
	def __init__(self):
		self.lock = threading.RLock()
		self.accounts = {}
		self._secret_keys = {}  # secret key -> Partition
		self._public_keys = {}  # public key -> Partition
		self._partitions = {}

	def create_account(self, created, keys=None, name=None):
		"""Register a new account with a test and a live key pair; return the Account."""
		keys = keys or {}
		account = Account(
			keys.get("account_id") or new_id("acct"),
			keys.get("secret_key") or "stest_" + random_token(),
			keys.get("public_key") or "ptest_" + random_token(),
			keys.get("live_secret_key") or "sprod_" + random_token(),
			keys.get("live_public_key") or "pprod_" + random_token(),
			created,
			name,
		)
		with self.lock:
			self.accounts[account.account_id] = account
			for live, secret, public in (
				(False, account.secret_test, account.public_test),
				(True, account.secret_live, account.public_live),
			):
				part = Partition(account.account_id, live, name)
				self._partitions[(account.account_id, live)] = part
				self._secret_keys[secret] = part
				self._public_keys[public] = part
		return account

	def by_secret_key(self, key):
		return self._secret_keys.get(key) if isinstance(key, str) else None

	def by_public_key(self, key):
		return self._public_keys.get(key) if isinstance(key, str) else None

	def partition(self, account_id, live):
		return self._partitions.get((account_id, live))

	def partitions(self):
		return list(self._partitions.values())

	def public_key_of(self, part):
		account = self.accounts[part.account_id]
		return account.public_live if part.live else account.public_test

	def find_payment(self, payment_id):
		"""(partition, payment) for an id in any partition, for local pages; (None, None) if none."""
		with self.lock:
			for part in self._partitions.values():
				payment = part.payments.get(payment_id)
				if payment is not None:
					return part, payment
		return None, None

	def find_intent(self, intent_id, live):
		with self.lock:
			for part in self._partitions.values():
				if part.live == live and intent_id in part.intents:
					return part, part.intents[intent_id]
		return None, None
