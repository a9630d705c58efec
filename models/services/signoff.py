"""Signing an approved report: PAdES inside the PDF (pyHanko, a PKCS#12 file, a visible block
with the signer's name and position, an RFC 3161 timestamp when a TSA is configured), or an
external detached CAdES signature (.p7s) bound to the PDF by its hash.

What is recorded as checked is only what was checked here. A DSTU 4145 signature (the usual
Ukrainian qualified e-signature, КЕП) is checked by models.kep (every signer, and the chain to
the administrator's trusted list); only where Node.js is missing is it recorded as "not
verified" with how to verify it, never as valid.
"""

import base64
import hashlib
import io
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from asn1crypto import cms, tsp, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import load_der_x509_certificate
from markupsafe import escape
from sqlalchemy.orm import Session

from models.clock import KYIV
from models.errors import Conflict, Invalid, Unavailable
from models.report import (
    ReportStatus,
    ReportVersion,
    Signature,
    SignatureCheck,
    SignatureKind,
)
from models.security import sha256_hex
from models.services.report_versions import record_version_event
from models.services.reports import load_pdf

FIELD_NAME = "ReportSignature"
# The visible block: on the title page, below the order line (points from the bottom-left).
STAMP_BOX = (71, 60, 400, 140)
MAX_P7S_BYTES = 2_000_000

# pyHanko logs a traceback for every untrusted chain; the result says so already.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)

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
UKRAINIAN_OIDS = {
    "1.2.804.2.1.1.1.1.2.1": "ГОСТ 34.311-95",
    "1.2.804.2.1.1.1.1.2.2.1": "ДСТУ 7564:2014 (Купина-256)",
    "1.2.804.2.1.1.1.1.2.2.2": "ДСТУ 7564:2014 (Купина-384)",
    "1.2.804.2.1.1.1.1.2.2.3": "ДСТУ 7564:2014 (Купина-512)",
    "1.2.804.2.1.1.1.1.3.1.1": "ДСТУ 4145-2002",
    "1.2.804.2.1.1.1.1.3.1.2": "ДСТУ 4145-2002",
}

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


def _signable_version(session: Session, version: ReportVersion) -> None:
    if version.status not in (ReportStatus.APPROVED, ReportStatus.SIGNED):
        raise Conflict(
            f"Версію {version.number} ще не затверджено: підписати можна лише затверджену версію."
        )


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
        f"Власник: {cert.subject.human_friendly}; видавець: {cert.issuer.human_friendly}; "
        f"серійний номер: {cert.serial_number:X}"
    )


def _record(
    session: Session,
    *,
    version: ReportVersion,
    kind: SignatureKind,
    data: bytes,
    facts: SignatureFacts,
    now: datetime,
    actor: str,
) -> Signature:
    signature = Signature(
        report_version_id=version.id,
        kind=kind,
        signer_name=facts.signer_name[:200],
        signer_position=facts.signer_position[:500],
        signed_at=facts.signed_at or now,
        recorded_at=now,
        sha256=sha256_hex(data),
        document_sha256=version.sha256,
        algorithm=facts.algorithm[:200],
        certificate=facts.certificate,
        timestamped_at=facts.timestamped_at,
        verification=facts.check,
        verification_note=facts.note,
        kep_signers=facts.kep_signers,
        data=data,
    )
    session.add(signature)
    version.status = ReportStatus.SIGNED
    version.signed_at = version.signed_at or (facts.signed_at or now)
    session.flush()
    record_version_event(
        session,
        version,
        action="report.signed",
        now=now,
        actor=actor,
        details={
            "version": version.number,
            "kind": kind.value,
            "verification": facts.check.value,
            "sha256": signature.sha256,
        },
    )
    return signature


# --- PAdES -----------------------------------------------------------------------------------


