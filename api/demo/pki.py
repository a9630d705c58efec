"""A throw-away PKI for the demo and the signing tests: a root CA and a signer certificate with
key usage non-repudiation (content commitment), as a PKCS#12 file. Never trusted anywhere."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TestPki:
    """The root certificate, the signer's certificate and key, and the PKCS#12 bundle."""

    root_pem: bytes
    root_der: bytes
    signer_cert: x509.Certificate
    signer_key: rsa.RSAPrivateKey
    pkcs12: bytes
    password: str


def _name(common_name: str, *, title: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Тестова міська рада"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    return x509.Name(attributes)


def make_pki(
    signer_name: str = "Тестенко Марія Іванівна",
    title: str = "секретар міської ради",
    password: str = "test-password",
) -> TestPki:
    """Generate a root CA and a signer certificate (RSA 2048, non-repudiation)."""
    now = datetime.now(UTC) - timedelta(days=1)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name("Тестовий ЦСК infoaudit")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name, title=title))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        name=b"infoaudit-test",
        key=key,
        cert=cert,
        cas=[root],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    return TestPki(
        root_pem=root.public_bytes(serialization.Encoding.PEM),
        root_der=root.public_bytes(serialization.Encoding.DER),
        signer_cert=cert,
        signer_key=key,
        pkcs12=bundle,
        password=password,
    )
