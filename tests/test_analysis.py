"""Due dates and overdue arithmetic, and the analysis figures on a hand-checked fixture."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.clock import FixedClock
from models.db import session_scope
from models.periodicity import (
    BasePeriod,
    Deadline,
    Periodicity,
    UpdateFrequency,
    add_months,
    add_working_days,
    next_deadline,
    parse_periodicity,
    parse_update_frequency,
    period_end,
    to_update_frequency,
    working_days_between,
)
from models.services.analysis import analyse_for_cycle, is_machine_readable
from models.services.portal_snapshots import match_datasets
from models.services.publication import (
    PortalDataset,
    PortalResource,
    latest_snapshot,
    record_failed_snapshot,
    record_snapshot,
)
from models.services.report.context import build_report_context
from tests.factories import SEED_STAGES, at, create_organization, launch, login, plan

QUARTERLY_35 = parse_periodicity("щоквартально протягом 35 днів після закінчення звітного кварталу")
ON_CHANGE_3 = parse_periodicity("позапланово (протягом трьох робочих днів з моменту внесення змін)")


@pytest.mark.sqlite_only
def test_quarter_lag_crosses_the_quarter_end_and_a_weekend() -> None:
    # Updated in Q2 (covers Q1): Q2 ends 30.06, +35 days = Sun 04.08.2024 → Mon 05.08.
    deadline = next_deadline(QUARTERLY_35, last_update=date(2024, 5, 1))
    assert deadline == Deadline(date(2024, 8, 5))
    assert deadline.overdue_days(date(2024, 8, 5)) == 0
    assert deadline.overdue_days(date(2024, 8, 6)) == 1
    # Updated on the last day of a quarter: that quarter is due 35 days after it ends.
    assert next_deadline(QUARTERLY_35, last_update=date(2024, 3, 31)) == Deadline(date(2024, 5, 6))
    # Q4 crosses the year: 31.12.2024 + 35 = Tue 04.02.2025.
    assert next_deadline(QUARTERLY_35, last_update=date(2024, 10, 1)) == Deadline(date(2025, 2, 4))


@pytest.mark.sqlite_only
def test_working_days_skip_weekends() -> None:
    # A change on Thursday 03.10.2024, three working days: Fri, Mon, Tue → due Tue 08.10.
    deadline = next_deadline(
        ON_CHANGE_3, last_update=date(2024, 9, 1), changed_on=date(2024, 10, 3)
    )
    assert deadline == Deadline(date(2024, 10, 8), working_days=True)
    assert deadline.overdue_days(date(2024, 10, 8)) == 0
    # Wed 09.10 to Mon 14.10: Wed, Thu, Fri, Mon → 4 working days late (the weekend is free).
    assert deadline.overdue_days(date(2024, 10, 14)) == 4
    assert deadline.overdue_days(date(2024, 10, 12)) == 3  # Saturday
    assert add_working_days(date(2024, 12, 27), 3) == date(2025, 1, 1)  # Fri → Mon, Tue, Wed
    assert working_days_between(date(2024, 10, 4), date(2024, 10, 7)) == 1
    # No change after the last update: nothing is due.
    assert next_deadline(ON_CHANGE_3, last_update=date(2024, 10, 3)) is None
    assert (
        next_deadline(ON_CHANGE_3, last_update=date(2024, 10, 3), changed_on=date(2024, 10, 1))
        is None
    )


@pytest.mark.sqlite_only
def test_calendar_periods() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert period_end(BasePeriod.QUARTERLY, date(2024, 8, 15)) == date(2024, 9, 30)
    assert period_end(BasePeriod.SEMIANNUAL, date(2024, 8, 15)) == date(2024, 12, 31)
    assert period_end(BasePeriod.WEEKLY, date(2024, 10, 2)) == date(2024, 10, 6)
    annual = parse_periodicity("щороку та в міру потреби")
    # 29.02.2024 + 1 year = Fri 28.02.2025.
    assert next_deadline(annual, last_update=date(2024, 2, 29)) == Deadline(date(2025, 2, 28))
    monthly = parse_periodicity("щомісячно")
    # 05.09.2024 + 1 month = Sat 05.10 → Mon 07.10; overdue in calendar days after that.
    deadline = next_deadline(monthly, last_update=date(2024, 9, 5))
    assert deadline == Deadline(date(2024, 10, 7))
    assert deadline.overdue_days(date(2024, 10, 14)) == 7
    # As needed only: never overdue.
    assert next_deadline(Periodicity(as_needed=True), last_update=date(2020, 1, 1)) is None


@pytest.mark.sqlite_only
def test_portal_update_frequency_mapping() -> None:
    assert to_update_frequency(QUARTERLY_35) == UpdateFrequency.QUARTERLY
    assert to_update_frequency(ON_CHANGE_3) == UpdateFrequency.ON_CHANGE
    assert to_update_frequency(parse_periodicity("щопівроку")).value == "once a half year"
    assert to_update_frequency(Periodicity(as_needed=True)) == UpdateFrequency.UNSCHEDULED
    assert parse_update_frequency("Once a Year") == UpdateFrequency.ANNUAL
    assert parse_update_frequency("щокварталу") == UpdateFrequency.QUARTERLY
    assert parse_update_frequency("коли заманеться") is None
    assert parse_update_frequency(None) is None


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CSV", True),
        (".json", True),
        ("text/csv", True),
        ("XML", True),
        ("GeoJSON", True),
        ("XLS", False),
        ("xlsx", False),
        ("PDF", False),
        ("DOC", False),
        ("", False),
    ],
)
def test_machine_readable_formats(value: str, expected: bool) -> None:
    assert is_machine_readable(value) is expected


GENERAL, EDUCATION, PROPERTY = (
    "Загальний відділ",
    "Управління освіти",
    "Управління комунальної власності",
)

# The hand-checked fixture: five register rows, the analysis taken on Mon 14.10.2024.
REGISTER = [
    (1, "Перелік об’єктів комунальної власності", [PROPERTY], "щороку"),
    (2, "Звіти про виконання кошторисів", [PROPERTY, GENERAL], QUARTERLY_35.to_ukrainian()),
    (3, "Мережа закладів освіти", [EDUCATION], "щопівроку"),
    (4, "Розпорядження міського голови", [GENERAL], ON_CHANGE_3.to_ukrainian()),
    (5, "Бюджетні запити", [GENERAL], "щомісячно"),
]


def _import(client: TestClient, org: dict[str, Any]) -> None:
    rows = [
        {"number": n, "name": name, "units": units, "periodicity": periodicity}
        for n, name, units, periodicity in REGISTER
    ]
    rows[0]["portal_url"] = "https://data.gov.ua/dataset/komunalna-vlasnist"
    response = client.post(
        f"/api/organizations/{org['id']}/register", headers=org["coordinator"], json=rows
    )
    assert response.status_code == 201, response.text


def _snapshot(org_id: int, *, taken_at: datetime) -> None:
    datasets = [
        PortalDataset(
            portal_id="pkg-1",
            name="komunalna-vlasnist",
            title="Перелік обʼєктів комунальної власності (оновлено)",
            url="https://data.gov.ua/dataset/komunalna-vlasnist",
            private=False,
            metadata_modified=datetime(2024, 3, 1, 9, tzinfo=UTC),
            update_frequency="once a year",
            resources=[
                PortalResource("2024", "CSV", None, datetime(2024, 2, 1, 9, tzinfo=UTC)),
                PortalResource("2024", "PDF", None, None),
            ],
        ),
        PortalDataset(
            portal_id="pkg-2",
            name="koshtorysy",
            title="Звіти про виконання кошторисів",
            url="https://data.gov.ua/dataset/koshtorysy",
            private=True,
            metadata_modified=datetime(2024, 5, 2, 9, tzinfo=UTC),
            update_frequency="once a quarter",
            # Updated 01.05 (Q2): Q2's report was due Mon 05.08.2024 → 70 days late on 14.10.
            resources=[PortalResource("Q1", "XLS", None, datetime(2024, 5, 1, 9, tzinfo=UTC))],
        ),
        PortalDataset(
            portal_id="pkg-3",
            name="inshe",
            title="Зовсім інший набір",
            url=None,
            private=False,
            metadata_modified=None,
            update_frequency=None,
        ),
    ]
    with session_scope() as session:
        snapshot = record_snapshot(
            session,
            organization_id=org_id,
            taken_at=taken_at,
            portal_url="https://data.gov.ua",
            portal_organization="test",
            private_included=True,
            datasets=datasets,
        )
        proposals = match_datasets(
            session, organization_id=org_id, snapshot_id=snapshot.id, now=taken_at
        )
    # The stored link is certain; the title is only proposed to an auditor.
    assert [(p.entry_number, p.portal_id, p.method.value, p.confirmed) for p in proposals] == [
        (1, "pkg-1", "link", True),
        (2, "pkg-2", "name", False),
    ]


def test_analysis_on_a_hand_checked_fixture(client: TestClient) -> None:
    org = create_organization(client)
    _import(client, org)
    _snapshot(org["id"], taken_at=at("2024-10-01"))
    base = f"/api/organizations/{org['id']}"
    auditor_email = "auditor@test.example.org"
    response = client.post(
        f"{base}/accounts",
        headers=org["coordinator"],
        json={"email": auditor_email, "password": "correct-horse-battery", "role": "auditor"},
    )
    assert response.status_code == 201
    auditor = login(client, auditor_email)
    analysis = client.get(f"{base}/publication/analysis?as_of=2024-10-14", headers=auditor).json()
    # Before confirmation the name match does not count: entry 2 is missing.
    assert analysis["entries"][1]["code"] == "missing"
    assert (
        client.put(
            f"{base}/register/2/match", headers=auditor, json={"portal_id": "pkg-2"}
        ).status_code
        == 200
    )
    assert (
        client.put(f"{base}/register/3/match", headers=auditor, json={"portal_id": "nope"})
    ).status_code == 422
    # Entry 3: not on the portal; an auditor saw it on the council's site (manual entry).
    response = client.post(
        f"{base}/register/3/publication",
        headers=auditor,
        json={
            "state": "published",
            "observed_on": "2024-10-02",
            "last_updated_on": "2024-07-01",
            "formats": ["JSON"],
        },
    )
    assert response.status_code == 201, response.text
    # Entry 4: the source changed Thu 03.10, last published 01.09 → due Tue 08.10, 4 w.d. late.
    response = client.post(
        f"{base}/register/4/publication",
        headers=auditor,
        json={
            "state": "published",
            "observed_on": "2024-10-10",
            "last_updated_on": "2024-09-01",
            "source_changed_on": "2024-10-03",
            "formats": ["CSV", "XLS"],
        },
    )
    assert response.status_code == 201
    # The mayor's office may read but not record.
    assert (
        client.post(
            f"{base}/register/5/publication", headers=org["mayor"], json={"state": "missing"}
        )
    ).status_code == 403

    analysis = client.get(f"{base}/publication/analysis?as_of=2024-10-14", headers=auditor).json()
    entries = {e["number"]: e for e in analysis["entries"]}
    assert entries[1]["code"] == "published"
    assert entries[1]["last_updated"] == "2024-02-01"
    assert entries[1]["due_on"] == "2025-02-03"  # 01.02.2025 is a Saturday
    assert entries[1]["machine_readable"] is True
    assert entries[1]["meets_all"] is True
    assert entries[2]["code"] == "private"
    assert (entries[2]["timeliness"], entries[2]["overdue_days"]) == ("overdue", 70)
    assert entries[2]["machine_readable"] is False
    assert entries[2]["label"] == (
        "оприлюднено в приватному режимі; прострочено на 70 дн.; не машиночитаний (XLS)"
    )
    assert entries[3]["due_on"] == "2025-01-01"
    assert entries[3]["meets_all"] is True
    assert (entries[4]["overdue_days"], entries[4]["label"]) == (
        4,
        "оприлюднено; прострочено на 4 роб. дн.; машиночитаний (CSV, XLS)",
    )
    assert entries[5]["code"] == "missing"
    assert entries[5]["label"] == "не оприлюднено"

    units = {u["name"]: u for u in analysis["units"]}
    # Загальний відділ: entries 2, 4, 5 → published 2 (1 private), overdue 2, not m.-r. 1.
    assert units[GENERAL] == {
        "name": GENERAL,
        "rank": 3,
        "required": 3,
        "published": 2,
        "private": 1,
        "moderation": 0,
        "overdue": 2,
        "not_machine_readable": 1,
        "meeting_all": 0,
        "percent_published": 66.7,
        "share_meeting_all": 0.0,
        "score": 41.7,  # 100 × (0.5×2 + 0.25×0 + 0.25×1) / 3
    }
    # Комунальна власність: entries 1, 2 → score 100 × (0.5×2 + 0.25×1 + 0.25×1) / 2 = 75.
    assert (units[PROPERTY]["rank"], units[PROPERTY]["score"]) == (2, 75.0)
    assert (units[PROPERTY]["percent_published"], units[PROPERTY]["overdue"]) == (100.0, 1)
    assert (units[EDUCATION]["rank"], units[EDUCATION]["score"]) == (1, 100.0)
    totals = analysis["totals"]
    assert (totals["required"], totals["published"], totals["private"]) == (5, 4, 1)
    assert (totals["overdue"], totals["not_machine_readable"], totals["meeting_all"]) == (2, 1, 2)
    assert (totals["percent_published"], totals["share_meeting_all"]) == (80.0, 40.0)
    assert analysis["target"] == 85.0
    assert analysis["meets_target"] is False

    # A later, failed snapshot is recorded but the analysis keeps using the good one.
    with session_scope() as session:
        record_failed_snapshot(
            session,
            organization_id=org["id"],
            taken_at=at("2024-10-12"),
            portal_url="https://data.gov.ua",
            portal_organization="test",
            error="Портал не відповів.",
        )
        kept = latest_snapshot(session, organization_id=org["id"])
        assert kept is not None
        assert kept.dataset_count == 3
    again = client.get(f"{base}/publication/analysis?as_of=2024-10-14", headers=auditor).json()
    assert again["totals"] == totals
    # As of a date before the snapshot and the manual entries, nothing was published.
    early = client.get(f"{base}/publication/analysis?as_of=2024-09-30", headers=auditor).json()
    assert early["totals"]["published"] == 0
    snapshots = client.get(f"{base}/portal/snapshots", headers=auditor).json()
    assert [(s["status"], s["error"]) for s in snapshots] == [
        ("failed", "Портал не відповів."),
        ("ok", None),
    ]


def test_report_shows_publication_and_compares_with_previous_cycle(
    client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    _import(client, org)
    previous_stages = {
        kind: {k: v.replace("2024", "2023") for k, v in dates.items()}
        for kind, dates in SEED_STAGES.items()
    }
    clock.set(at("2023-09-22"))
    launch(
        client,
        org["coordinator"],
        plan(year=2023, order={"number": "1-р", "date": "2023-09-22"}, stages=previous_stages),
    )
    base = f"/api/organizations/{org['id']}"
    for number, observed in ((1, "2023-10-01"), (1, "2024-10-01"), (3, "2024-10-01")):
        response = client.post(
            f"{base}/register/{number}/publication",
            headers=org["coordinator"],
            json={"state": "published", "observed_on": observed, "last_updated_on": observed},
        )
        assert response.status_code == 201
    clock.set(at("2024-09-23", 9))
    cycle = launch(client, org["coordinator"], plan())
    with session_scope() as session:
        analysis = analyse_for_cycle(
            session, organization_id=org["id"], year=2024, as_of=at("2024-10-14")
        )
        assert analysis.previous is not None
        assert analysis.previous.totals.published == 1
        assert analysis.totals.published == 2
        # Figures as of the working group's date (the default would be the remote audit's start).
        context = build_report_context(
            session, cycle_id=cycle["id"], now=at("2024-10-14"), version=1, as_of=date(2024, 10, 14)
        )
    publication = context["publication"]
    assert publication["previous"]["label"] == "2023 рік (станом на 14.10.2023)"
    assert publication["totals"]["percent_published"] == 40.0
    assert [row["state"]["code"] for row in context["annex1"]] == [
        "published",
        "missing",
        "published",
        "missing",
        "missing",
    ]
    assert context["annex1"][0]["state"]["label"].startswith("оприлюднено; оновлюється вчасно")
