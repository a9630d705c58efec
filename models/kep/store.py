"""The installation's trusted list of qualified providers' certificates (CACertificates.p7b),
uploaded by the administrator; the newest upload is the one in force."""

from datetime import datetime

from sqlalchemy import LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column

from models.actor import Actor
from models.base import Base
from models.errors import Invalid
from models.kep.chain import parse_trust_list
from models.kep.results import KepError
from models.security import sha256_hex


class KepTrustList(Base):
    """One upload of the trusted list."""

    __tablename__ = "kep_trust_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    certificates: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))


def store_trust_list(
    session: Session, *, data: bytes, filename: str, now: datetime, actor: Actor
) -> KepTrustList:
    """Keep an uploaded list after reading every certificate in it (a bad file is refused)."""
    try:
        certificates = parse_trust_list(data)
    except KepError as exc:
        raise Invalid(exc.message, field="trusted") from exc
    row = KepTrustList(
        uploaded_at=now,
        uploaded_by=actor.label[:100],
        filename=filename[:200],
        sha256=sha256_hex(data),
        certificates=len(certificates),
        data=data,
    )
    session.add(row)
    session.flush()
    return row


def current_trust_list(session: Session) -> KepTrustList | None:
    """The newest upload, or None."""
    row: KepTrustList | None = session.scalar(
        select(KepTrustList).order_by(KepTrustList.id.desc()).limit(1)
    )
    return row


def trusted_certificates(session: Session) -> list[bytes] | None:
    """The certificates (DER) of the list in force, None when none was uploaded."""
    row = current_trust_list(session)
    if row is None:
        return None
    return parse_trust_list(row.data)
