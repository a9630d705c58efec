"""The report's context: everything the templates in report_templates/ show, built from the
database (docs/report_context.md). The figures' context is what the publication package and
the annexes use; the full one adds the working group's text and the interviews."""

from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.clock import KYIV
from models.cycle import STAGE_LABELS, STAGE_STATUS_LABELS, AuditedUnit
from models.organization import UNIT_KIND_LABELS, Organization, Unit, UnitKind
from models.questionnaire import (
    InformationItem,
    InformationSystem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.register import RegisterEntry
from models.report import SectionKey
from models.services.analysis import analyse_for_cycle
from models.services.analysis_context import entry_state_context, publication_context
from models.services.consolidation import (
    consolidated_items,
    consolidated_systems,
    official_use_count,
)
from models.services.cycles import get_cycle
from models.services.interviews import interviews_context
from models.services.portal_usage import usage_context
from models.services.register import list_register, official_label
from models.services.report.drafts import draft_sections
from models.services.report.facts import (
    PersonContext,
    RemoteAuditContext,
    auditors,
    end_of_day,
    figures_date,
    remote_audit_facts,
    stage_rows,
)
from models.services.report.narrative import SectionContext, narrative_context
from models.services.report.previous_audit import previous_audit_context
from models.services.report.recommendations import Findings, recommendations_context
from models.services.surveys.results import proposal_count, survey_results
from models.standards import accrual_periodicity
from report_templates.charts import bar_chart_svg


class OrganizationContext(TypedDict):
    """The organization whose audit it is."""

    name: str
    place: str  # "м. Калуш", or ""
    website: str  # its official site, or ""


class CycleContext(TypedDict):
    """The audit cycle and the order that started it."""

    year: int
    order_number: str
    order_date: date
    order_title: str
    interview_schedule_on: date | None  # planned day to approve the interview schedule
    open_data_order: str  # the holder's own act on open data, as cited, or ""
    survey_unit: str  # the unit that runs the consultation and announces it, or ""
    auditors: list[PersonContext]
    involved: int  # other persons the order involves
    historical: NotRequired[bool]  # a past year's audit entered afterwards: cover and intro say so


class UnitContext(TypedDict):
    """An audited unit."""

    name: str
    kind_label: str


class StageContext(TypedDict):
    """One of the cycle's five stages."""

    kind: str  # preparation | consultation | remote_audit | interviews | reporting
    label: str
    starts_on: date
    due_on: date
    status_label: str
    skipped_reason: str | None
    planned_due_on: date  # the due date the order set (differs when extended)
    extended: bool
    extension_reason: str


class CountsContext(TypedDict):
    """The report's headline figures."""

    units: int
    questionnaires: int
    units_with_questionnaire: int
    information_systems: int
    information_items: int
    survey_participants: int
    proposals: int
    register_entries: int


class RegisterEntryContext(TypedDict):
    """Annex 1: a dataset register entry and its publication state."""

    number: int
    name: str
    units: list[str]
    kind: str  # municipal_enterprise when every unit is one, else executive_unit (tables 1.1/1.2)
    official: str  # the officials joined, as the attachments' CSV shows them
    officials: list[str]  # each «name – position», as Annex 1 shows them
    periodicity: str
    accrual_periodicity: str  # the register structure's value (models.standards)
    legal_basis: str
    portal_url: str
    emails: list[str]  # the officials' e-mails, in their order
    state: dict[str, Any]  # analysis.entry_state_context


class OptionContext(TypedDict):
    """A survey option's count and percent (of those who answered)."""

    label: str
    count: int
    percent: float


class QuestionContext(TypedDict):
    """Annex 3: a survey question's results."""

    number: int
    text: str
    kind: str  # single | multiple | text
    answered: int
    participants: int
    options: list[OptionContext]
    texts: list[str]
    denominator: str
    chart: Markup | None
    entered: NotRequired[bool]  # from totals entered by hand (historical cycle): no texts kept


class ReportContext(TypedDict):
    """The figures' context: what the report shows from the database."""

    organization: OrganizationContext
    cycle: CycleContext
    generated_at: datetime  # aware, Europe/Kyiv
    version: int
    figures_as_of: date  # the day the publication figures describe ("станом на")
    units: list[UnitContext]
    stages: list[StageContext]
    counts: CountsContext
    remote_audit: RemoteAuditContext
    annex1: list[RegisterEntryContext]
    publication: dict[str, Any]  # analysis.publication_context
    annex2: list[dict[str, Any]]  # consolidation.consolidated_systems
    annex3: list[QuestionContext]
    annex4: list[dict[str, Any]]  # consolidation.consolidated_items (no ДСК item listed)
    annex4_official_use: NotRequired[int]  # how many ДСК items: published as a count only


class FullReportContext(ReportContext):
    """The figures plus the working group's text and the interviews: what the flow renders."""

    narrative: dict[str, SectionContext]  # keyed by SectionKey value
    interviews: dict[str, Any]  # interviews.interviews_context
    recommendations: list[str]
    previous_audit: dict[str, Any] | None  # previous_audit.previous_audit_context


def _audited_units(session: Session, *, cycle_id: int) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .join(AuditedUnit, AuditedUnit.unit_id == Unit.id)
            .where(AuditedUnit.cycle_id == cycle_id)
            .order_by(AuditedUnit.position)
        )
    )


