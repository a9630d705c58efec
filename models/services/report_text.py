"""The report's text written by the working group: narrative sections (Markdown, sanitised)
and recommendations proposed from the findings for the working group to keep, edit or drop."""

from datetime import datetime
from typing import Any

import markdown
import nh3
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle, AuditedUnit
from models.errors import Invalid, NotFound
from models.organization import Unit
from models.questionnaire import InformationSystem, QuestionnaireSubmission, SubmissionStatus
from models.report import (
    SECTION_LABELS,
    Recommendation,
    RecommendationStatus,
    Report,
    ReportSection,
    SectionKey,
)
from models.services.events import record_cycle_event

MAX_MARKDOWN = 100_000
MAX_NAMES = 10  # a recommendation names at most this many datasets or units
# Markdown's HTML is reduced to text markup: no images, styles, scripts or forms, and links
# only to http(s) or to an anchor within the report (#…). The renderer's fetcher would refuse any
# URL anyway; this keeps it inert.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}

DEFAULT_LEGAL_BASE = (
    "Право громадян на доступ до інформації гарантується статтею 34 Конституції України. "
    "Порядок здійснення та забезпечення права кожного на доступ до публічної інформації "
    "визначається Законом України «Про доступ до публічної інформації»; стаття 10-1 Закону "
    "визначає поняття відкритих даних та умови їх оприлюднення.\n\n"
    "Перелік наборів даних, які підлягають оприлюдненню у формі відкритих даних, затверджено "
    "постановою Кабінету Міністрів України від 21.10.2015 № 835 «Про затвердження Положення "
    "про набори даних, які підлягають оприлюдненню у формі відкритих даних»."
)


def markdown_to_html(text: str) -> Markup:
    """Markdown as sanitised HTML, safe to place in the report and on pages."""
    # Raw HTML typed by a user is escaped first, so only Markdown's own markup survives.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html = markdown.markdown(escaped, extensions=["tables", "sane_lists"], output_format="html")
    # Headings inside a section are demoted below the report's own h2/h3.
    for level in (3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 3}>").replace(
            f"</h{level}>", f"</h{level + 3}>"
        )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def ensure_report(session: Session, *, cycle_id: int) -> Report:
    """The cycle's report row, created on first use."""
    report = session.scalar(select(Report).where(Report.cycle_id == cycle_id))
    if report is None:
        if session.get(AuditCycle, cycle_id) is None:
            raise NotFound("Цикл аудиту не знайдено.")
        report = Report(cycle_id=cycle_id)
        session.add(report)
        session.flush()
    return report


def list_sections(session: Session, *, cycle_id: int) -> dict[SectionKey, ReportSection | None]:
    """Every narrative section key with its stored text (None when never written)."""
    report = ensure_report(session, cycle_id=cycle_id)
    stored = {
        s.key: s
        for s in session.scalars(select(ReportSection).where(ReportSection.report_id == report.id))
    }
    return {key: stored.get(key) for key in SectionKey}


def section_markdown(key: SectionKey, section: ReportSection | None) -> str:
    """The section's Markdown; the legal base has a default text until the group writes one."""
    if section is not None:
        return section.markdown
    return DEFAULT_LEGAL_BASE if key == SectionKey.LEGAL_BASE else ""


def request_render(session: Session, *, report: Report, now: datetime) -> None:
    """Mark the text as changed: the next flow run renders a new version."""
    report.render_requested_at = now
    session.flush()


def update_section(
    session: Session, *, cycle_id: int, key: SectionKey, text: str, now: datetime, actor: Actor
) -> ReportSection:
    """Write a narrative section; a new version will be rendered (an approved one stays as is)."""
    if len(text) > MAX_MARKDOWN:
        raise Invalid(f"Текст розділу довший за {MAX_MARKDOWN} символів.", field="markdown")
    report = ensure_report(session, cycle_id=cycle_id)
    section = session.scalar(
        select(ReportSection).where(ReportSection.report_id == report.id, ReportSection.key == key)
    )
    if section is None:
        section = ReportSection(report_id=report.id, key=key)
        session.add(section)
    section.markdown = text.strip()
    section.updated_by = actor.label
    request_render(session, report=report, now=now)
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="report.section_edited",
        at=now,
        actor=actor,
        details={"section": key.value},
    )
    return section


