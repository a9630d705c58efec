"""Flow runs on the work pools: what is waiting or running, and sending one per cycle.

The sweep and `audit_cycle` use these to hand work to the pools (flows/deployments.py makes
the pools and deployments); a cycle with a run in flight gets no second one.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort

POOL = "infoaudit"
RENDER_POOL = "infoaudit-render"
SWEEP = "advance_active_cycles/advance-active-cycles"
AUDIT_CYCLE = "audit_cycle/audit-cycle"
RENDER = "render_report/render-report"
PORTAL_JOBS = "portal_jobs/portal-jobs"
RUNS_PAGE = 200  # the server's maximum page; far more than the cycles in flight
ACTIVE = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED]


def _deployment_id(client: Any, name: str) -> UUID:
    deployment_id: UUID = client.read_deployment_by_name(name).id
    return deployment_id


def _active_runs(client: Any, deployment: str) -> list[Any]:
    runs: list[Any] = client.read_flow_runs(
        deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[_deployment_id(client, deployment)])
        ),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=ACTIVE))
        ),
        # Explicit: the sync client sends None for both, which the server refuses.
        sort=FlowRunSort.ID_DESC,
        limit=RUNS_PAGE,
    )
    return runs


def active_cycle_runs(deployment: str) -> set[int]:
    """The cycles with a run of `deployment` waiting or running now."""
    with get_client(sync_client=True) as client:
        runs = _active_runs(client, deployment)
    return {int(run.parameters["cycle_id"]) for run in runs if "cycle_id" in run.parameters}


def submit_cycle_runs(deployment: str, cycle_ids: list[int], now: datetime | None) -> list[int]:
    """One flow run of `deployment` for each cycle without one already; returns those sent."""
    busy = active_cycle_runs(deployment)
    sent = [cycle_id for cycle_id in cycle_ids if cycle_id not in busy]
    with get_client(sync_client=True) as client:
        deployment_id = _deployment_id(client, deployment)
        for cycle_id in sent:
            parameters: dict[str, Any] = {"cycle_id": cycle_id}
            if now is not None:
                parameters["now"] = now.isoformat()
            client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters, tags=[f"cycle-{cycle_id}"]
            )
    return sent


def submit_once(deployment: str, parameters: dict[str, Any] | None = None) -> UUID | None:
    """One flow run of `deployment` unless one is waiting or running; returns its id."""
    with get_client(sync_client=True) as client:
        if _active_runs(client, deployment):
            return None
        run = client.create_flow_run_from_deployment(
            _deployment_id(client, deployment), parameters=parameters or {}
        )
    return run.id
