"""`infoaudit worker` picks a submitted `audit_cycle` run up from the work pool and completes it.

Real Prefect all the way: the session's Prefect API, the pools and deployments as
`infoaudit deploy` makes them, and `infoaudit worker` as its own process (no mocks).
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL

from api.prefect_server import stop_process_group
from flows.deployments import apply_deployments
from flows.pool_runs import AUDIT_CYCLE, POOL, RENDER, active_cycle_runs, submit_cycle_runs
from models.cycle import StageKind, StageStatus
from models.db import session_scope
from models.services.cycles import get_cycle
from models.services.due_cycles import due_cycle_ids
from tests.factories import SEED_STAGES, at, create_organization, launch, plan

RUN_DEADLINE_S = 50.0
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def worker(database_url: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`infoaudit worker --pool infoaudit` on the session's Prefect API, as its own process."""
    apply_deployments(
        interval_seconds=3600,
        monitoring_dir=str(tmp_path / "monitoring"),
        render_limit=1,
        # Its event buckets would contend for the test harness's SQLite file: not needed here.
        zombies=False,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_HOME": str(tmp_path / "prefect-worker"),
            "PREFECT_WORKER_QUERY_SECONDS": "1",  # default 10 s: poll faster, keep it short
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "INFOAUDIT_DATABASE_URL": database_url,
            "INFOAUDIT_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": str(REPO),
        }
    )
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker", "--pool", POOL, "--no-deploy", "--limit", "2"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its flow-run children are stopped with it
    )
    try:
        yield proc
    finally:
        stop_process_group(proc)
        log.close()


def _wait_final(run_id: object, proc: subprocess.Popen[bytes], log: Path) -> StateType:
    deadline = time.monotonic() + RUN_DEADLINE_S
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(run_id).state  # type: ignore[arg-type]
            if state is not None and state.is_final():
                return state.type
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
    raise AssertionError(f"run not finished in time:\n{log.read_text(errors='replace')[-3000:]}")


def test_a_worker_completes_a_cycle_run_from_the_pool(
    client: TestClient, worker: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    org = create_organization(client)
    cycle_id = launch(client, org["coordinator"], plan())["id"]
    now = at("2024-09-24")

    assert submit_cycle_runs(AUDIT_CYCLE, [cycle_id], now) == [cycle_id]
    # The sweep sends no second run while the first waits in the pool.
    assert active_cycle_runs(AUDIT_CYCLE) == {cycle_id}
    assert submit_cycle_runs(AUDIT_CYCLE, [cycle_id], now) == []
    with get_client(sync_client=True) as client_api:
        deployment = client_api.read_deployment_by_name(AUDIT_CYCLE)
        assert deployment.work_pool_name == POOL
        assert deployment.parameters == {"render_deployment": RENDER}
    runs = _runs_of(AUDIT_CYCLE)
    assert len(runs) == 1

    assert _wait_final(runs[0], worker, tmp_path / "worker.log") == StateType.COMPLETED
    with session_scope() as session:
        stages = {s.kind: s.status for s in get_cycle(session, cycle_id=cycle_id).stages}
    # The worker's run advanced the cycle in the shared database, as of the given moment.
    assert stages[StageKind.PREPARATION] == StageStatus.OPEN
    assert stages[StageKind.REMOTE_AUDIT] == StageStatus.OPEN
    assert stages[StageKind.REPORTING] == StageStatus.PLANNED
    assert active_cycle_runs(AUDIT_CYCLE) == set()


def _runs_of(deployment: str) -> list[object]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        deployment_id = client.read_deployment_by_name(deployment).id
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            sort=FlowRunSort.ID_DESC,
            limit=50,
        )
    return [r.id for r in runs]


def test_the_sweep_sends_runs_only_for_cycles_with_something_to_do(client: TestClient) -> None:
    org = create_organization(client)
    later = {
        kind: {key: str(date.fromisoformat(day) + timedelta(days=14)) for key, day in dates.items()}
        for kind, dates in SEED_STAGES.items()
    }
    cycle_id = launch(client, org["coordinator"], plan(stages=later))["id"]
    with session_scope() as session:
        assert due_cycle_ids(session, now=at("2024-10-06")) == []  # nothing has started
        assert due_cycle_ids(session, now=at("2024-10-07")) == [cycle_id]
