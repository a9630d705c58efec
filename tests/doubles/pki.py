"""PKI doubles for the signing tests: a detached CAdES (.p7s) by the test signer and an RFC 3161
time-stamping authority over HTTP on loopback. The test CA and the signer's PKCS#12 themselves
are `api.demo.pki.make_pki` (the demo signs with them too); the `pki` fixture is in conftest."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

from api.demo.pki import TestPki
from tests.doubles.loopback import loopback_server


def detached_p7s(pki: TestPki, data: bytes) -> bytes:
    """A detached CAdES/PKCS#7 signature (DER) of `data` by the test signer."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(pki.signer_cert, pki.signer_key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


@dataclass
class LoopbackTsa:
    """An RFC 3161 time-stamping authority over HTTP on 127.0.0.1 (pyHanko's DummyTimeStamper
    behind a real server) and its self-signed certificate (extended key usage timeStamping)."""

    url: str
    cert_der: bytes
    requests: list[tsp.TimeStampReq] = field(default_factory=list)


def tsa_certificate() -> tuple[bytes, bytes]:
    """A self-signed TSA certificate (RSA, critical EKU timeStamping) and its PKCS#8 key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Тестовий TSA infoaudit"),
        ]
    )
    now = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.DER), pkcs8


@contextmanager
def loopback_tsa() -> Iterator[LoopbackTsa]:
    """A TSA answering `application/timestamp-query` POSTs on a loopback port."""
    cert_der, key_der = tsa_certificate()
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert_der),
        tsa_key=keys.PrivateKeyInfo.load(key_der),
    )
    received: list[tsp.TimeStampReq] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            request = tsp.TimeStampReq.load(body)
            received.append(request)
            reply = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

    with loopback_server(Handler) as base_url:
        yield LoopbackTsa(f"{base_url}/tsa", cert_der, received)