def narrative_context(session: Session, *, cycle_id: int) -> dict[str, Any]:
    """Each section's sanitised HTML (empty Markup when not written) and its label."""
    return {
        key.value: {
            "label": SECTION_LABELS[key],
            "html": markdown_to_html(section_markdown(key, section)),
        }
        for key, section in list_sections(session, cycle_id=cycle_id).items()
    }


def _names(names: list[str]) -> str:
    shown = "; ".join(f"«{n}»" for n in names[:MAX_NAMES])
    rest = len(names) - MAX_NAMES
    return shown + (f" та ще {rest}" if rest > 0 else "")


def _units_without_questionnaire(session: Session, *, cycle_id: int) -> list[str]:
    submitted = (
        select(QuestionnaireSubmission.id)
        .where(
            QuestionnaireSubmission.audited_unit_id == AuditedUnit.id,
            QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
        )
        .exists()
    )
    return list(
        session.scalars(
            select(Unit.name)
            .join(AuditedUnit, AuditedUnit.unit_id == Unit.id)
            .where(AuditedUnit.cycle_id == cycle_id, ~submitted)
            .order_by(AuditedUnit.position)
        )
    )


def _personal_data_systems(session: Session, *, cycle_id: int) -> list[str]:
    return list(
        session.scalars(
            select(InformationSystem.name)
            .join(
                QuestionnaireSubmission,
                QuestionnaireSubmission.id == InformationSystem.submission_id,
            )
            .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
            .where(
                AuditedUnit.cycle_id == cycle_id,
                QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
                InformationSystem.holds_personal_data.is_(True),
            )
            .group_by(InformationSystem.name)
            .order_by(func.min(InformationSystem.id))
        )
    )


def proposed_recommendations(
    session: Session, *, cycle_id: int, context: dict[str, Any]
) -> dict[str, str]:
    """Recommendations that follow from the findings, keyed by the finding."""
    proposals: dict[str, str] = {}
    annex1 = context.get("annex1", [])
    overdue = [r["name"] for r in annex1 if (r.get("state") or {}).get("timeliness") == "overdue"]
    if overdue:
        proposals["overdue_datasets"] = (
            f"відповідальним особам оновити набори даних, оновлення яких прострочено "
            f"({len(overdue)}): {_names(overdue)}"
        )
    not_machine = [
        r["name"] for r in annex1 if (r.get("state") or {}).get("machine_readable") is False
    ]
    if not_machine:
        proposals["not_machine_readable"] = (
            "перевести у машиночитані формати (CSV, JSON, XML) ресурси наборів даних, "
            f"оприлюднені у форматах, що не є машиночитаними ({len(not_machine)}): "
            f"{_names(not_machine)}"
        )
    missing = [r["name"] for r in annex1 if (r.get("state") or {}).get("code") == "missing"]
    if missing:
        proposals["missing_datasets"] = (
            f"оприлюднити набори даних з переліку, які не оприлюднено ({len(missing)}): "
            f"{_names(missing)}"
        )
    silent = _units_without_questionnaire(session, cycle_id=cycle_id)
    if silent:
        proposals["units_without_questionnaire"] = (
            f"забезпечити проходження анкетування у підрозділах, які не подали анкет: "
            f"{_names(silent)}"
        )
    personal = _personal_data_systems(session, cycle_id=cycle_id)
    if personal:
        proposals["personal_data_systems"] = (
            "під час оприлюднення даних з інформаційних систем, що містять персональні дані, "
            f"забезпечити їх знеособлення: {_names(personal)}"
        )
    texts = [t for q in context.get("annex3", []) if q.get("kind") == "text" for t in q["texts"]]
    if texts:
        top = [t for t in texts if t.strip()][:3]
        proposals["top_proposals"] = (
            "розглянути пропозиції мешканців, отримані під час консультацій з громадськістю, "
            f"під час визначення пріоритетних наборів даних, зокрема: {_names(top)}"
        )
    proposals["next_audit"] = (
        "провести наступний інформаційний аудит з урахуванням досвіду "
        f"{context.get('cycle', {}).get('year', '')} року"
    ).strip()
    return proposals


