"""Publishing a cycle's open-data package and taking the quarterly monitoring card, asked for
from the console: the request is recorded here, the sweep runs it (flows/portal_jobs.py) and
records the outcome, and the console shows where it stands."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.actor import SYSTEM, Actor
from models.base import utcnow
from models.errors import Conflict, NotFound
from models.portal_job import PortalJob, PortalJobKind, PortalJobStatus
from models.services.cycles import get_cycle
from models.services.events import record_event
from models.services.publication import get_portal_source
from models.services.register import list_register
from models.services.report.versions import ready_version

UNFINISHED = (PortalJobStatus.REQUESTED, PortalJobStatus.RUNNING)
INTERNAL_ERROR = "Внутрішня помилка; зверніться до адміністратора (подробиці — у журналі сервера)."
ABANDONED = "Виконання перервано (сервер перезапущено?); запит можна подати знову."
# A publication takes minutes at most; one running longer was cut short. Sooner, a run whose
# claim lapsed was killed: the sweep resumes it, or a new request replaces it.
ABANDON_AFTER = timedelta(hours=2)
DEFAULT_LEASE = timedelta(seconds=60)
# Spelled out, so that every kind recorded is found where the audit trail's sentences are kept.
_ACTIONS = {
    (PortalJobKind.PUBLISH, "requested"): "portal.publish_requested",
    (PortalJobKind.PUBLISH, "started"): "portal.publish_started",
    (PortalJobKind.PUBLISH, "done"): "portal.publish_done",
    (PortalJobKind.PUBLISH, "failed"): "portal.publish_failed",
    (PortalJobKind.MONITORING, "requested"): "portal.monitoring_requested",
    (PortalJobKind.MONITORING, "started"): "portal.monitoring_started",
    (PortalJobKind.MONITORING, "done"): "portal.monitoring_done",
    (PortalJobKind.MONITORING, "failed"): "portal.monitoring_failed",
}


def request_job(
    session: Session, *, cycle_id: int, kind: PortalJobKind, actor: Actor, now: datetime
) -> PortalJob:
    """Record the request (the sweep runs it); refused while one of the kind is unfinished,
    and a publication without a portal or before the report is approved."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    unfinished = session.scalar(
        select(PortalJob).where(
            PortalJob.cycle_id == cycle_id,
            PortalJob.kind == kind,
            PortalJob.status.in_(UNFINISHED),
        )
    )
    if unfinished is not None and _abandoned(unfinished, now):
        # The process running it stopped (a restart): it would otherwise block every new request.
        fail_job(session, job_id=unfinished.id, message=ABANDONED, now=now)
    elif unfinished is not None:
        raise Conflict("Попередній запит ще не виконано: дочекайтеся його результату.")
    if kind == PortalJobKind.PUBLISH:
        if get_portal_source(session, organization_id=cycle.organization_id) is None:
            raise Conflict("Портал відкритих даних для організації не налаштовано.")
        try:
            ready_version(session, cycle_id=cycle_id)  # the newest signed, else approved
        except NotFound as exc:
            raise Conflict(
                "Оприлюднити можна лише затверджений або підписаний звіт: спершу затвердьте звіт."
            ) from exc
        _check_contact_points(session, organization_id=cycle.organization_id)
    job = PortalJob(
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        kind=kind,
        status=PortalJobStatus.REQUESTED,
        requested_at=now,
        requested_by=actor.label,
        message="",
        result={},
    )
    session.add(job)
    session.flush()
    _record(session, job, "requested", now, actor)
    return job


def _abandoned(job: PortalJob, now: datetime) -> bool:
    if job.status != PortalJobStatus.RUNNING:
        return False
    if job.lease_until is not None and job.lease_until < utcnow():
        return True  # its runner stopped renewing the claim
    return job.started_at is not None and now - job.started_at > ABANDON_AFTER