def stamp_pdf(signer_name: str, signer_position: str, when: datetime) -> bytes:
    """The visible signature block, laid out by WeasyPrint in the report's font (Cyrillic)."""
    from weasyprint import HTML

    from report_templates.render import TEMPLATES_DIR, TemplateOnlyURLFetcher

    width, height = STAMP_BOX[2] - STAMP_BOX[0], STAMP_BOX[3] - STAMP_BOX[1]
    html = (
        '<html><head><link rel="stylesheet" href="report.css"><style>'
        f"@page{{size:{width}pt {height}pt;margin:0}}"
        "body{margin:0;font-size:8pt;line-height:1.35}"
        "div.box{border:0.8pt solid #1f3f66;padding:4pt 6pt;height:100%;box-sizing:border-box}"
        "p{margin:0;text-indent:0;text-align:left}p.head{font-weight:700;color:#1f3f66}"
        "</style></head><body><div class='box'>"
        "<p class='head'>Підписано електронним підписом (PAdES)</p>"
        f"<p>{escape(signer_name)}</p><p>{escape(signer_position)}</p>"
        f"<p>{when:%d.%m.%Y %H:%M} (Київ)</p></div></body></html>"
    )
    pdf = HTML(
        string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher()
    ).write_pdf()
    assert pdf is not None
    return pdf


def pades_sign(
    pdf: bytes,
    *,
    pkcs12: bytes,
    password: str | None,
    signer_name: str,
    signer_position: str,
    reason: str,
    tsa_url: str | None = None,
) -> bytes:
    """The PDF signed (PAdES baseline, incremental update) with a visible signature block."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import StaticStampStyle

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            pkcs12, other_certs=[], passphrase=password.encode() if password else None
        )
    except Exception as exc:  # pyHanko raises several kinds for a bad file or password
        raise Invalid(
            "Не вдалося відкрити файл PKCS#12: перевірте файл і пароль.", field="pkcs12"
        ) from exc
    if signer is None:
        raise Invalid("Не вдалося відкрити файл PKCS#12: перевірте файл і пароль.", field="pkcs12")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        name=signer_name,
        reason=reason,
        location="",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    with tempfile.TemporaryDirectory() as folder:
        stamp_path = Path(folder) / "stamp.pdf"
        stamp_path.write_bytes(stamp_pdf(signer_name, signer_position, datetime.now(KYIV)))
        style = StaticStampStyle.from_pdf_file(str(stamp_path), border_width=0)
        timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=0, box=STAMP_BOX),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        try:
            output = pdf_signer.sign_pdf(
                writer,
                appearance_text_params={"signer": signer_name, "position": signer_position or ""},
            )
        except timestamps.TimestampRequestError as exc:
            raise Unavailable(
                f"Сервіс позначок часу (TSA) {_without_credentials(tsa_url or '')} не відповів "
                "або відхилив запит, тому звіт не підписано. Спробуйте ще раз пізніше або "
                "перевірте адресу TSA (налаштування INFOAUDIT_TSA_URL)."
            ) from exc
    return bytes(output.getbuffer())


def _without_credentials(url: str) -> str:
    """The URL to show people: a user name or password in it stays out of messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def pades_check(
    signed: bytes, *, trust_roots: list[bytes] | None = None
) -> tuple[SignatureCheck, str, Any]:
    """Validate the PDF's signature with pyHanko: intact, valid, covering the whole file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(signed))
    if not reader.embedded_signatures:
        return SignatureCheck.INVALID, "У PDF немає електронного підпису.", None
    roots = []
    for root in trust_roots or []:
        roots.append(x509.Certificate.load(root))
    context = ValidationContext(trust_roots=roots or None, allow_fetching=False)
    status = validate_pdf_signature(reader.embedded_signatures[-1], context)
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    if status.intact and status.valid and whole:
        trust = (
            "ланцюжок сертифікатів довірений"
            if status.trusted
            else "довіру до сертифіката підписувача тут не встановлено (сертифікат не з "
            "довірених кореневих)"
        )
        return (
            SignatureCheck.VALID,
            f"Цілісність PDF і підпис перевірено (pyHanko); {trust}.",
            status,
        )
    return (
        SignatureCheck.INVALID,
        "Підпис не відповідає вмісту PDF: файл змінено після підписання.",
        status,
    )


def sign_version_pades(
    session: Session,
    *,
    version: ReportVersion,
    pkcs12: bytes,
    password: str | None,
    signer_name: str,
    signer_position: str,
    tsa_url: str | None,
    now: datetime,
    actor: str,
) -> Signature:
    """Sign an approved version with the organization's certificate; stores the signed PDF."""
    _signable_version(session, version)
    if not signer_name.strip():
        raise Invalid("Вкажіть ім’я підписувача.", field="signer_name")
    pdf = load_pdf(session, version_id=version.id)
    signed = pades_sign(
        pdf,
        pkcs12=pkcs12,
        password=password,
        signer_name=signer_name.strip(),
        signer_position=signer_position.strip(),
        reason=f"Затвердження звіту за результатами інформаційного аудиту, версія {version.number}",
        tsa_url=tsa_url,
    )
    check, note, status = pades_check(signed)
    if check != SignatureCheck.VALID:
        raise Conflict("Підписаний PDF не пройшов перевірки: " + note)
    signer_cert = status.signing_cert
    timestamped_at = None
    stamp = status.timestamp_validity
    if stamp is not None:
        if not (stamp.intact and stamp.valid):
            raise Conflict(
                "Позначка часу від сервісу TSA не пройшла перевірки (не відповідає підпису), "
                "тому звіт не підписано."
            )
        timestamped_at = stamp.timestamp
    facts = SignatureFacts(
        signer_name=signer_name.strip(),
        signer_position=signer_position.strip(),
        signed_at=status.signer_reported_dt or now,
        timestamped_at=timestamped_at,
        algorithm=f"{status.pkcs7_signature_mechanism}, {status.md_algorithm}",
        certificate=describe_certificate(signer_cert),
        check=check,
        note=note
        + (
            " Позначку часу RFC 3161 від TSA перевірено: вона відповідає підпису."
            if timestamped_at
            else " Позначку часу не додано (TSA не налаштовано)."
        ),
    )
    return _record(
        session,
        version=version,
        kind=SignatureKind.PADES,
        data=signed,
        facts=facts,
        now=now,
        actor=actor,
    )


