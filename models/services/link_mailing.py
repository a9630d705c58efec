"""E-mailing each audited unit its secret questionnaire link, once.

"Send links" mails only the units never mailed; mailing a unit again is an explicit choice (one
unit, or all of them). Every message is keyed links:<audited unit>:<…> in the outbox, so the
page can say when each unit's link went out, and a double click records nothing twice.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle, AuditedUnit, StageKind
from models.errors import Conflict, Invalid, NotFound
from models.organization import Organization, Unit
from models.outbox import OutboxMessage, OutboxStatus
from models.services.cycles import questionnaire_url, unit_link_token
from models.services.events import record_event
from models.services.mail import enqueue
from models.services.stages import get_stage
from models.settings import Settings


def _prefix(audited_id: int) -> str:
    return f"links:{audited_id}:"


@dataclass(frozen=True)
class LinkMailing:
    """The newest e-mail of a unit's link: when recorded, whether and when it went out."""

    status: OutboxStatus
    queued_at: datetime
    sent_at: datetime | None
    times: int  # how many link e-mails the unit was sent (or is being sent)


def link_mailings(session: Session, *, cycle_id: int) -> dict[int, LinkMailing]:
    """Per audited unit (id) of the cycle, its newest link e-mail; units never mailed are absent."""
    ids = set(session.scalars(select(AuditedUnit.id).where(AuditedUnit.cycle_id == cycle_id)))
    by_unit: dict[int, list[OutboxMessage]] = {}
    for message in session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.dedup_key.startswith("links:"))
        .order_by(OutboxMessage.id)
    ):
        unit = message.dedup_key.split(":")[1]
        if unit.isdigit() and int(unit) in ids:
            by_unit.setdefault(int(unit), []).append(message)
    return {
        audited_id: LinkMailing(
            status=messages[-1].status,
            queued_at=messages[-1].created_at,
            sent_at=messages[-1].sent_at,
            times=len(messages),
        )
        for audited_id, messages in by_unit.items()
    }


def enqueue_unit_links(
    session: Session,
    *,
    cycle_id: int,
    settings: Settings,
    now: datetime,
    request_key: str,
    actor: Actor,
    resend: Collection[int] | None = None,
    resend_all: bool = False,
) -> int:
    """Record for audited units with an address an e-mail with their secret link; returns how many.

    Without a resend choice only units never mailed get one. `resend` (audited unit ids) or
    `resend_all` mails those again. The request key (one per page the working group saw) makes a
    double click one sending.
    """
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    if cycle.is_historical:
        raise Conflict(
            "Це історичний цикл: листи підрозділам не надсилаються, відповіді вносить робоча група."
        )
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.REMOTE_AUDIT)
    rows = list(
        session.execute(
            select(AuditedUnit, Unit)
            .join(Unit, Unit.id == AuditedUnit.unit_id)
            .where(AuditedUnit.cycle_id == cycle_id)
            .order_by(AuditedUnit.position)
        ).tuples()
    )
    chosen = set(resend or ())
    if chosen - {audited.id for audited, _unit in rows}:
        raise Invalid("Підрозділ не знайдено в цьому циклі.", field="unit")
    mailed = link_mailings(session, cycle_id=cycle_id)
    recorded = 0
    again_to: list[str] = []
    for audited, unit in rows:
        if not unit.email:
            continue
        again = resend_all or audited.id in chosen
        if audited.id in mailed and not again:
            continue
        if chosen and not again:
            continue  # resending one unit mails no other
        url = questionnaire_url(settings.base_url, unit_link_token(settings.secret_key, audited))
        body = (
            "Шановні колеги!\n\n"
            f"{organization.name} проводить інформаційний аудит {cycle.year} року "
            f"(розпорядження №{cycle.order_number} від {cycle.order_date:%d.%m.%Y}).\n\n"
            f"Просимо працівників підрозділу «{unit.name}» заповнити анкету з "
            f"{stage.starts_on:%d.%m.%Y} по {stage.due_on:%d.%m.%Y} за посиланням підрозділу:\n"
            f"{url}\n\n"
            "Посилання призначене лише для працівників підрозділу: не пересилайте його іншим.\n"
        )
        # The first e-mail has a fixed key: two presses at once still record it once.
        key = f"resend-{request_key}" if again else "first"
        message = enqueue(
            session,
            dedup_key=f"{_prefix(audited.id)}{key}",
            recipients=[unit.email],
            subject=f"Анкета інформаційного аудиту {cycle.year}: посилання для підрозділу",
            body=body,
            now=now,
        )
        recorded += message is not None
        if again and message is not None:
            again_to.append(unit.name)
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle.id,
        action="links.sent",
        at=now,
        actor=actor,
        details={
            "messages": recorded,
            "again": ", ".join(again_to) or "—",
        },
        dedup_key=f"links:{cycle.id}:{request_key}",
    )
    return recorded
