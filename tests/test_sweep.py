"""What `infoaudit serve` schedules, and the all-organizations monitoring flow."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

from flows.monitoring import monitor_all_organizations
from flows.sweep import served_deployments
from tests.factories import at, create_organization, second_organization


@pytest.mark.sqlite_only
def test_serve_schedules_the_sweep_and_the_quarterly_monitoring() -> None:
    sweep, monitoring = served_deployments(interval_seconds=120)
    assert sweep.name == "advance-active-cycles"
    assert monitoring.name == "quarterly-monitoring"
    interval = sweep.schedules[0].schedule if sweep.schedules else None
    cron = monitoring.schedules[0].schedule if monitoring.schedules else None
    assert isinstance(interval, IntervalSchedule)
    assert interval.interval.total_seconds() == 120
    assert isinstance(cron, CronSchedule)
    assert cron.cron == "0 6 1 1,4,7,10 *"


def test_monitoring_writes_a_card_per_organization(client: TestClient, tmp_path: Path) -> None:
    create_organization(client)
    second_organization(client)
    results = monitor_all_organizations(at("2024-10-01"), str(tmp_path))
    assert sorted(results) == [1, 2]
    for organization_id, result in results.items():
        files = [Path(f) for f in result["files"]]
        assert {f.suffix for f in files} == {".csv", ".pdf"}
        assert all(f.parent == tmp_path / str(organization_id) and f.stat().st_size for f in files)
