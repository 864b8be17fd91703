"""Webhook signatures: `Stancer-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`."""

import hashlib
import hmac
import inspect
import json

import pytest

from stancer_integration.stancer import signatures
from stancer_integration.stancer.errors import SignatureError

SECRET = "whsec_test_secret_for_the_suite"
HEX_SECRET = "00ff10aa" * 8
NOW = 1_767_225_600
BODY = json.dumps({"id": "evt_1", "type": "payment.updated", "data": {"id": "paym_x"}}).encode()


def reference_signature(key, timestamp, body):
	return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_round_trip():
	header = signatures.sign(SECRET, BODY, timestamp=NOW)
	assert header == f"t={NOW},v1={reference_signature(SECRET.encode(), NOW, BODY)}"
	assert signatures.verify(SECRET, BODY, header, now=NOW) == NOW


def test_round_trip_with_text_body_and_current_time():
	text = BODY.decode()
	assert signatures.verify(SECRET, text, signatures.sign(SECRET, text)) > 0
	# Text and bytes of the same body carry the same signature.
	assert signatures.sign(SECRET, text, NOW) == signatures.sign(SECRET, BODY, NOW)


@pytest.mark.parametrize(
	"body",
	[
		BODY.replace(b"paym_x", b"paym_y"),
		BODY + b" ",
		b"",
		BODY.upper(),
	],
)
def test_tampered_body(body):
	header = signatures.sign(SECRET, BODY, timestamp=NOW)
	with pytest.raises(SignatureError, match="does not match"):
		signatures.verify(SECRET, body, header, now=NOW)


def test_tampered_timestamp():
	header = signatures.sign(SECRET, BODY, timestamp=NOW)
	forged = header.replace(f"t={NOW}", f"t={NOW + 1}")
	with pytest.raises(SignatureError, match="does not match"):
		signatures.verify(SECRET, BODY, forged, now=NOW)


def test_wrong_secret():
	header = signatures.sign("another_secret", BODY, timestamp=NOW)
	with pytest.raises(SignatureError, match="does not match"):
		signatures.verify(SECRET, BODY, header, now=NOW)


@pytest.mark.parametrize("delta", [-301, 301, -3600, 86400])
def test_stale_or_future_timestamp(delta):
	header = signatures.sign(SECRET, BODY, timestamp=NOW + delta)
	with pytest.raises(SignatureError, match="too old or from the future"):
		signatures.verify(SECRET, BODY, header, now=NOW)


@pytest.mark.parametrize("delta", [-300, 0, 300])
def test_inside_tolerance(delta):
	header = signatures.sign(SECRET, BODY, timestamp=NOW + delta)
	assert signatures.verify(SECRET, BODY, header, now=NOW) == NOW + delta


def test_custom_tolerance():
	header = signatures.sign(SECRET, BODY, timestamp=NOW - 100)
	with pytest.raises(SignatureError):
		signatures.verify(SECRET, BODY, header, tolerance=60, now=NOW)
	assert signatures.DEFAULT_TOLERANCE == 300


def test_several_v1_one_valid():
	good = reference_signature(SECRET.encode(), NOW, BODY)
	header = f"t={NOW},v1={'0' * 64},v1={good},v1=deadbeef"
	assert signatures.verify(SECRET, BODY, header, now=NOW) == NOW
	# Order and spaces do not matter; upper-case hex is accepted.
	header = f" v1={'1' * 64} , v1={good.upper()} , t={NOW} "
	assert signatures.verify(SECRET, BODY, header, now=NOW) == NOW


def test_several_v1_none_valid():
	header = f"t={NOW},v1={'0' * 64},v1={'a' * 64}"
	with pytest.raises(SignatureError):
		signatures.verify(SECRET, BODY, header, now=NOW)


def test_other_schemes_ignored():
	good = reference_signature(SECRET.encode(), NOW, BODY)
	header = f"t={NOW},v0={good}"
	with pytest.raises(SignatureError, match="no v1"):
		signatures.verify(SECRET, BODY, header, now=NOW)


@pytest.mark.parametrize(
	"header, reason",
	[
		(None, "no signature header"),
		("", "no signature header"),
		(b"t=1,v1=00", "no signature header"),
		("garbage", "no timestamp"),
		("v1=abcdef", "no timestamp"),
		(f"t={NOW}", "no v1"),
		(f"t={NOW},v1=", "no v1"),
		("t=yesterday,v1=abcdef", "not a number"),
		(f"t={NOW},v1=é" + "0" * 63, "does not match"),  # non-ASCII must not crash compare_digest
		(f"t={NOW},v1=zz", "does not match"),
	],
)
def test_missing_or_malformed_header(header, reason):
	with pytest.raises(SignatureError, match=reason):
		signatures.verify(SECRET, BODY, header, now=NOW)


@pytest.mark.parametrize("secret", [None, "", b""])
def test_no_secret(secret):
	with pytest.raises(SignatureError):
		signatures.verify(secret, BODY, f"t={NOW},v1=00", now=NOW)
	with pytest.raises(SignatureError):
		signatures.sign(secret, BODY, NOW)


@pytest.mark.parametrize("secret", [HEX_SECRET, "whsec_" + HEX_SECRET, HEX_SECRET.encode()])
def test_hex_decoded_secret_variant(secret):
	# A sender keying the HMAC with the hex-decoded secret is accepted too (sources disagree).
	key = bytes.fromhex(HEX_SECRET)
	header = f"t={NOW},v1={reference_signature(key, NOW, BODY)}"
	assert signatures.verify(secret, BODY, header, now=NOW) == NOW


def test_hex_variant_does_not_accept_other_keys():
	header = f"t={NOW},v1={reference_signature(bytes.fromhex('11' * 32), NOW, BODY)}"
	with pytest.raises(SignatureError):
		signatures.verify(HEX_SECRET, BODY, header, now=NOW)


def test_verify_compares_in_constant_time():
	assert "hmac.compare_digest" in inspect.getsource(signatures.verify)
	assert "==" not in inspect.getsource(signatures.verify).split("for key in")[1]


def test_header_name():
	assert signatures.HEADER == "Stancer-Signature"
