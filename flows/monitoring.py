"""The `quarterly_monitoring` flow: a fresh portal snapshot and the quarter's monitoring card.

"Картка оцінки стану оприлюднення і оновлення відкритих даних" (seed 002) goes to the Ministry
every quarter, between annual audits. It runs on a quarterly schedule (see
`monitoring_deployment`) and on demand: `infoaudit monitor <org> --now 2024-10-01`.
"""

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.deployments.runner import EntrypointType
from sqlalchemy.orm import Session

from flows.portal_snapshot import SnapshotOutcome, take_snapshot
from models.clock import KYIV, SystemClock, local_date
from models.db import session_scope
from models.services.action_plan import (
    as_sentence,
    items_due_between,
    latest_note,
    responsible_label,
    status_label,
    unit_names,
)
from models.services.analysis import PublicationAnalysis, analyse_publication
from models.services.analysis_context import summary_row
from models.services.organizations import get_organization, list_organization_ids
from models.services.register import to_csv
from report_templates.environment import render_pdf

CARD_TEMPLATE = "monitoring_card.html.j2"
QUARTERLY_CRON = "0 6 1 1,4,7,10 *"  # 06:00 on the first day of each quarter
ROMAN = ("I", "II", "III", "IV")
CARD_HEADER = (
    "Місце в рейтингу",
    "Підрозділ",
    "Підлягає оприлюдненню",
    "Оприлюднено",
    "З них у приватному режимі",
    "Прострочено оновлення",
    "Не машиночитані",
    "Оприлюднено, %",
    "Відповідають усім критеріям, %",
    "Бал рейтингу",
)


def reporting_quarter(day: date) -> tuple[int, int]:
    """The last quarter that ended before `day`, as (year, 1..4)."""
    current = (day.month - 1) // 3
    return (day.year, current) if current else (day.year - 1, 4)


def quarter_bounds(quarter: tuple[int, int]) -> tuple[date, date]:
    """The first and last day of a quarter (year, 1..4)."""
    year, number = quarter
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after - timedelta(days=1)


def plan_rows(
    session: Session, *, organization_id: int, quarter: tuple[int, int], today: date
) -> list[dict[str, Any]]:
    """The action-plan items due in the quarter, with their status on `today`."""
    first, last = quarter_bounds(quarter)
    units = unit_names(session, organization_id=organization_id)
    rows = []
    for item in items_due_between(session, organization_id=organization_id, first=first, last=last):
        note = latest_note(item)
        rows.append(
            {
                "position": item.position,
                "task": as_sentence(item.task),
                "responsible": responsible_label(item, units),
                "due_on": item.due_on,
                "status": status_label(item, today),
                "note": f"{note.noted_on:%d.%m.%Y}: {note.text}" if note and note.text else "",
            }
        )
    return rows


def card_context(
    analysis: PublicationAnalysis,
    *,
    organization: str,
    quarter: tuple[int, int],
    note: str,
    plan_items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What the card shows."""
    year, number = quarter
    return {
        "plan_items": plan_items or [],
        "organization": organization,
        "quarter_label": f"{ROMAN[number - 1]} квартал {year} року",
        "as_of": analysis.as_of,
        "snapshot_taken_at": (
            analysis.snapshot_taken_at.astimezone(KYIV) if analysis.snapshot_taken_at else None
        ),
        "note": note,
        "units": [summary_row(s) for s in analysis.units],
        "totals": summary_row(analysis.totals),
        "target": analysis.target,
        "meets_target": analysis.meets_target,
    }


def card_table(context: dict[str, Any]) -> list[list[Any]]:
    """The card as a table (CSV)."""
    keys = (
        "rank",
        "name",
        "required",
        "published",
        "private",
        "overdue",
        "not_machine_readable",
        "percent_published",
        "share_meeting_all",
        "score",
    )
    rows = [[row[k] for k in keys] for row in context["units"]]
    totals = context["totals"]
    return [list(CARD_HEADER), *rows, ["", *[totals[k] for k in keys[1:]]]]


def render_card(context: dict[str, Any]) -> bytes:
    """The one-page PDF card, through the report's templates and confined URL fetcher."""
    return render_pdf(CARD_TEMPLATE, context)


@task(cache_policy=NO_CACHE)
def snapshot_task(organization_id: int, now: datetime) -> SnapshotOutcome:
    """Take a fresh portal snapshot (the previous one stays when the portal fails)."""
    return take_snapshot(organization_id, now=now)  # with the organization's own key


@task(cache_policy=NO_CACHE)
def card_task(organization_id: int, now: datetime, out_dir: str, note: str) -> list[str]:
    """Analyse and write the card's CSV and PDF; returns their paths."""
    with session_scope() as session:
        organization = get_organization(session, organization_id=organization_id).name
        analysis = analyse_publication(session, organization_id=organization_id, as_of=now)
        quarter = reporting_quarter(local_date(now))
        items = plan_rows(
            session, organization_id=organization_id, quarter=quarter, today=local_date(now)
        )
    context = card_context(
        analysis, organization=organization, quarter=quarter, note=note, plan_items=items
    )
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"monitoring-card-{organization_id}-{quarter[0]}-Q{quarter[1]}"
    csv_path, pdf_path = folder / f"{stem}.csv", folder / f"{stem}.pdf"
    csv_path.write_bytes(to_csv(card_table(context)))
    pdf_path.write_bytes(render_card(context))
    return [str(csv_path), str(pdf_path)]


@flow(name="quarterly_monitoring", log_prints=False)
def quarterly_monitoring(
    organization_id: int, now: datetime | None = None, out_dir: str = "monitoring"
) -> dict[str, Any]:
    """Snapshot the portal, then write the quarter's monitoring card (CSV and one-page PDF)."""
    moment = now if now is not None else SystemClock().now()
    outcome = snapshot_task(organization_id, moment)
    paths = card_task(organization_id, moment, out_dir, outcome.message)
    return {"snapshot": outcome.ok, "message": outcome.message, "files": paths}


@flow(name="quarterly_monitoring_all", log_prints=False)
def monitor_all_organizations(
    now: datetime | None = None, out_dir: str = "monitoring"
) -> dict[int, dict[str, Any]]:
    """The quarterly monitoring of every organization (each into out_dir/<id>)."""
    with session_scope() as session:
        organization_ids = list_organization_ids(session)
    return {
        organization_id: quarterly_monitoring(organization_id, now, f"{out_dir}/{organization_id}")
        for organization_id in organization_ids
    }


def monitoring_deployment(out_dir: str) -> Any:
    """All organizations' monitoring on its quarterly schedule, served by `infoaudit serve`."""
    return monitor_all_organizations.to_deployment(
        name="quarterly-monitoring",
        cron=QUARTERLY_CRON,
        parameters={"out_dir": out_dir},
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
