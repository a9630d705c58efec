"""The `audit_cycle` flow: the five stages as tasks, driven by the dates in the database.

Each task takes ids, opens its own session and only does what is due, so any rerun (after a
crash, or from the schedule every few minutes) is safe.
"""

from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.reminders import remind_units, send_outbox
from flows.report import render_pdf as render
from flows.report import render_version
from models.clock import SystemClock
from models.cycle import StageKind, StageStatus
from models.db import session_scope
from models.report import ReportStatus
from models.services.cycles import get_cycle
from models.services.report.versions import latest_version, render_due
from models.services.stages import advance_stage


def _now(now: datetime | None) -> datetime:
    return now if now is not None else SystemClock().now()


@task(cache_policy=NO_CACHE, task_run_name="stage-{kind}")
def advance(cycle_id: int, kind: StageKind, now: datetime) -> StageStatus:
    """Open or close one stage as its dates say."""
    with session_scope() as session:
        if kind == StageKind.REPORTING:
            latest = latest_version(session, cycle_id=cycle_id)
            ready = latest is not None
            if get_cycle(session, cycle_id=cycle_id).is_historical:
                # Its dates are long past: it stays open while the working group enters the
                # answers and writes the report, until a version is approved.
                ready = ready and latest is not None and latest.status != ReportStatus.DRAFT
            return advance_stage(session, cycle_id=cycle_id, kind=kind, now=now, report_ready=ready)
        return advance_stage(session, cycle_id=cycle_id, kind=kind, now=now)


@task(cache_policy=NO_CACHE)
def render_report(cycle_id: int, now: datetime) -> int:
    """Render the report when reporting is open and a version is due; returns the newest number."""
    render_version(cycle_id, now, render)  # the first version, or a new one after text changes
    with session_scope() as session:
        latest = latest_version(session, cycle_id=cycle_id)
        return latest.number if latest is not None else 0


@task(cache_policy=NO_CACHE)
def submit_render(cycle_id: int, now: datetime | None, deployment: str) -> bool:
    """Send the render to its own deployment (the render pool) when a version is due and no
    render of this cycle is waiting or running; True when one was sent."""
    from flows.pool_runs import submit_cycle_runs

    with session_scope() as session:
        if not render_due(session, cycle_id=cycle_id):
            return False
    # The run renders as of its own clock unless this run was given one (`infoaudit cycle
    # advance --now`, tests).
    return bool(submit_cycle_runs(deployment, [cycle_id], now))


@flow(name="audit_cycle", log_prints=False)
def audit_cycle(
    cycle_id: int, now: datetime | None = None, render_deployment: str | None = None
) -> dict[str, str]:
    """Advance every stage of one cycle to where the clock says it should be.

    With `render_deployment` (the work-pool deployment) the report is rendered by a run of that
    deployment on its own pool; the next sweep closes reporting once the version is stored.
    """
    moment = _now(now)
    logger = get_run_logger()
    statuses: dict[str, str] = {}
    for kind in (
        StageKind.PREPARATION,
        StageKind.CONSULTATION,
        StageKind.REMOTE_AUDIT,
        StageKind.INTERVIEWS,
    ):
        statuses[kind.value] = advance(cycle_id, kind, moment)
        if kind == StageKind.REMOTE_AUDIT:
            remind_units(cycle_id, moment)
    send_outbox(moment)  # reminders and resume links
    reporting = advance(cycle_id, StageKind.REPORTING, moment)
    if render_deployment and reporting in (StageStatus.OPEN, StageStatus.CLOSED):
        submit_render(cycle_id, moment if now is not None else None, render_deployment)
    elif reporting == StageStatus.OPEN or reporting == StageStatus.CLOSED:
        render_report(cycle_id, moment)
        # The due date may already be past: close reporting now that the report exists.
        reporting = advance(cycle_id, StageKind.REPORTING, moment)
    statuses[StageKind.REPORTING.value] = reporting
    with session_scope() as session:
        statuses["cycle"] = get_cycle(session, cycle_id=cycle_id).status.value
    logger.info("Cycle %s at %s: %s", cycle_id, moment.isoformat(), statuses)
    return statuses
