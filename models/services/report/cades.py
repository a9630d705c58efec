"""Detached CAdES signatures (.p7s) at the byte level: reading one, binding it to the PDF by
its hash and checking what can be checked here; and what any signature says about itself.

A DSTU 4145 signature (the usual Ukrainian qualified e-signature) cannot be verified with these
libraries: it comes out as "not verified" with how to verify it, never as valid. No session here.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, tsp, x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import load_der_x509_certificate

from models.errors import Invalid
from models.kep.algorithms import ALGORITHM_NAMES, UKRAINIAN, rsa_or_ecdsa_valid
from models.kep.certificates import unarmor
from models.kep.names import ukrainian_name
from models.report import SignatureCheck

HOW_TO_VERIFY = (
    "Перевірте підпис у сервісі перевірки кваліфікованого електронного підпису "
    "(наприклад, https://id.gov.ua/verify або https://czo.gov.ua/verify): завантажте "
    "PDF-файл звіту і файл підпису .p7s."
)

# Digest algorithms Python can compute here; GOST 34.311 and Kupyna (DSTU 7564) are not.
_DIGESTS = {
    "sha1": hashlib.sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
_CRYPTO_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),
    "sha224": hashes.SHA224(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
# Ukrainian national algorithms (DSTU 4145 signatures, GOST 34.311 / DSTU 7564 hashes).
log = logging.getLogger("infoaudit.signoff")


@dataclass(frozen=True)
class SignatureFacts:
    """What a signature says about itself and what was verified here."""

    signer_name: str
    signer_position: str
    signed_at: datetime | None
    timestamped_at: datetime | None
    algorithm: str
    certificate: str
    check: SignatureCheck
    note: str
    kep_signers: str = ""  # КЕП: every signer as checked (JSON of models.kep.Signer)


def _name_of(subject: x509.Name) -> tuple[str, str, str]:
    """Common name, title (position) and organization of a certificate subject."""
    native = subject.native
    return (
        str(native.get("common_name") or native.get("surname") or ""),
        str(native.get("title") or ""),
        str(native.get("organization_name") or ""),
    )


def describe_certificate(cert: x509.Certificate) -> str:
    """Subject, issuer and serial number, for people."""
    return (
        f"Власник: {ukrainian_name(cert.subject)}; видавець: {ukrainian_name(cert.issuer)}; "
        f"серійний номер: {cert.serial_number:X}"
    )


def load_cms(data: bytes) -> cms.ContentInfo:
    """A CMS SignedData from DER, PEM or bare base64 bytes (Invalid when unreadable)."""
    try:
        info = cms.ContentInfo.load(unarmor(data))
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        info["content"].native  # noqa: B018 - parse everything now, fail early
    except Exception as exc:  # asn1crypto: ValueError/TypeError; unarmor: a damaged PEM
        log.warning("Unreadable .p7s upload: %s: %s", type(exc).__name__, exc)
        raise Invalid(
            "Файл не є підписом CAdES/PKCS#7 (.p7s): не вдалося його прочитати.", field="p7s"
        ) from exc
    return info


def _attr(signer_info: cms.SignerInfo, name: str) -> Any:
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == name:
            return attr["values"][0]
    return None


def _unsigned_attr(signer_info: cms.SignerInfo, dotted: str) -> Any:
    attrs = signer_info["unsigned_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].dotted == dotted:
            return attr["values"][0]
    return None


def _signer_certificate(signed_data: cms.SignedData, signer_info: cms.SignerInfo) -> Any:
    sid = signer_info["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if (
                cert.serial_number == sid.chosen["serial_number"].native
                and cert.issuer == sid.chosen["issuer"]
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _algorithm_name(algorithm: Any) -> str:
    dotted = algorithm["algorithm"].dotted
    if dotted in UKRAINIAN:
        return ALGORITHM_NAMES[dotted]
    try:
        return str(algorithm["algorithm"].native)
    except ValueError:
        return dotted


def _verify_signature(cert: x509.Certificate, signer_info: cms.SignerInfo, digest: str) -> bool:
    """RSA or ECDSA signature over the signed attributes, checked with `cryptography`."""
    key = load_der_x509_certificate(cert.dump()).public_key()
    signed_attrs = signer_info["signed_attrs"].untag().dump()
    # The signature covers the attributes re-encoded as a SET (tag 0x31), not as [0].
    signed_attrs = b"\x31" + signed_attrs[1:]
    signature = signer_info["signature"].native
    return rsa_or_ecdsa_valid(key, signature, signed_attrs, _CRYPTO_HASHES[digest])


def _timestamp_time(signer_info: cms.SignerInfo) -> datetime | None:
    token = _unsigned_attr(signer_info, "1.2.840.113549.1.9.16.2.14")
    if token is None:
        return None
    try:
        content = token["content"]["encap_content_info"]["content"].parsed
        if isinstance(content, tsp.TSTInfo):
            gen_time: datetime = content["gen_time"].native
            return gen_time
    except (ValueError, KeyError, TypeError):
        return None
    return None


def _kep_facts(p7s: bytes, pdf: bytes, trusted: list[bytes] | None) -> SignatureFacts:
    """A КЕП (DSTU 4145) .p7s checked by models.kep: refused unless every signature is valid."""
    import json

    from models.kep import ChainStatus, KepError, verify_detached

    try:
        result = verify_detached(p7s, pdf, trusted=trusted, allow_unchecked=True)
    except KepError as exc:
        raise Invalid(exc.message, field="p7s") from exc
    signers = result.signers
    for signer in signers:
        if signer.valid is False:
            raise Invalid(
                f"Підпис «{signer.name or 'невідомий підписувач'}» у файлі .p7s недійсний: "
                f"{signer.problem}",
                field="p7s",
            )
    if not result.checked:
        check = SignatureCheck.NOT_VERIFIED
    elif result.trusted:
        check = SignatureCheck.VALID
    elif all(s.chain in (ChainStatus.TRUSTED, ChainStatus.NOT_CHECKED) for s in signers):
        check = SignatureCheck.CHAIN_UNCHECKED
    else:
        check = SignatureCheck.UNTRUSTED
    lines = [
        f"{s.name or 'невідомий підписувач'}: {s.verdict}. {s.problem or s.chain_note}".strip()
        for s in signers
    ]
    if check == SignatureCheck.NOT_VERIFIED:
        lines.append(HOW_TO_VERIFY)
    first = signers[0]
    position = ", ".join(p for p in (first.position, first.organization) if p)
    return SignatureFacts(
        signer_name="; ".join(s.name or "невідомий підписувач" for s in signers),
        signer_position=position,
        signed_at=first.signed_at,
        timestamped_at=None,
        algorithm=first.algorithm,
        certificate="\n".join(s.certificate for s in signers),
        check=check,
        note=" ".join(lines),
        kep_signers=json.dumps([s.to_dict() for s in signers], ensure_ascii=False),
    )


def inspect_p7s(p7s: bytes, *, pdf: bytes, trusted: list[bytes] | None = None) -> SignatureFacts:
    """Read a detached CAdES signature of ``pdf``: signer, time and what can be checked here.

    A КЕП (Ukrainian algorithms) goes to models.kep, with ``trusted`` (the trusted list's
    certificates, None: no list). Raises Invalid when it is provably bound to another document.
    """
    from models.kep import is_ukrainian

    if is_ukrainian(p7s):
        return _kep_facts(p7s, pdf, trusted)
    info = load_cms(p7s)
    signed_data: cms.SignedData = info["content"]
    if not signed_data["signer_infos"]:
        raise Invalid("У файлі .p7s немає жодного підпису.", field="p7s")
    encapsulated = signed_data["encap_content_info"]["content"]
    if encapsulated is not None and encapsulated.native is not None:
        attached = encapsulated.native
        if isinstance(attached, bytes) and attached != pdf:
            raise Invalid(
                "Підпис містить інший документ, ніж цей PDF звіту: прийняти його не можна.",
                field="p7s",
            )
    signer_info: cms.SignerInfo = signed_data["signer_infos"][0]
    cert = _signer_certificate(signed_data, signer_info)
    name, position, organization = _name_of(cert.subject) if cert is not None else ("", "", "")
    signing_time = _attr(signer_info, "signing_time")
    signed_at = signing_time.native if signing_time is not None else None
    if isinstance(signed_at, datetime) and signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    digest_name = _algorithm_name(signer_info["digest_algorithm"])
    signature_name = _algorithm_name(signer_info["signature_algorithm"])
    algorithm = f"{signature_name}, геш {digest_name}"
    message_digest = _attr(signer_info, "message_digest")
    digest_key = signer_info["digest_algorithm"]["algorithm"].dotted
    try:
        digest_key = signer_info["digest_algorithm"]["algorithm"].native
    except ValueError:
        pass
    certificate = describe_certificate(cert) if cert is not None else "сертифікат не вкладено"
    if organization and position:
        position = f"{position}, {organization}"
    base: dict[str, Any] = {
        "signer_name": name or "невідомий підписувач",
        "signer_position": position or organization,
        "signed_at": signed_at,
        "timestamped_at": _timestamp_time(signer_info),
        "algorithm": algorithm,
        "certificate": certificate,
    }
    if message_digest is None:
        raise Invalid("Підпис не містить геша документа (message-digest).", field="p7s")
    if digest_key not in _DIGESTS:
        return SignatureFacts(
            **base,
            check=SignatureCheck.NOT_VERIFIED,
            note=(
                f"Алгоритм підпису ({algorithm}) тут не підтримується, тому ні прив’язку "
                "підпису до цього PDF, ні сам підпис тут не перевірено. " + HOW_TO_VERIFY
            ),
        )
    if _DIGESTS[digest_key](pdf).digest() != message_digest.native:
        raise Invalid(
            "Підпис не відповідає цьому PDF звіту (геш документа не збігається): "
            "ймовірно, підписано інший файл або іншу версію звіту.",
            field="p7s",
        )
    if cert is None or signer_info["signature_algorithm"]["algorithm"].dotted in UKRAINIAN:
        return SignatureFacts(
            **base,
            check=SignatureCheck.NOT_VERIFIED,
            note=(
                f"Прив’язку до цього PDF перевірено: геш {digest_name} збігається. Сам підпис "
                f"({signature_name}) тут не перевірено. " + HOW_TO_VERIFY
            ),
        )
    if not _verify_signature(cert, signer_info, digest_key):
        raise Invalid(
            "Підпис у файлі .p7s недійсний: він не відповідає сертифікату підписувача.",
            field="p7s",
        )
    return SignatureFacts(
        **base,
        check=SignatureCheck.VALID,
        note=(
            f"Прив’язку до цього PDF (геш {digest_name}) і підпис ({signature_name}) перевірено "
            "тут. Кваліфікований статус сертифіката і його чинність тут не перевірялися. "
            + HOW_TO_VERIFY
        ),
    )