def sync_recommendations(
    session: Session, *, cycle_id: int, context: dict[str, Any]
) -> list[Recommendation]:
    """Store new proposals, refresh untouched ones, remove untouched ones whose finding is gone."""
    report = ensure_report(session, cycle_id=cycle_id)
    proposals = proposed_recommendations(session, cycle_id=cycle_id, context=context)
    existing = {
        r.key: r
        for r in session.scalars(
            select(Recommendation).where(Recommendation.report_id == report.id)
        )
    }
    position = max((r.position for r in existing.values()), default=0)
    for key, text in proposals.items():
        current = existing.get(key)
        if current is None:
            position += 1
            session.add(
                Recommendation(
                    report_id=report.id, key=key, position=position, proposed_text=text, text=text
                )
            )
        elif current.status == RecommendationStatus.PROPOSED and current.proposed_text != text:
            current.proposed_text = current.text = text
    for key, current in existing.items():
        if (
            key not in proposals
            and not key.startswith("manual-")
            and current.status == RecommendationStatus.PROPOSED
        ):
            session.delete(current)
    session.flush()
    return list_recommendations(session, report_id=report.id)


def list_recommendations(session: Session, *, report_id: int) -> list[Recommendation]:
    """The report's recommendations in order, dropped ones included."""
    return list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.report_id == report_id)
            .order_by(Recommendation.position, Recommendation.id)
        )
    )


def decide_recommendation(
    session: Session,
    *,
    cycle_id: int,
    recommendation_id: int,
    status: RecommendationStatus,
    text: str | None,
    now: datetime,
    actor: Actor,
) -> Recommendation:
    """Keep, edit (with the new text) or drop a recommendation."""
    report = ensure_report(session, cycle_id=cycle_id)
    recommendation = session.get(Recommendation, recommendation_id)
    if recommendation is None or recommendation.report_id != report.id:
        raise NotFound("Рекомендацію не знайдено.")
    if status == RecommendationStatus.PROPOSED:
        raise Invalid("Оберіть: залишити, змінити або вилучити.", field="status")
    if status == RecommendationStatus.EDITED:
        if not text or not text.strip():
            raise Invalid("Вкажіть новий текст рекомендації.", field="text")
        recommendation.text = text.strip()
    recommendation.status = status
    request_render(session, report=report, now=now)
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="report.recommendation_decided",
        at=now,
        actor=actor,
        details={"recommendation": recommendation.id, "status": status.value},
    )
    return recommendation


def add_recommendation(
    session: Session, *, cycle_id: int, text: str, now: datetime, actor: Actor
) -> Recommendation:
    """A recommendation the working group writes itself."""
    if not text.strip():
        raise Invalid("Вкажіть текст рекомендації.", field="text")
    report = ensure_report(session, cycle_id=cycle_id)
    existing = list_recommendations(session, report_id=report.id)
    position = max((r.position for r in existing), default=0) + 1
    recommendation = Recommendation(
        report_id=report.id,
        key=f"manual-{position}",
        position=position,
        proposed_text="",
        text=text.strip(),
        status=RecommendationStatus.KEPT,
    )
    session.add(recommendation)
    request_render(session, report=report, now=now)
    session.flush()
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="report.recommendation_added",
        at=now,
        actor=actor,
        details={"recommendation": recommendation.id},
    )
    return recommendation


def recommendations_context(
    session: Session, *, cycle_id: int, context: dict[str, Any]
) -> list[str]:
    """The recommendations the report shows: every one not dropped, in order."""
    return [
        r.text
        for r in sync_recommendations(session, cycle_id=cycle_id, context=context)
        if r.status != RecommendationStatus.DROPPED
    ]
