"""The report: its context built from the database, and its stored versions."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.clock import KYIV
from models.cycle import (
    STAGE_LABELS,
    STAGE_STATUS_LABELS,
    AuditCycle,
    AuditedUnit,
)
from models.errors import NotFound
from models.organization import UNIT_KIND_LABELS, Organization, Unit
from models.questionnaire import (
    InformationItem,
    InformationSystem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.report import Report, ReportStatus, ReportVersion
from models.security import sha256_hex
from models.services.analysis import analyse_for_cycle, entry_state_context, publication_context
from models.services.consolidation import consolidated_items, consolidated_systems
from models.services.cycles import get_cycle
from models.services.events import record_event
from models.services.register import list_register
from models.services.surveys.results import survey_results
from report_templates.charts import bar_chart_svg


def _audited_units(session: Session, *, cycle_id: int) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .join(AuditedUnit, AuditedUnit.unit_id == Unit.id)
            .where(AuditedUnit.cycle_id == cycle_id)
            .order_by(AuditedUnit.position)
        )
    )


def _count(session: Session, model: type[Any], cycle_id: int) -> int:
    return (
        session.scalar(
            select(func.count(model.id))
            .join(QuestionnaireSubmission, QuestionnaireSubmission.id == model.submission_id)
            .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
            .where(
                AuditedUnit.cycle_id == cycle_id,
                QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
            )
        )
        or 0
    )


def questionnaire_counts(session: Session, *, cycle_id: int) -> dict[str, int]:
    """Submitted questionnaires, units that submitted, and records about systems and items."""
    submitted = (
        select(QuestionnaireSubmission.id, AuditedUnit.unit_id)
        .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
        .where(
            AuditedUnit.cycle_id == cycle_id,
            QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
        )
        .subquery()
    )
    questionnaires, units = session.execute(
        select(func.count(submitted.c.id), func.count(func.distinct(submitted.c.unit_id)))
    ).one()
    return {
        "questionnaires": questionnaires,
        "units_with_questionnaire": units,
        "information_systems": _count(session, InformationSystem, cycle_id),
        "information_items": _count(session, InformationItem, cycle_id),
    }


def build_report_context(
    session: Session, *, cycle_id: int, now: datetime, version: int
) -> dict[str, Any]:
    """Everything the report templates show (see docs/report_context.md)."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    units = _audited_units(session, cycle_id=cycle_id)
    results = survey_results(session, cycle_id=cycle_id)
    register = list_register(session, organization_id=cycle.organization_id)
    publication = analyse_for_cycle(
        session, organization_id=cycle.organization_id, year=cycle.year, as_of=now
    )
    participants = results[0].participants if results else 0
    proposals = sum(len(r.texts) for r in results if r.kind == "text")
    return {
        "organization": {"name": organization.name},
        "cycle": {
            "year": cycle.year,
            "order_number": cycle.order_number,
            "order_date": cycle.order_date,
            "order_title": cycle.order_title,
            "interview_schedule_on": cycle.interview_schedule_on,
        },
        "generated_at": now.astimezone(KYIV),
        "version": version,
        "units": [{"name": u.name, "kind_label": UNIT_KIND_LABELS[u.kind]} for u in units],
        "stages": [
            {
                "kind": stage.kind.value,
                "label": STAGE_LABELS[stage.kind],
                "starts_on": stage.starts_on,
                "due_on": stage.due_on,
                "status_label": STAGE_STATUS_LABELS[stage.status],
                "skipped_reason": stage.skipped_reason,
            }
            for stage in cycle.stages
        ],
        "counts": {
            "units": len(units),
            **questionnaire_counts(session, cycle_id=cycle_id),
            "survey_participants": participants,
            "proposals": proposals,
            "register_entries": len(register),
        },
        "annex1": [
            {
                "number": entry.number,
                "name": entry.name,
                "units": [u.name for u in entry.units],
                "official": (
                    " – ".join(p for p in (entry.official.full_name, entry.official.position) if p)
                    if entry.official
                    else ""
                ),
                "periodicity": str(entry.periodicity),
                "state": entry_state_context(publication.entry(entry.number)),
            }
            for entry in register
        ],
        "publication": publication_context(publication),
        "annex2": consolidated_systems(session, cycle_id=cycle_id),
        "annex3": [
            {
                "number": r.position,
                "text": r.text,
                "kind": r.kind.value,
                "answered": r.answered,
                "participants": r.participants,
                "options": [
                    {"label": o.label, "count": o.count, "percent": o.percent} for o in r.options
                ],
                "texts": r.texts,
                "denominator": r.denominator,
                "chart": bar_chart_svg(r) if r.options else None,
            }
            for r in results
        ],
        "annex4": consolidated_items(session, cycle_id=cycle_id),
    }


def get_report(session: Session, *, cycle_id: int) -> Report | None:
    """The cycle's report, if one was rendered."""
    return session.scalar(select(Report).where(Report.cycle_id == cycle_id))


def latest_version(session: Session, *, cycle_id: int) -> ReportVersion | None:
    """The newest rendered version of the cycle's report."""
    return session.scalar(
        select(ReportVersion)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(Report.cycle_id == cycle_id)
        .order_by(ReportVersion.number.desc())
        .limit(1)
    )


def next_version_number(session: Session, *, cycle_id: int) -> int:
    """The number the next rendered version gets."""
    latest = latest_version(session, cycle_id=cycle_id)
    return 1 if latest is None else latest.number + 1


def store_version(
    session: Session, *, cycle_id: int, pdf: bytes, number: int, now: datetime
) -> ReportVersion:
    """Store a rendered PDF as a new draft version of the cycle's report."""
    report = get_report(session, cycle_id=cycle_id)
    if report is None:
        report = Report(cycle_id=cycle_id)
        session.add(report)
        session.flush()
    version = ReportVersion(
        report_id=report.id,
        number=number,
        status=ReportStatus.DRAFT,
        generated_at=now,
        sha256=sha256_hex(pdf),
        size=len(pdf),
        pdf=pdf,
    )
    session.add(version)
    session.flush()
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="report.rendered",
        at=now,
        details={"version": number, "sha256": version.sha256, "size": len(pdf)},
        dedup_key=f"report:{report.id}:version:{number}",
    )
    return version


def load_pdf(session: Session, *, version_id: int) -> bytes:
    """The PDF bytes of a version (a deferred column, loaded only on download)."""
    pdf = session.scalar(select(ReportVersion.pdf).where(ReportVersion.id == version_id))
    if pdf is None:
        raise NotFound("Звіт не знайдено.")
    return pdf
