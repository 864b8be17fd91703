"""A self-signed certificate made at start, for `--tls`.

Uses the `cryptography` package when installed (Frappe depends on it), else the `openssl` CLI.
"""

import datetime
import ipaddress
import os
import shutil
import ssl
import subprocess
import tempfile

NAMES = ("localhost", "127.0.0.1", "::1")


def _with_cryptography(cert_path, key_path, host):
	from cryptography import x509
	from cryptography.hazmat.primitives import hashes, serialization
	from cryptography.hazmat.primitives.asymmetric import ec
	from cryptography.x509.oid import NameOID

	key = ec.generate_private_key(ec.SECP256R1())
	name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stancer-sandbox")])
	alt_names = []
	for value in {*NAMES, host}:
		try:
			alt_names.append(x509.IPAddress(ipaddress.ip_address(value)))
		except ValueError:
			alt_names.append(x509.DNSName(value))
	now = datetime.datetime.now(datetime.timezone.utc)
	cert = (
		x509.CertificateBuilder()
		.subject_name(name)
		.issuer_name(name)
		.public_key(key.public_key())
		.serial_number(x509.random_serial_number())
		.not_valid_before(now - datetime.timedelta(minutes=5))
		.not_valid_after(now + datetime.timedelta(days=30))
		.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
		.sign(key, hashes.SHA256())
	)
	with open(key_path, "wb") as handle:
		handle.write(
			key.private_bytes(
				serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
			)
		)
	with open(cert_path, "wb") as handle:
		handle.write(cert.public_bytes(serialization.Encoding.PEM))


def _with_openssl(cert_path, key_path, host):
	openssl = shutil.which("openssl")
	if not openssl:
		raise RuntimeError("--tls needs the `cryptography` package or the `openssl` command")
	san = ",".join(f"IP:{n}" if n[0].isdigit() or ":" in n else f"DNS:{n}" for n in {*NAMES, host})
	subprocess.run(
		[
			openssl,
			"req",
			"-x509",
			"-newkey",
			"rsa:2048",
			"-nodes",
			"-keyout",
			key_path,
			"-out",
			cert_path,
			"-days",
			"30",
			"-subj",
			"/CN=stancer-sandbox",
			"-addext",
			f"subjectAltName={san}",
		],
		check=True,
		capture_output=True,
	)


def server_context(host="127.0.0.1"):
	"""An SSLContext serving a fresh self-signed certificate; the files are deleted once loaded."""
	with tempfile.TemporaryDirectory(prefix="stancer-sandbox-tls-") as folder:
		cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
		try:
			_with_cryptography(cert_path, key_path, host)
		except ImportError:
			_with_openssl(cert_path, key_path, host)
		context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		context.load_cert_chain(cert_path, key_path)
	return context
