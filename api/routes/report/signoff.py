"""The report's sign-off: approving a version, signing it (PAdES) and attaching a .p7s."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.deps import DB, AppSettings, Coordinator, CurrentActor, Editor, Now, OwnCycle
from api.routes.report.schemas import SignatureRead, VersionRead, signature_read, version_read
from api.uploads import read_upload
from models.report import Signature
from models.services.report.approval import approve_version
from models.services.report.signoff import attach_p7s, authoritative, sign_version_pades
from models.services.report.versions import get_version, signatures_of

router = APIRouter(prefix="/api/cycles", tags=["звіт"])


@router.post("/{cycle_id}/report/versions/{number}/approve", response_model=VersionRead)
def approve(
    _account: Editor, cycle: OwnCycle, actor: CurrentActor, number: int, session: DB, now: Now
) -> VersionRead:
    """Approve the newest draft: its text is frozen, any change makes a new version."""
    version = approve_version(session, cycle_id=cycle.id, number=number, now=now, actor=actor)
    return version_read(session, cycle.id, version, cycle.year)


@router.post("/{cycle_id}/report/versions/{number}/sign", response_model=SignatureRead)
def sign(
    _account: Coordinator,
    cycle: OwnCycle,
    actor: CurrentActor,
    number: int,
    session: DB,
    now: Now,
    settings: AppSettings,
    pkcs12: Annotated[UploadFile, File(description="PKCS#12 (.p12/.pfx) організації")],
    password: Annotated[str, Form(max_length=500)] = "",
) -> SignatureRead:
    """Sign an approved version (PAdES) with a PKCS#12 file; the key is used once, never kept.

    The coordinator only. The signature block names the certificate's subject; on a version
    signed already the signature is added incrementally and the first valid one stays
    authoritative. A plain (threadpool) route: pyHanko runs its own event loop.
    """
    version = get_version(session, cycle_id=cycle.id, number=number)
    signature = sign_version_pades(
        session,
        version=version,
        pkcs12=read_upload(pkcs12, "pkcs12"),
        password=password or None,
        tsa_url=settings.tsa_url,
        now=now,
        actor=actor,
    )
    return _read(session, cycle.id, number, signature)


@router.post("/{cycle_id}/report/versions/{number}/p7s", response_model=SignatureRead)
def upload_p7s(
    _account: Coordinator,
    cycle: OwnCycle,
    actor: CurrentActor,
    number: int,
    session: DB,
    now: Now,
    p7s: Annotated[UploadFile, File(description="Відокремлений підпис CAdES (.p7s)")],
) -> SignatureRead:
    """Attach an external detached signature (.p7s) of an approved version's PDF (the
    coordinator only)."""
    version = get_version(session, cycle_id=cycle.id, number=number)
    signature = attach_p7s(
        session, version=version, p7s=read_upload(p7s, "p7s"), now=now, actor=actor
    )
    return _read(session, cycle.id, number, signature)


def _read(session: DB, cycle_id: int, number: int, signature: Signature) -> SignatureRead:
    official = authoritative(signatures_of(session, version_id=signature.report_version_id))
    official_id = official.id if official is not None else None
    return signature_read(cycle_id, number, signature, authoritative_id=official_id)