def _official_label(entry: RegisterEntry) -> list[str]:
    """Every responsible official of an entry as «name – position», in the register's order."""
    return [official_label(o) for o in entry.officials]


def _entry_kind(entry: RegisterEntry) -> str:
    enterprise = UnitKind.MUNICIPAL_ENTERPRISE
    if entry.units and all(u.kind == enterprise for u in entry.units):
        return enterprise.value
    return UnitKind.EXECUTIVE_UNIT.value


def _publication(session: Session, organization_id: int, analysis: Any) -> dict[str, Any]:
    """The publication context with each unit's kind, for the separate tables of units and of
    municipal enterprises."""
    context = publication_context(analysis)
    rows = session.execute(
        select(Unit.name, Unit.kind).where(Unit.organization_id == organization_id)
    ).tuples()
    kinds = {name: kind for name, kind in rows}
    for row in context["units"]:
        kind = kinds.get(row["name"], UnitKind.EXECUTIVE_UNIT)
        row["kind"] = (
            kind.value if kind == UnitKind.MUNICIPAL_ENTERPRISE else UnitKind.EXECUTIVE_UNIT.value
        )
    context["usage"] = usage_context(
        session, organization_id=organization_id, snapshot_id=analysis.snapshot_id
    )
    return context


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
    session: Session, *, cycle_id: int, now: datetime, version: int, as_of: date | None = None
) -> ReportContext:
    """Everything the report templates show from the figures (see docs/report_context.md).

    The publication figures describe `as_of` (by default the report's frozen figures date,
    facts.figures_date), never the day the PDF is rendered.
    """
    cycle = get_cycle(session, cycle_id=cycle_id)
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    units = _audited_units(session, cycle_id=cycle_id)
    results = survey_results(session, cycle_id=cycle_id)
    register = list_register(session, organization_id=cycle.organization_id)
    as_of = as_of or figures_date(session, cycle=cycle)
    publication = analyse_for_cycle(
        session, organization_id=cycle.organization_id, year=cycle.year, as_of=end_of_day(as_of)
    )
    people, involved = auditors(session, cycle_id=cycle_id)
    stage_dates = stage_rows(session, cycle=cycle)
    participants = results[0].participants if results else 0
    proposals = proposal_count(results)
    questionnaires = questionnaire_counts(session, cycle_id=cycle_id)
    return {
        "organization": {
            "name": organization.name,
            "place": organization.place or "",
            "website": organization.website or "",
        },
        "cycle": {
            "year": cycle.year,
            "order_number": cycle.order_number,
            "order_date": cycle.order_date,
            "order_title": cycle.order_title,
            "interview_schedule_on": cycle.interview_schedule_on,
            "open_data_order": cycle.open_data_order,
            "survey_unit": cycle.survey_unit,
            "auditors": people,
            "involved": involved,
            "historical": cycle.is_historical,
        },
        "generated_at": now.astimezone(KYIV),
        "version": version,
        "figures_as_of": as_of,
        "units": [{"name": u.name, "kind_label": UNIT_KIND_LABELS[u.kind]} for u in units],
        "stages": [
            {
                "kind": stage.kind.value,
                "label": STAGE_LABELS[stage.kind],
                "starts_on": stage.starts_on,
                "due_on": stage.due_on,
                "status_label": STAGE_STATUS_LABELS[stage.status],
                "skipped_reason": stage.skipped_reason,
                "planned_due_on": dates["planned_due_on"],
                "extended": dates["extended"],
                "extension_reason": dates["extension_reason"],
            }
            for stage, dates in zip(cycle.stages, stage_dates, strict=True)
        ],
        "remote_audit": remote_audit_facts(session, cycle_id=cycle_id),
        "counts": {
            "units": len(units),
            "questionnaires": questionnaires["questionnaires"],
            "units_with_questionnaire": questionnaires["units_with_questionnaire"],
            "information_systems": questionnaires["information_systems"],
            "information_items": questionnaires["information_items"],
            "survey_participants": participants,
            "proposals": proposals,
            "register_entries": len(register),
        },
        "annex1": [
            {
                "number": entry.number,
                "name": entry.name,
                "units": [u.name for u in entry.units],
                "kind": _entry_kind(entry),
                "official": "; ".join(_official_label(entry)),
                "officials": _official_label(entry),
                "periodicity": str(entry.periodicity),
                "accrual_periodicity": accrual_periodicity(entry.periodicity),
                "legal_basis": entry.legal_basis or "",
                "portal_url": entry.portal_url or "",
                "emails": [o.email for o in entry.officials if o.email],
                "state": entry_state_context(publication.entry(entry.number)),
            }
            for entry in register
        ],
        "publication": _publication(session, cycle.organization_id, publication),
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
                "entered": r.entered,
            }
            for r in results
        ],
        "annex4": consolidated_items(session, cycle_id=cycle_id),
        "annex4_official_use": official_use_count(session, cycle_id=cycle_id),
    }


