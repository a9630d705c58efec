"""Approving a report version: its PDF is frozen, and so are the cycle's figures that the next
years' reports compare themselves with (models.services.report.frozen_figures)."""

from datetime import datetime

from sqlalchemy.orm import Session

from models.actor import Actor
from models.errors import Conflict
from models.report import ReportStatus, ReportVersion
from models.services.report.frozen_figures import freeze_figures
from models.services.report.versions import (
    get_version,
    latest_version,
    record_version_event,
    render_due,
)


def approve_version(
    session: Session, *, cycle_id: int, number: int, now: datetime, actor: Actor
) -> ReportVersion:
    """Approve the newest draft: its PDF and the cycle's figures are frozen from now on."""
    version = get_version(session, cycle_id=cycle_id, number=number)
    latest = latest_version(session, cycle_id=cycle_id)
    assert latest is not None
    if version.status != ReportStatus.DRAFT:
        raise Conflict(f"Версію {number} вже затверджено.")
    if version.id != latest.id:
        raise Conflict(
            f"Затвердити можна лише найновішу версію ({latest.number}), а не версію {number}."
        )
    if render_due(session, cycle_id=cycle_id):
        raise Conflict(
            "Текст звіту змінено після формування цієї версії: дочекайтеся нової версії "
            "і затвердьте її."
        )
    version.status = ReportStatus.APPROVED
    version.approved_at = now
    version.approved_by = actor.label
    freeze_figures(session, version=version)
    session.flush()
    record_version_event(
        session,
        version,
        action="report.approved",
        now=now,
        actor=actor,
        details={"version": version.number, "sha256": version.sha256},
    )
    return version