# --- detached CAdES (.p7s) --------------------------------------------------------------------


def _load_cms(data: bytes) -> cms.ContentInfo:
    # DER is binary: never strip it (a signature may well end in a byte that looks like space).
    raw = data
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        body = b"".join(line for line in text.splitlines() if not line.startswith(b"-----"))
        raw = base64.b64decode(body)
    elif data[:1] != b"\x30":  # not DER: maybe bare base64
        try:
            raw = base64.b64decode(text, validate=False)
        except ValueError:
            pass
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        info["content"].native  # noqa: B018 - parse everything now, fail early
    except Exception as exc:  # asn1crypto raises ValueError/TypeError on malformed input
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
    if dotted in UKRAINIAN_OIDS:
        return UKRAINIAN_OIDS[dotted]
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
    algorithm = _CRYPTO_HASHES[digest]
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_attrs, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_attrs, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


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
    info = _load_cms(p7s)
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
    if cert is None or signer_info["signature_algorithm"]["algorithm"].dotted in UKRAINIAN_OIDS:
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


def attach_p7s(
    session: Session, *, version: ReportVersion, p7s: bytes, now: datetime, actor: str
) -> Signature:
    """Record an external detached signature of an approved version's PDF."""
    _signable_version(session, version)
    if len(p7s) > MAX_P7S_BYTES:
        raise Invalid("Файл підпису завеликий.", field="p7s")
    from models.kep.store import trusted_certificates

    facts = inspect_p7s(
        p7s, pdf=load_pdf(session, version_id=version.id), trusted=trusted_certificates(session)
    )
    return _record(
        session,
        version=version,
        kind=SignatureKind.CADES_DETACHED,
        data=p7s,
        facts=facts,
        now=now,
        actor=actor,
    )


def load_signature_data(session: Session, *, signature_id: int) -> bytes:
    """The signed PDF (PAdES) or the .p7s bytes of a signature (a deferred column)."""
    from sqlalchemy import select

    data = session.scalar(select(Signature.data).where(Signature.id == signature_id))
    if data is None:
        raise Invalid("Підпис не знайдено.")
    return data
