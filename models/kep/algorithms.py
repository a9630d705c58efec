"""The signature and hash algorithms a .p7s may name: their identifiers (the Ukrainian national
ones among them), their names for people, the hashes Python computes here, and the RSA/ECDSA
signature check shared with the plain CAdES reader (models.services.report.cades)."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

# Ukrainian national algorithms.
GOST34311 = "1.2.804.2.1.1.1.1.2.1"
DSTU4145_LE = "1.2.804.2.1.1.1.1.3.1.1"
DSTU4145_BE = "1.2.804.2.1.1.1.1.3.1.2"
ALGORITHM_NAMES = {
    GOST34311: "ГОСТ 34.311-95",
    "1.2.804.2.1.1.1.1.2.2.1": "ДСТУ 7564:2014 (Купина-256)",
    "1.2.804.2.1.1.1.1.2.2.2": "ДСТУ 7564:2014 (Купина-384)",
    "1.2.804.2.1.1.1.1.2.2.3": "ДСТУ 7564:2014 (Купина-512)",
    DSTU4145_LE: "ДСТУ 4145-2002",
    DSTU4145_BE: "ДСТУ 4145-2002",
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.113549.1.1.11": "RSA (SHA-256)",
    "1.2.840.113549.1.1.12": "RSA (SHA-384)",
    "1.2.840.113549.1.1.13": "RSA (SHA-512)",
    "1.2.840.10045.2.1": "ECDSA",
    "1.2.840.10045.4.3.2": "ECDSA (SHA-256)",
    "1.2.840.10045.4.3.3": "ECDSA (SHA-384)",
    "1.2.840.10045.4.3.4": "ECDSA (SHA-512)",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
    "1.3.14.3.2.26": "SHA-1",
}
UKRAINIAN = {oid for oid in ALGORITHM_NAMES if oid.startswith("1.2.804.")}
PY_DIGESTS = {
    "1.3.14.3.2.26": ("sha1", hashes.SHA1()),
    "2.16.840.1.101.3.4.2.4": ("sha224", hashes.SHA224()),
    "2.16.840.1.101.3.4.2.1": ("sha256", hashes.SHA256()),
    "2.16.840.1.101.3.4.2.2": ("sha384", hashes.SHA384()),
    "2.16.840.1.101.3.4.2.3": ("sha512", hashes.SHA512()),
}


def rsa_or_ecdsa_valid(
    key: CertificatePublicKeyTypes, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm
) -> bool:
    """An RSA (PKCS #1 v1.5) or ECDSA signature over ``data``, checked with `cryptography`;
    False for any other kind of key."""
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True
