"""The work pools and deployments of a multi-host installation (`infoaudit worker`, issue 19).

One process work pool (`infoaudit`) runs the sweep, one `audit_cycle` run per due cycle and the
console's portal jobs; a second (`infoaudit-render`) runs report rendering with a pool-wide
concurrency limit sized for its memory. Any number of `infoaudit worker` hosts poll each pool.
Everything here is Prefect's own machinery: pools, deployments, flow runs and one automation
that marks a run whose host died as crashed and schedules it again.
"""

from datetime import timedelta
from typing import Any

from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.client.schemas.objects import ConcurrencyLimitConfig, StateType
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from flows.audit_cycle import audit_cycle
from flows.monitoring import monitoring_deployment
from flows.pool_runs import POOL, RENDER, RENDER_POOL
from flows.portal_jobs import run_portal_jobs
from flows.report import render_report
from flows.sweep import advance_active_cycles

ZOMBIE_AUTOMATION = "infoaudit: a run whose host died is scheduled again"
# Flow runs send a heartbeat this often (Prefect's minimum is 30 s); a run silent for
# ZOMBIE_AFTER is taken for dead (its worker host was killed or lost power).
HEARTBEAT_SECONDS = 30
ZOMBIE_AFTER = timedelta(seconds=75)
STUCK_AUTOMATION = "infoaudit: a run its worker never started is scheduled again"
STUCK_AFTER = timedelta(seconds=180)  # a loaded host takes up to a minute to start a run


def process_pool_template() -> dict[str, Any]:
    """The base job template of a process work pool."""
    from prefect.workers.process import ProcessWorker

    return ProcessWorker.get_default_base_job_template()


def ensure_pools(*, render_limit: int) -> None:
    """Create both process work pools if missing; keep the render pool's concurrency limit."""
    with get_client(sync_client=True) as client:
        for name, limit in ((POOL, None), (RENDER_POOL, render_limit)):
            try:
                client.create_work_pool(
                    WorkPoolCreate(
                        name=name,
                        type="process",
                        base_job_template=process_pool_template(),
                        concurrency_limit=limit,
                    )
                )
            except ObjectAlreadyExists:
                if limit is not None:
                    client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=limit))


def pool_deployments(*, interval_seconds: int, monitoring_dir: str) -> list[RunnerDeployment]:
    """The deployments the worker hosts run, each with its pool."""
    module = EntrypointType.MODULE_PATH  # workers import the installed package, no code pull
    sweep = advance_active_cycles.to_deployment(
        name="advance-active-cycles",
        interval=timedelta(seconds=interval_seconds),
        parameters={"dispatch": True},
        entrypoint_type=module,
        # A sweep still queued when the next is due is skipped, not stacked.
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy="CANCEL_NEW"),
    )
    cycle = audit_cycle.to_deployment(
        name="audit-cycle", parameters={"render_deployment": RENDER}, entrypoint_type=module
    )
    render = render_report.to_deployment(name="render-report", entrypoint_type=module)
    portal = run_portal_jobs.to_deployment(name="portal-jobs", entrypoint_type=module)
    monitoring = monitoring_deployment(monitoring_dir)
    deployments = [sweep, cycle, portal, monitoring, render]
    assert all(isinstance(d, RunnerDeployment) for d in deployments)  # sync: no coroutines
    for deployment in deployments:
        deployment.work_pool_name = POOL  # type: ignore[union-attr]
    render.work_pool_name = RENDER_POOL  # type: ignore[union-attr]
    return deployments  # type: ignore[return-value]


def apply_deployments(
    *, interval_seconds: int, monitoring_dir: str, render_limit: int, zombies: bool = True
) -> None:
    """Create or update the pools, the deployments and the zombie automation (idempotent)."""
    ensure_pools(render_limit=render_limit)
    for deployment in pool_deployments(
        interval_seconds=interval_seconds, monitoring_dir=monitoring_dir
    ):
        try:
            deployment.apply(work_pool_name=deployment.work_pool_name)
        except Exception:  # another worker host created it at the same moment: update it
            deployment.apply(work_pool_name=deployment.work_pool_name)
    if zombies:
        ensure_zombie_automation()


def ensure_zombie_automation() -> None:
    """Prefect's documented zombie-run automation, with one change: a run whose heartbeats
    stopped goes back to the pool (AwaitingRetry) instead of staying Crashed, so a render
    interrupted by a worker's death is retried by another worker; and its twin for a run left
    Pending by a worker that died before starting it."""
    from prefect.automations import Automation

    for name, after, within in (
        (ZOMBIE_AUTOMATION, "prefect.flow-run.heartbeat", ZOMBIE_AFTER),
        # A worker that dies between taking a run and starting its process leaves it Pending,
        # where no heartbeat ever comes.
        (STUCK_AUTOMATION, "prefect.flow-run.Pending", STUCK_AFTER),
    ):
        try:
            Automation.read(name=name)  # type: ignore[unused-coroutine]  # sync here
            continue
        except (ValueError, ObjectNotFound):  # Prefect says "not found" with a ValueError
            pass
        _back_to_pool(name, after, within).create()  # type: ignore[unused-coroutine]


def _back_to_pool(name: str, after: str, within: timedelta) -> Any:
    """An automation: a run silent for `within` after `after` goes back to its pool."""
    from prefect.automations import Automation
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=name,
        trigger=EventTrigger(
            after={after},
            expect={
                "prefect.flow-run.Running",
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
                "prefect.flow-run.AwaitingRetry",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.SCHEDULED,
                name="AwaitingRetry",
                message="Хост виконавця не відповідає: запуск повернуто в чергу.",
                force=True,  # Running -> Scheduled is not a transition a client may propose
            )
        ],
    )
