"""Signing an approved report version: PAdES inside the PDF with a PKCS#12 file, or an external
detached CAdES signature (.p7s) bound to the PDF by its hash, recorded with what was checked.

Only the working group's coordinator records signatures (README, "Roles"). A version signed
already keeps every signature: a later PAdES one is an incremental update of the newest signed
PDF. The authoritative signature is the first valid one; the mayor's office downloads that.

What is recorded as checked is only what was checked here (models/services/report/pades.py,
cades.py hold the byte-level code).
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.account import Account, Role
from models.actor import Actor
from models.errors import Conflict, Forbidden, Invalid
from models.kep.names import ukrainian_algorithm
from models.report import (
    ReportStatus,
    ReportVersion,
    Signature,
    SignatureCheck,
    SignatureKind,
)
from models.security import sha256_hex
from models.services.report.cades import SignatureFacts, describe_certificate, inspect_p7s
from models.services.report.pades import certificate_signer, pades_check, pades_sign
from models.services.report.versions import load_pdf, record_version_event, signatures_of

MAX_P7S_BYTES = 2_000_000
SIGNER_ROLES = frozenset({Role.COORDINATOR})
NOT_A_SIGNER = "Підписувати звіт і додавати до нього підписи може лише координатор робочої групи."


def may_sign(role: Role) -> bool:
    """Whether this role records signatures of the report."""
    return role in SIGNER_ROLES


def _ensure_signer(session: Session, actor: Actor) -> None:
    account = session.get(Account, actor.account_id) if actor.account_id is not None else None
    if account is None or not may_sign(account.role):
        raise Forbidden(NOT_A_SIGNER)


def authoritative(signatures: list[Signature]) -> Signature | None:
    """The version's authoritative signature: the first one verified valid (signatures are
    recorded by the coordinator only; a later one never displaces it)."""
    return next((s for s in signatures if s.verification == SignatureCheck.VALID), None)


def _signable_version(session: Session, version: ReportVersion) -> None:
    if version.status not in (ReportStatus.APPROVED, ReportStatus.SIGNED):
        raise Conflict(
            f"Версію {version.number} ще не затверджено: підписати можна лише затверджену версію."
        )


def _record(
    session: Session,
    *,
    version: ReportVersion,
    kind: SignatureKind,
    data: bytes,
    facts: SignatureFacts,
    now: datetime,
    actor: Actor,
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


def sign_version_pades(
    session: Session,
    *,
    version: ReportVersion,
    pkcs12: bytes,
    password: str | None,
    tsa_url: str | None,
    now: datetime,
    actor: Actor,
) -> Signature:
    """Sign an approved version with the organization's certificate; stores the signed PDF.

    The block's name and position come from the certificate's subject. On a version signed
    already the newest signed PDF is signed again (incrementally): every signature stays.
    """
    _ensure_signer(session, actor)
    _signable_version(session, version)
    pades = [
        s for s in signatures_of(session, version_id=version.id) if s.kind == SignatureKind.PADES
    ]
    if pades:
        pdf = load_signature_data(session, signature_id=pades[-1].id)
    else:
        pdf = load_pdf(session, version_id=version.id)
    signed = pades_sign(
        pdf,
        pkcs12=pkcs12,
        password=password,
        reason=f"Затвердження звіту за результатами інформаційного аудиту, версія {version.number}",
        tsa_url=tsa_url,
    )
    check, note, status = pades_check(signed)
    if check != SignatureCheck.VALID:
        raise Conflict("Підписаний PDF не пройшов перевірки: " + note)
    signer_cert = status.signing_cert
    signer_name, signer_position = certificate_signer(signer_cert)
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
        signer_name=signer_name,
        signer_position=signer_position,
        signed_at=status.signer_reported_dt or now,
        timestamped_at=timestamped_at,
        algorithm=ukrainian_algorithm(f"{status.pkcs7_signature_mechanism}, {status.md_algorithm}"),
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


def attach_p7s(
    session: Session, *, version: ReportVersion, p7s: bytes, now: datetime, actor: Actor
) -> Signature:
    """Record an external detached signature of an approved version's PDF."""
    _ensure_signer(session, actor)
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
    data = session.scalar(select(Signature.data).where(Signature.id == signature_id))
    if data is None:
        raise Invalid("Підпис не знайдено.")
    return data
