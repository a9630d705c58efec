"""A cycle's figures for the next years' reports, and their copy frozen on approval.

The figures are counted from the database, the publication analysis with the register as it
stands; the register changes in the following years (entries added, retired), so a recount
of an earlier cycle would contradict that cycle's approved report. Approving a version stores
the figures with it (report_version.frozen_figures); a later report quotes those.
"""

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cycle import AuditCycle, AuditedUnit
from models.questionnaire import (
    InformationItem,
    InformationSystem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.report import Report, ReportVersion
from models.services.analysis import analyse_publication
from models.services.analysis_context import entry_state_context
from models.services.cycles import get_cycle
from models.services.register import list_register
from models.services.report.facts import end_of_day, figures_date
from models.services.report.findings import unit_findings
from models.services.report.versions import READY
from models.services.surveys.totals import survey_participants


@dataclasses.dataclass(frozen=True)
class CycleFigures:
    """One cycle's figures for the year-over-year table and the indicators."""

    year: int
    as_of: date
    units: int
    questionnaires: int
    information_systems: int
    information_items: int
    survey_participants: int
    required: int
    published: int
    on_time: int
    machine_readable: int
    meeting_all: int
    share_meeting_all: float
    private: int
    units_without_questionnaire: int
    unit_problems: dict[str, int] = dataclasses.field(default_factory=dict)


def _submitted(cycle_id: int) -> Any:
    return (
        select(QuestionnaireSubmission.id, AuditedUnit.unit_id)
        .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
        .where(
            AuditedUnit.cycle_id == cycle_id,
            QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
        )
        .subquery()
    )


def cycle_figures(session: Session, *, cycle: AuditCycle) -> CycleFigures:
    """The cycle's figures counted now (publication as of its figures date, today's register)."""
    submitted = _submitted(cycle.id)
    questionnaires, answering = session.execute(
        select(func.count(submitted.c.id), func.count(func.distinct(submitted.c.unit_id)))
    ).one()
    systems, items = (
        session.scalar(
            select(func.count(model.id)).where(model.submission_id.in_(select(submitted.c.id)))
        )
        or 0
        for model in (InformationSystem, InformationItem)
    )
    units = (
        session.scalar(select(func.count(AuditedUnit.id)).where(AuditedUnit.cycle_id == cycle.id))
        or 0
    )
    as_of = figures_date(session, cycle=cycle)
    analysis = analyse_publication(
        session, organization_id=cycle.organization_id, as_of=end_of_day(as_of)
    )
    annex1 = [
        {
            "name": entry.name,
            "units": [u.name for u in entry.units],
            "state": entry_state_context(analysis.entry(entry.number)),
        }
        for entry in list_register(session, organization_id=cycle.organization_id)
    ]
    totals = analysis.totals
    return CycleFigures(
        year=cycle.year,
        as_of=as_of,
        units=units,
        questionnaires=questionnaires,
        information_systems=systems,
        information_items=items,
        survey_participants=survey_participants(session, cycle_id=cycle.id),
        required=totals.required,
        published=totals.published,
        on_time=totals.on_time,
        machine_readable=totals.machine_readable,
        meeting_all=totals.meeting_all,
        share_meeting_all=round(totals.share_meeting_all, 1),
        private=totals.private,
        units_without_questionnaire=units - answering,
        unit_problems={f.name: f.problems for f in unit_findings(annex1)},
    )


def figures_to_json(figures: CycleFigures) -> dict[str, Any]:
    """The figures as stored with a version (the date as an ISO string)."""
    data = dataclasses.asdict(figures)
    data["as_of"] = figures.as_of.isoformat()
    return data


def figures_from_json(data: dict[str, Any]) -> CycleFigures | None:
    """The stored figures rebuilt; None when they lack a field (stored by an older release that
    counted fewer), and the caller recounts them."""
    known = {f.name for f in dataclasses.fields(CycleFigures)}
    try:
        return CycleFigures(
            **{
                **{k: v for k, v in data.items() if k in known},
                "as_of": date.fromisoformat(str(data["as_of"])),
                "unit_problems": {str(k): int(v) for k, v in data["unit_problems"].items()},
            }
        )
    except (KeyError, TypeError, ValueError):
        return None


def freeze_figures(session: Session, *, version: ReportVersion) -> None:
    """Store the cycle's figures with a version being approved."""
    report = session.get(Report, version.report_id)
    assert report is not None
    cycle = get_cycle(session, cycle_id=report.cycle_id)  # its stages loaded: the figures date
    version.frozen_figures = figures_to_json(cycle_figures(session, cycle=cycle))


def approved_figures(session: Session, *, cycle_id: int) -> CycleFigures | None:
    """The figures stored with the cycle's newest approved (or signed) version, if any."""
    stored = session.scalar(
        select(ReportVersion.frozen_figures)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(
            Report.cycle_id == cycle_id,
            ReportVersion.status.in_(READY),
            ReportVersion.frozen_figures.is_not(None),
        )
        .order_by(ReportVersion.number.desc())
        .limit(1)
    )
    return figures_from_json(stored) if stored is not None else None


def earlier_cycle_figures(session: Session, *, cycle_id: int) -> CycleFigures:
    """An earlier cycle's figures as its approved report stated them.

    Versions approved before figures were stored with them have none: such a cycle is
    recounted as of today (its register may have changed since), the best there is.
    """
    return approved_figures(session, cycle_id=cycle_id) or cycle_figures(
        session, cycle=get_cycle(session, cycle_id=cycle_id)
    )
