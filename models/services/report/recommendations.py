"""Recommendations proposed from the report's findings, for the working group to keep, edit
or drop, and the ones it writes itself."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditedUnit
from models.errors import Invalid, NotFound
from models.organization import Unit
from models.questionnaire import InformationSystem, QuestionnaireSubmission, SubmissionStatus
from models.report import Recommendation, RecommendationStatus
from models.security import sha256_hex
from models.services.events import record_cycle_event
from models.services.report.findings import (
    of_datasets_ua,
    private_summary,
    quoted,
    unit_actions,
    unit_findings,
)
from models.services.report.rendering import request_render
from models.services.report.versions import ensure_report
from report_templates.environment import plural_ua


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


@dataclass(frozen=True)
class Findings:
    """What the recommendations follow from: the report's figures (context.report_findings)."""

    year: int  # the audit's year
    register_states: list[tuple[str, dict[str, Any]]]  # each register entry's name and state
    resident_texts: list[str]  # the survey's free-text answers, in order
    annex1: list[Mapping[str, Any]] = field(default_factory=list)  # entries with their units
    private_total: int = 0  # register entries in private mode (each once)
    open_data_order: str = ""  # the holder's act on open data, as the order cites it


def _key(prefix: str, name: str) -> str:
    # Stable across syncs, short enough for the column whatever the unit's name.
    return f"{prefix}:{sha256_hex(name.encode())[:16]}"


def proposed_recommendations(
    session: Session, *, cycle_id: int, findings: Findings
) -> dict[str, str]:
    """Recommendations that follow from the findings, keyed by the finding: the units with
    most to put right first, each with what to do, then the measures for the whole holder."""
    proposals: dict[str, str] = {}
    per_unit = unit_findings(findings.annex1)
    for found in per_unit:
        actions = unit_actions(found)
        if actions:
            proposals[_key("unit", found.name)] = actions
    silent = _units_without_questionnaire(session, cycle_id=cycle_id)
    if silent:
        proposals["units_without_questionnaire"] = (
            "керівникам підрозділів, працівники яких не подали анкет, забезпечити "
            f"проходження анкетування під час наступного аудиту: {'; '.join(silent)}"
        )
    _, private = private_summary(per_unit)
    if findings.private_total:
        proposals["private_datasets"] = (
            "після припинення або скасування воєнного стану відновити публічний доступ до "
            f"{of_datasets_ua(findings.private_total)} даних, оприлюднених у приватному режимі, "
            f"та оновити їх відповідно до встановленої періодичності ({private})"
        )
    personal = _personal_data_systems(session, cycle_id=cycle_id)
    if personal:
        proposals["personal_data_systems"] = (
            "під час оприлюднення даних з інформаційних систем, що містять персональні дані, "
            f"забезпечити їх знеособлення: {quoted(personal)}"
        )
    texts = [t for t in findings.resident_texts if t.strip()]
    if texts:
        proposals["top_proposals"] = (
            f"розглянути всі {len(texts)} "
            f"{plural_ua(len(texts), 'пропозицію', 'пропозиції', 'пропозицій')} мешканців, "
            "отримані під час консультацій з громадськістю (Додаток 3), під час визначення "
            f"пріоритетних наборів даних, зокрема: {quoted(texts[:3])}"
        )
    if findings.open_data_order:
        proposals["open_data_order"] = (
            f"внести за результатами інформаційного аудиту необхідні зміни до "
            f"{findings.open_data_order}"
        )
    proposals["next_audit"] = (
        f"розробити та затвердити план проведення наступного інформаційного аудиту "
        f"з урахуванням досвіду {findings.year} року"
    )
    return proposals


def sync_recommendations(
    session: Session, *, cycle_id: int, findings: Findings
) -> list[Recommendation]:
    """Store new proposals, refresh untouched ones, remove untouched ones whose finding is gone."""
    report = ensure_report(session, cycle_id=cycle_id)
    proposals = proposed_recommendations(session, cycle_id=cycle_id, findings=findings)
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


def recommendations_context(session: Session, *, cycle_id: int, findings: Findings) -> list[str]:
    """The recommendations the report shows: every one not dropped, in order."""
    return [
        r.text
        for r in sync_recommendations(session, cycle_id=cycle_id, findings=findings)
        if r.status != RecommendationStatus.DROPPED
    ]