def _check_contact_points(session: Session, *, organization_id: int) -> None:
    """The portal's register structure requires each dataset's contact person with an e-mail:
    say so now, beside the button, not when the job runs."""
    missing = [
        entry.number
        for entry in list_register(session, organization_id=organization_id)
        if not any(official.email for official in entry.officials)
    ]
    if missing:
        shown = ", ".join(str(n) for n in missing[:20]) + ("…" if len(missing) > 20 else "")
        raise Conflict(
            f"Наборам реєстру № {shown} бракує відповідальної особи з e-mail: стандарт порталу "
            "вимагає контактну особу кожного набору. Додайте її на сторінці реєстру."
        )


def _record(
    session: Session, job: PortalJob, what: str, now: datetime, actor: Actor = SYSTEM
) -> None:
    details: dict[str, Any] = {"job": job.id}
    if what == "failed":
        details["error"] = job.message
    record_event(
        session,
        organization_id=job.organization_id,
        cycle_id=job.cycle_id,
        action=_ACTIONS[(job.kind, what)],
        at=now,
        actor=actor,
        details=details,
    )


def latest_job(session: Session, *, cycle_id: int, kind: PortalJobKind) -> PortalJob | None:
    """The newest request of the kind for the cycle."""
    return session.scalar(
        select(PortalJob)
        .where(PortalJob.cycle_id == cycle_id, PortalJob.kind == kind)
        .order_by(PortalJob.id.desc())
        .limit(1)
    )


def get_job(session: Session, *, cycle_id: int, job_id: int) -> PortalJob:
    """A request of this cycle (404 otherwise)."""
    job = session.get(PortalJob, job_id)
    if job is None or job.cycle_id != cycle_id:
        raise NotFound("Запит не знайдено.")
    return job


def _takeable(wall: datetime) -> Any:
    """Waiting, or running under a claim that lapsed (its runner was killed or lost)."""
    return or_(
        PortalJob.status == PortalJobStatus.REQUESTED,
        (PortalJob.status == PortalJobStatus.RUNNING) & (PortalJob.lease_until < wall),
    )


def requested_job_ids(session: Session) -> list[int]:
    """Requests waiting for the sweep, and those a killed run left unfinished, oldest first."""
    return list(
        session.scalars(select(PortalJob.id).where(_takeable(utcnow())).order_by(PortalJob.id))
    )


def start_job(
    session: Session, *, job_id: int, now: datetime, lease: timedelta = DEFAULT_LEASE
) -> PortalJob | None:
    """Take a waiting request (or one whose runner's claim lapsed) for `lease` of real time;
    None when another run holds it. The runner renews the claim (renew_lease) while it works:
    publishing is idempotent, so a resumed request does nothing twice on the portal."""
    taken = session.execute(
        update(PortalJob)
        .where(PortalJob.id == job_id, _takeable(utcnow()))
        .values(status=PortalJobStatus.RUNNING, started_at=now, lease_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    job = session.get(PortalJob, job_id, populate_existing=True)
    assert job is not None
    _record(session, job, "started", now)
    return job


def renew_lease(session: Session, *, job_id: int, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Extend a running request's claim; False when it is no longer running."""
    renewed = session.execute(
        update(PortalJob)
        .where(PortalJob.id == job_id, PortalJob.status == PortalJobStatus.RUNNING)
        .values(lease_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(renewed.rowcount)  # type: ignore[attr-defined]


def finish_job(
    session: Session, *, job_id: int, message: str, result: dict[str, Any], now: datetime
) -> None:
    """The request was carried out: its message and results (links, files)."""
    job = session.get(PortalJob, job_id)
    assert job is not None
    job.status, job.finished_at, job.message, job.result = (
        PortalJobStatus.DONE,
        now,
        message,
        result,
    )
    job.lease_until = None
    session.flush()
    _record(session, job, "done", now)


def fail_job(session: Session, *, job_id: int, message: str | None, now: datetime) -> None:
    """The request failed: `message` is for people (None: internal, the log has it)."""
    job = session.get(PortalJob, job_id)
    assert job is not None
    job.status, job.finished_at, job.message = (
        PortalJobStatus.FAILED,
        now,
        message or INTERNAL_ERROR,
    )
    job.lease_until = None
    session.flush()
    _record(session, job, "failed", now)
