"""Flow runs killed with SIGKILL in the middle, then run again: the render (while its worker
processes lay out the PDF) and the publication to the portal (after the portal stored a file,
before the publisher heard so). No worker outlives the killed run, the rerun stores exactly one
report version, and the portal gets one dataset with each file once.

One test, not two: the publication needs an approved rendered report, and a render is the
slowest step here (the fault suite keeps within a minute on a busy 2-core machine)."""

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from bench.forking import Launcher, alive
from flows.portal_jobs import run_portal_jobs
from flows.report import render_report
from models.clock import FixedClock
from models.db import session_scope
from models.portal_job import PortalJob, PortalJobStatus
from models.services.report.versions import list_versions
from tests.doubles.ckan import PUBLISH_TOKEN, PublishPortal, allow_portal
from tests.doubles.loopback import loopback_server
from tests.factories import at, login
from tests.faults.cycles import reporting_cycle
from tests.faults.processes import child_env, descendants, survivors, wait_for

# Processes killed and rerun: the same on every database, run once, in the SQLite pass (the
# survey-kill test covers PostgreSQL, and bench/faults.py does it at full size).
pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

OWNER = "test-rada"
LEASE_SECONDS = "2"  # how long a killed publication's claim keeps others from resuming it


def test_render_and_publish_killed_midway_then_rerun_do_everything_once(
    client: TestClient,
    clock: FixedClock,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    portal = PublishPortal()
    with loopback_server(portal.handler()) as portal_url:
        allow_portal(monkeypatch, portal_url)
        settings = {
            "INFOAUDIT_RENDER_WORKERS": "1",
            "INFOAUDIT_PORTAL_HOSTS": urlsplit(portal_url).netloc,
            "INFOAUDIT_DATA_DIR": str(tmp_path / "data"),
            "INFOAUDIT_PORTAL_JOB_LEASE_SECONDS": LEASE_SECONDS,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        # Started first: it imports the flows while the cycle is built.
        launcher = Launcher(
            "tests.faults.flow_child", tmp_path / "child.log", child_env(database_url, **settings)
        )
        try:
            cycle_id, org = reporting_cycle(client, clock)
            _render_killed_then_rerun(launcher, cycle_id, clock)
            job_id = _publish_killed_then_rerun(
                launcher, client, clock, cycle_id, org, portal, portal_url
            )
        finally:
            launcher.close()

    assert len(portal.packages) == 1
    dataset = next(iter(portal.packages.values()))
    names = [r["name"] for r in dataset["resources"]]
    assert len(names) == len(set(names)) > 5
    assert "report.pdf" in names
    assert portal.calls.count("package_create") == 1
    assert portal.calls.count("resource_create") == len(names)  # the stored one not again
    assert len(portal.uploads) == len(names)
    with session_scope() as session:
        stored = session.get(PortalJob, job_id)
        assert stored is not None
        assert stored.status == PortalJobStatus.DONE


def _render_killed_then_rerun(launcher: Launcher, cycle_id: int, clock: FixedClock) -> None:
    """The render, killed while its workers lay out the parts; the rerun stores one version."""
    render = launcher.start("render", str(cycle_id), clock.now().isoformat())
    # Mid-render: the worker processes exist (a fork server and its workers).
    wait_for(
        lambda: alive(render) and len(descendants(render)) >= 2,
        timeout=90,
        what=f"the render's workers:\n{launcher.tail()}",
    )
    left = launcher.kill(render)
    with session_scope() as session:
        assert list_versions(session, cycle_id=cycle_id) == []  # nothing half-stored
    assert survivors(left) == [], "render workers outlived the killed flow"
    # The rerun (on the session's Prefect server), then another: nothing is due any more.
    assert render_report(cycle_id, clock.now()) == 1
    assert render_report(cycle_id, clock.now()) is None
    with session_scope() as session:
        versions = list_versions(session, cycle_id=cycle_id)
        assert [v.number for v in versions] == [1]
        assert versions[0].size > 10_000


def _publish_killed_then_rerun(
    launcher: Launcher,
    client: TestClient,
    clock: FixedClock,
    cycle_id: int,
    org: dict[str, Any],
    portal: PublishPortal,
    portal_url: str,
) -> int:
    """The publication, killed after the portal stored the first file, before it answered;
    the sweep's rerun resumes it once the killed run's claim lapsed."""
    clock.set(at("2024-10-15"))
    coordinator = login(client, org["coordinator_email"])
    approved = client.post(f"/api/cycles/{cycle_id}/report/versions/1/approve", headers=coordinator)
    assert approved.status_code == 200, approved.text
    source = {"portal_url": portal_url, "portal_organization": OWNER, "api_token": PUBLISH_TOKEN}
    put = client.put(f"/api/organizations/{org['id']}/portal", headers=coordinator, json=source)
    assert put.status_code == 200, put.text
    job = client.post(f"/api/cycles/{cycle_id}/open-data/publish", headers=coordinator)
    assert job.status_code == 202, job.text
    portal.fail["resource_create"] = "slow-after-work"
    publish = launcher.start("portal-jobs", "0", clock.now().isoformat())
    wait_for(
        lambda: bool(portal.uploads) or not alive(publish),
        timeout=90,
        what=f"the first upload:\n{launcher.tail()}",
    )
    assert alive(publish), launcher.tail()
    launcher.kill(publish)
    assert len(portal.uploads) == 1

    time.sleep(float(LEASE_SECONDS) + 0.5)
    assert run_portal_jobs(clock.now()) == {job.json()["id"]: "done"}
    assert run_portal_jobs(clock.now()) == {}
    return int(job.json()["id"])
