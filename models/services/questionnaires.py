"""The staff inventory questionnaire: reached through a unit's secret link."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cycle import AuditCycle, AuditedUnit, StageKind
from models.errors import Invalid, NotFound
from models.questionnaire import (
    AccessCategory,
    InformationItem,
    InformationSystem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.schemas import QuestionnaireCreate
from models.security import sha256_hex
from models.services.events import record_event
from models.services.stages import ensure_accepting, get_stage


def audited_unit_for_token(session: Session, *, token: str) -> AuditedUnit:
    """The audited unit of a secret link; an unknown link is a 404."""
    audited = session.scalar(
        select(AuditedUnit).where(AuditedUnit.link_lookup == sha256_hex(token))
    )
    if audited is None:
        raise NotFound("Посилання недійсне. Зверніться до робочої групи з аудиту.")
    return audited


def submit_questionnaire(
    session: Session, *, token: str, data: QuestionnaireCreate, now: datetime
) -> QuestionnaireSubmission:
    """Store a submitted questionnaire while the remote audit accepts answers."""
    audited = audited_unit_for_token(session, token=token)
    stage = get_stage(session, cycle_id=audited.cycle_id, kind=StageKind.REMOTE_AUDIT)
    ensure_accepting(stage, now=now, what="Анкетування")
    if not data.systems and not data.items:
        raise Invalid(
            "Анкета порожня: додайте хоча б одну інформаційну систему або вид інформації.",
            field="systems",
        )
    for index, item in enumerate(data.items):
        if item.access_category == AccessCategory.SECRET and not item.secret_explanation:
            raise Invalid(
                "Для секретної інформації вкажіть пояснення (вона не входить до аудиту).",
                field=f"items.{index}.secret_explanation",
            )
    submission = QuestionnaireSubmission(
        audited_unit_id=audited.id,
        respondent_name=data.respondent.full_name,
        respondent_position=data.respondent.position,
        respondent_email=data.respondent.email,
        status=SubmissionStatus.SUBMITTED,
        submitted_at=now,
    )
    submission.systems = [
        InformationSystem(position=i, **system.model_dump())
        for i, system in enumerate(data.systems)
    ]
    submission.items = [
        InformationItem(position=i, **item.model_dump()) for i, item in enumerate(data.items)
    ]
    session.add(submission)
    session.flush()
    organization_id = session.scalar(
        select(AuditCycle.organization_id).where(AuditCycle.id == audited.cycle_id)
    )
    assert organization_id is not None
    # No names or e-mails in the trail's details: only what happened and to which unit.
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=audited.cycle_id,
        action="questionnaire.submitted",
        at=now,
        actor=f"unit:{audited.unit_id}",
        details={
            "submission_id": submission.id,
            "systems": len(data.systems),
            "items": len(data.items),
        },
    )
    return submission


def count_submitted(session: Session, *, cycle_id: int) -> int:
    """Submitted questionnaires of a cycle."""
    return (
        session.scalar(
            select(func.count(QuestionnaireSubmission.id))
            .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
            .where(
                AuditedUnit.cycle_id == cycle_id,
                QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
            )
        )
        or 0
    )
