"""The scheduled sweep: advance every active cycle (served on an interval by `infoaudit serve`)."""

import asyncio
import contextlib
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from prefect import flow
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.runner import Runner

from flows.audit_cycle import audit_cycle
from flows.monitoring import monitoring_deployment
from flows.portal_jobs import run_portal_jobs
from flows.reminders import action_plan_reminders
from models.clock import SystemClock
from models.db import session_scope
from models.services.cycles import active_cycle_ids
from models.services.due_cycles import due_cycle_ids
from models.services.portal_jobs import requested_job_ids
from models.settings import get_settings


@flow(name="advance_active_cycles")
def advance_active_cycles(
    now: datetime | None = None, dispatch: bool = False
) -> dict[int, dict[str, str]]:
    """Run `audit_cycle` for each active cycle; one failing cycle does not stop the others.

    With `dispatch` (the work-pool deployment, `infoaudit worker`), each cycle with something
    to do gets its own `audit_cycle` flow run on the pool instead, so N workers advance N
    cycles at once.
    """
    if dispatch:
        from flows.pool_runs import (
            AUDIT_CYCLE,
            PORTAL_JOBS,
            RENDER,
            active_cycle_runs,
            submit_cycle_runs,
            submit_once,
        )

        with session_scope() as session:
            due = due_cycle_ids(session, now=now or SystemClock().now())
        rendering = active_cycle_runs(RENDER)  # nothing to do until their render ends
        sent = submit_cycle_runs(AUDIT_CYCLE, [c for c in due if c not in rendering], now)
        with session_scope() as session:
            if requested_job_ids(session):  # publications and monitoring cards asked for
                submit_once(PORTAL_JOBS, {"now": now.isoformat()} if now else {})
        action_plan_reminders(now)  # light: letters queued in the outbox, once per point
        return {cycle_id: {"submitted": "yes"} for cycle_id in sent}
    with session_scope() as session:
        cycle_ids = active_cycle_ids(session)
    results: dict[int, dict[str, str]] = {}
    for cycle_id in cycle_ids:
        state = audit_cycle(cycle_id, now, return_state=True)
        results[cycle_id] = state.result() if state.is_completed() else {"error": state.name or ""}
    run_portal_jobs(now)  # publications and monitoring cards asked for in the console
    action_plan_reminders(now)  # plans outlive their cycle: every organization's open items
    return results


class _Runner(Runner):
    def __init__(self, *args: Any, on_sigterm: Callable[[], None] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._on_sigterm = on_sigterm
        # Prefect keeps its working files in /tmp/runner_storage, which another user's runner
        # may already own (serve then dies with PermissionError): use our data directory.
        self._tmp_dir = get_settings().data_dir.resolve() / "runner" / self._tmp_dir.name

    def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
        # Prefect 3.8 leaves its stop coroutine unawaited on SIGTERM and may hang: behave as
        # on Ctrl+C instead, which pauses the deployment and returns cleanly. The runner took
        # over the command's own SIGTERM handler: `on_sigterm` does what that one did.
        if self._on_sigterm is not None:
            self._on_sigterm()
        signal.raise_signal(signal.SIGINT)


def served_deployments(*, interval_seconds: int) -> list[RunnerDeployment]:
    """What `infoaudit serve` serves: the sweep on an interval, the monitoring quarterly."""
    sweep = advance_active_cycles.to_deployment(
        name="advance-active-cycles",
        interval=timedelta(seconds=interval_seconds),
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    monitoring = monitoring_deployment(str(get_settings().data_dir.resolve() / "monitoring"))
    deployments = [sweep, monitoring]
    assert all(isinstance(d, RunnerDeployment) for d in deployments)  # sync: no coroutines
    return deployments  # type: ignore[return-value]


def serve_sweep(*, interval_seconds: int, on_sigterm: Callable[[], None] | None = None) -> None:
    """Serve `advance_active_cycles` on an interval, and the quarterly monitoring of every
    organization on its schedule, until Ctrl+C or SIGTERM (blocks; `on_sigterm` is called first
    on SIGTERM)."""
    runner = _Runner(name="infoaudit", pause_on_shutdown=True, on_sigterm=on_sigterm)
    for deployment in served_deployments(interval_seconds=interval_seconds):
        runner.add_deployment(deployment)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.start())
