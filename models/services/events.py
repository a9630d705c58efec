"""Recording the audit trail."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import SYSTEM, Actor
from models.cycle import AuditCycle
from models.errors import NotFound
from models.event import AuditEvent


def record_event(
    session: Session,
    *,
    organization_id: int,
    action: str,
    at: datetime,
    actor: Actor = SYSTEM,
    cycle_id: int | None = None,
    details: dict[str, Any] | None = None,
    dedup_key: str | None = None,
) -> AuditEvent | None:
    """Append an event; with a dedup_key, an event already recorded is not recorded again."""
    if dedup_key is not None:
        existing = session.scalar(select(AuditEvent.id).where(AuditEvent.dedup_key == dedup_key))
        if existing is not None:
            return None
    event = AuditEvent(
        organization_id=organization_id,
        cycle_id=cycle_id,
        at=at,
        actor=actor.label,
        actor_account_id=actor.account_id,
        action=action,
        details=details or {},
        dedup_key=dedup_key,
    )
    session.add(event)
    session.flush()
    return event


def list_events(session: Session, *, cycle_id: int) -> list[AuditEvent]:
    """A cycle's events, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.cycle_id == cycle_id).order_by(AuditEvent.id)
        )
    )


def record_cycle_event(session: Session, *, cycle_id: int, **event: Any) -> AuditEvent | None:
    """Append an event about a cycle, under the cycle's organization."""
    cycle = session.get(AuditCycle, cycle_id)  # usually already in the session
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    return record_event(session, organization_id=cycle.organization_id, cycle_id=cycle_id, **event)