def report_findings(context: ReportContext) -> Findings:
    """What the recommendations follow from: the register's states and the residents' texts."""
    return Findings(
        year=context["cycle"]["year"],
        register_states=[(entry["name"], entry["state"]) for entry in context["annex1"]],
        resident_texts=[t for q in context["annex3"] if q["kind"] == "text" for t in q["texts"]],
        annex1=list(context["annex1"]),
        private_total=int(context["publication"]["totals"]["private"]),
        open_data_order=context["cycle"]["open_data_order"],
    )


def drafts_of(session: Session, context: ReportContext, *, cycle_id: int) -> dict[SectionKey, str]:
    """Each narrative section's draft, from the cycle's context already built (and its
    interviews)."""
    interviews = interviews_context(session, cycle_id=cycle_id)
    return draft_sections({**context, "interviews": interviews})


def cycle_drafts(session: Session, *, cycle_id: int, now: datetime) -> dict[SectionKey, str]:
    """Each narrative section's draft from the cycle's data, as the console offers it."""
    context = build_report_context(session, cycle_id=cycle_id, now=now, version=0)
    return drafts_of(session, context, cycle_id=cycle_id)


def full_report_context(
    session: Session, *, cycle_id: int, now: datetime, version: int
) -> FullReportContext:
    """The figures' context plus the working group's text (or the drafts) and the interviews."""
    context = build_report_context(session, cycle_id=cycle_id, now=now, version=version)
    interviews = interviews_context(session, cycle_id=cycle_id)
    drafts = draft_sections({**context, "interviews": interviews})
    narrative = narrative_context(session, cycle_id=cycle_id, drafts=drafts)
    recommendations = recommendations_context(
        session, cycle_id=cycle_id, findings=report_findings(context)
    )
    return {
        **context,
        "narrative": narrative,
        "interviews": interviews,
        "recommendations": recommendations,
        "previous_audit": previous_audit_context(
            session, cycle_id=cycle_id, today=now.astimezone(KYIV).date()
        ),
    }
