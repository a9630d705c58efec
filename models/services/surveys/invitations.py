"""Invitation codes (closed consultations): issuing them, counting them and using one."""

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle
from models.errors import Invalid, NotFound
from models.security import new_token, sha256_hex
from models.services.events import record_event
from models.services.surveys.submission import InvitationRefused
from models.survey import SurveyInvitation

_INVITATION_ONLY = (
    select(SurveyInvitation.id).where(SurveyInvitation.cycle_id == bindparam("cycle_id")).limit(1)
)


def invitation_hash(code: str) -> str:
    """The stored form of a code (codes are random, so a plain hash is enough)."""
    return sha256_hex("invitation:" + code.strip())


def issue_invitations(
    session: Session,
    *,
    cycle_id: int,
    count: int,
    now: datetime,
    actor: Actor,
) -> list[str]:
    """Issue one-time codes; the survey then accepts only responses with an unused code."""
    if not 1 <= count <= 10_000:
        raise Invalid("Кількість кодів має бути від 1 до 10 000.", field="count")
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    codes = [new_token(9) for _ in range(count)]
    session.execute(
        insert(SurveyInvitation),
        [
            {
                "cycle_id": cycle_id,
                "code_hash": invitation_hash(c),
                "used": False,
                "created_at": now,
            }
            for c in codes
        ],
    )
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="survey.invitations_issued",
        at=now,
        actor=actor,
        details={"count": count},
    )
    return codes


def invitation_counts(session: Session, *, cycle_id: int) -> tuple[int, int]:
    """How many codes were issued and how many used."""
    issued, used = session.execute(
        select(
            func.count(SurveyInvitation.id),
            func.count(SurveyInvitation.id).filter(SurveyInvitation.used.is_(True)),
        ).where(SurveyInvitation.cycle_id == cycle_id)
    ).one()
    return issued or 0, used or 0


def is_invitation_only(session: Session, *, cycle_id: int) -> bool:
    """True once the working group has issued invitation codes (a closed consultation)."""
    return session.scalar(_INVITATION_ONLY, {"cycle_id": cycle_id}) is not None


def use_invitation(connection: Connection, *, cycle_id: int, code: str) -> None:
    """Mark an unused code as used, or InvitationRefused (403) when there is none."""
    result = connection.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.cycle_id == cycle_id,
            SurveyInvitation.code_hash == invitation_hash(code),
            SurveyInvitation.used.is_(False),
        )
        .values(used=True)
    )
    if result.rowcount != 1:
        raise InvitationRefused("Код запрошення недійсний або вже використаний.")
