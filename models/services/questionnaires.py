"""The staff inventory questionnaire: reached through a unit's secret link.

Several staff per unit each keep their own questionnaire. A draft is tied to the unit link plus
a personal resume code (shown once, and e-mailed as a link when an address is given), so it can
be continued from any browser; it can be edited, submitted included, until the due date.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.actor import Actor
from models.cycle import AuditCycle, AuditedUnit, StageKind
from models.errors import Invalid, NotFound
from models.organization import Unit
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
from models.services.late_units import ensure_unit_accepting
from models.services.stages import get_stage

# No 0/O or 1/I: the code is read off a screen and typed on a phone.
RESUME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RESUME_GROUPS = 3
RESUME_GROUP_LENGTH = 4


def audited_unit_for_token(session: Session, *, token: str) -> AuditedUnit:
    """The audited unit of a secret link; an unknown link is a 404."""
    audited = session.scalar(
        select(AuditedUnit).where(AuditedUnit.link_lookup == sha256_hex(token))
    )
    if audited is None:
        raise NotFound("Посилання недійсне. Зверніться до робочої групи з аудиту.")
    return audited


def new_resume_code() -> str:
    """A personal resume code such as `K7QF-92MD-XW3A` (60 random bits)."""
    groups = (
        "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_GROUP_LENGTH))
        for _ in range(RESUME_GROUPS)
    )
    return "-".join(groups)


def normalize_resume_code(code: str) -> str:
    """The code as typed, without case, spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def resume_lookup(*, audited_unit_id: int, code: str) -> str:
    """What is stored for a code: only its hash, and only valid together with the unit link."""
    return sha256_hex(f"{audited_unit_id}:{normalize_resume_code(code)}")


def find_by_resume_code(
    session: Session, *, audited: AuditedUnit, code: str
) -> QuestionnaireSubmission:
    """The questionnaire with its rows behind a resume code; a wrong code is a 404."""
    submission = None
    if normalize_resume_code(code):
        submission = session.scalar(
            select(QuestionnaireSubmission)
            .where(
                QuestionnaireSubmission.audited_unit_id == audited.id,
                QuestionnaireSubmission.resume_lookup
                == resume_lookup(audited_unit_id=audited.id, code=code),
            )
            .options(
                selectinload(QuestionnaireSubmission.systems),
                selectinload(QuestionnaireSubmission.items),
            )
        )
    if submission is None:
        raise NotFound(
            "Код продовження не знайдено для цього підрозділу. Перевірте код "
            "(букви й цифри, регістр не важливий).",
            field="resume_code",
        )
    return submission


def url_problem(value: str | None) -> str | None:
    """Why a public address is not acceptable, or None (http, https and mailto are)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme == "mailto" and "@" in parts.path:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "." not in parts.hostname:
        return "невірна адреса: вкажіть повне посилання, напр. https://example.gov.ua"
    if any(ch.isspace() for ch in value.strip()):
        return "адреса не може містити пробілів"
    return None


def check_questionnaire(data: QuestionnaireCreate, *, final: bool) -> list[tuple[str, str]]:
    """Problems a schema cannot see, as (field, Ukrainian message); empty when all is well."""
    problems: list[tuple[str, str]] = []
    if final and not data.systems and not data.items:
        problems.append(
            (
                "systems",
                "Анкета порожня: додайте хоча б одну інформаційну систему або вид інформації.",
            )
        )
    for index, system in enumerate(data.systems):
        if message := url_problem(system.url):
            problems.append((f"systems.{index}.url", message))
    for index, item in enumerate(data.items):
        if item.access_category == AccessCategory.SECRET and not item.secret_explanation:
            problems.append(
                (
                    f"items.{index}.secret_explanation",
                    "Для секретної інформації вкажіть пояснення (вона не входить до аудиту).",
                )
            )
        if message := url_problem(item.url):
            problems.append((f"items.{index}.url", message))
    return problems


def _replace_rows(rows: list[Any], model: type[Any], values: list[dict[str, Any]]) -> list[Any]:
    """Update rows in place by position, so row ids (and auditors' splits) survive an edit."""
    result = []
    for position, data in enumerate(values):
        if position < len(rows):
            row = rows[position]
            for name, value in data.items():
                setattr(row, name, value)
        else:
            row = model(position=position, **data)
        result.append(row)
    return result


@dataclass(frozen=True)
class SavedQuestionnaire:
    """A stored questionnaire and the resume code to continue it (new ones only show it once)."""

    submission: QuestionnaireSubmission
    resume_code: str | None
    created: bool


def _open_submission(
    session: Session, *, audited: AuditedUnit, resume_code: str | None
) -> tuple[QuestionnaireSubmission, str, bool]:
    """The person's questionnaire behind a resume code, or a new draft with a new code."""
    if resume_code:
        return find_by_resume_code(session, audited=audited, code=resume_code), resume_code, False
    resume_code = new_resume_code()
    submission = QuestionnaireSubmission(
        audited_unit_id=audited.id,
        resume_lookup=resume_lookup(audited_unit_id=audited.id, code=resume_code),
        status=SubmissionStatus.DRAFT,
        respondent_name="",
    )
    submission.systems = []
    submission.items = []
    return submission, resume_code, True


def _record(
    session: Session,
    *,
    audited: AuditedUnit,
    action: str,
    now: datetime,
    details: dict[str, Any],
) -> None:
    organization_id = session.scalar(
        select(AuditCycle.organization_id).where(AuditCycle.id == audited.cycle_id)
    )
    assert organization_id is not None
    # No names or e-mails in the trail's details: only what happened and to which unit.
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=audited.cycle_id,
        action=action,
        at=now,
        actor=Actor(label=f"unit:{audited.unit_id}"),
        details=details,
    )


def _accepting_unit(session: Session, *, token: str, now: datetime) -> AuditedUnit:
    audited = audited_unit_for_token(session, token=token)
    stage = get_stage(session, cycle_id=audited.cycle_id, kind=StageKind.REMOTE_AUDIT)
    ensure_unit_accepting(session, audited=audited, stage=stage, now=now)
    return audited


def save_questionnaire(
    session: Session,
    *,
    token: str,
    data: QuestionnaireCreate,
    now: datetime,
    submit: bool,
    resume_code: str | None = None,
) -> SavedQuestionnaire:
    """Save a draft or submit, all or nothing, while the remote audit accepts answers.

    Without a resume code a new questionnaire is started (another staff member of the unit);
    with one, that person's questionnaire is updated. A submitted one stays submitted.
    """
    audited = _accepting_unit(session, token=token, now=now)
    submission, resume_code, created = _open_submission(
        session, audited=audited, resume_code=resume_code
    )
    was_submitted = submission.status == SubmissionStatus.SUBMITTED
    final = submit or was_submitted
    problems = check_questionnaire(data, final=final)
    if problems:
        field, message = problems[0]
        raise Invalid(message, field=field)
    submission.respondent_name = data.respondent.full_name
    submission.respondent_position = data.respondent.position
    submission.respondent_email = data.respondent.email
    submission.respondent_phone = data.respondent.phone
    submission.systems = _replace_rows(
        submission.systems, InformationSystem, [s.model_dump() for s in data.systems]
    )
    submission.items = _replace_rows(
        submission.items, InformationItem, [i.model_dump() for i in data.items]
    )
    submission.draft_form = None  # everything typed is now in the rows
    if final:
        submission.status = SubmissionStatus.SUBMITTED
        submission.submitted_at = submission.submitted_at or now
    submission.updated_at = now
    session.add(submission)
    session.flush()
    if was_submitted:
        action = "questionnaire.updated"
    elif final:
        action = "questionnaire.submitted"
    else:
        action = "questionnaire.draft_saved"
    counts = {"systems": len(data.systems), "items": len(data.items)}
    details = {"submission_id": submission.id, **counts}
    _record(session, audited=audited, action=action, now=now, details=details)
    return SavedQuestionnaire(submission=submission, resume_code=resume_code, created=created)


def save_draft_as_typed(
    session: Session,
    *,
    token: str,
    typed: dict[str, Any],
    invalid_fields: int,
    now: datetime,
    resume_code: str | None = None,
) -> SavedQuestionnaire:
    """Keep a draft whose fields do not all validate yet: the form as typed is stored beside
    the rows (which keep the last valid version), so nothing typed is lost.

    A submitted questionnaire is not a draft: its edits must validate (Invalid otherwise).
    """
    audited = _accepting_unit(session, token=token, now=now)
    submission, resume_code, created = _open_submission(
        session, audited=audited, resume_code=resume_code
    )
    if submission.status == SubmissionStatus.SUBMITTED:
        raise Invalid("Подану анкету можна змінити лише без помилок.", field="questionnaire")
    submission.draft_form = typed
    submission.updated_at = now
    session.add(submission)
    session.flush()
    details = {"submission_id": submission.id, "invalid_fields": invalid_fields}
    _record(session, audited=audited, action="questionnaire.draft_saved", now=now, details=details)
    return SavedQuestionnaire(submission=submission, resume_code=resume_code, created=created)


def submit_questionnaire(
    session: Session, *, token: str, data: QuestionnaireCreate, now: datetime
) -> QuestionnaireSubmission:
    """Store a new submitted questionnaire while the remote audit accepts answers."""
    return save_questionnaire(session, token=token, data=data, now=now, submit=True).submission


def questionnaire_data(submission: QuestionnaireSubmission) -> dict[str, Any]:
    """A stored questionnaire in the shape of QuestionnaireCreate (to show it again)."""
    system_fields = [n for n in InformationSystem.__table__.columns.keys() if n not in _OWN]
    item_fields = [n for n in InformationItem.__table__.columns.keys() if n not in _OWN]
    return {
        "respondent": {
            "full_name": submission.respondent_name,
            "position": submission.respondent_position,
            "email": submission.respondent_email,
            "phone": submission.respondent_phone,
        },
        "systems": [{n: getattr(s, n) for n in system_fields} for s in submission.systems],
        "items": [{n: getattr(i, n) for n in item_fields} for i in submission.items],
    }


_OWN = ("id", "submission_id", "position")


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


@dataclass(frozen=True)
class UnitProgress:
    """How far one unit is with its questionnaires, for the working group."""

    audited_unit_id: int
    unit: str
    status: str  # not_started / draft / submitted
    submitted: int
    drafts: int
    records: int  # systems and items in submitted questionnaires
    last_activity: datetime | None


PROGRESS_LABELS = {"not_started": "не розпочато", "draft": "чернетка", "submitted": "подано"}


def _records_by_unit(session: Session, model: Any, *, cycle_id: int) -> dict[int, int]:
    return {
        audited_id: count
        for audited_id, count in session.execute(
            select(QuestionnaireSubmission.audited_unit_id, func.count(model.id))
            .join(model, model.submission_id == QuestionnaireSubmission.id)
            .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
            .where(
                AuditedUnit.cycle_id == cycle_id,
                QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
            )
            .group_by(QuestionnaireSubmission.audited_unit_id)
        ).tuples()
    }


def unit_progress(session: Session, *, cycle_id: int) -> list[UnitProgress]:
    """Per-unit progress: not started / draft / submitted, records, last activity."""
    counts: dict[tuple[int, SubmissionStatus], int] = {}
    last: dict[int, datetime] = {}
    for audited_id, status, count, latest in session.execute(
        select(
            QuestionnaireSubmission.audited_unit_id,
            QuestionnaireSubmission.status,
            func.count(QuestionnaireSubmission.id),
            func.max(QuestionnaireSubmission.updated_at),
        )
        .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
        .where(AuditedUnit.cycle_id == cycle_id)
        .group_by(QuestionnaireSubmission.audited_unit_id, QuestionnaireSubmission.status)
    ).tuples():
        counts[(audited_id, status)] = count
        if latest is not None:
            previous = last.get(audited_id)
            last[audited_id] = latest if previous is None else max(previous, latest)
    systems = _records_by_unit(session, InformationSystem, cycle_id=cycle_id)
    items = _records_by_unit(session, InformationItem, cycle_id=cycle_id)
    result = []
    for audited_id, name in session.execute(
        select(AuditedUnit.id, Unit.name)
        .join(Unit, Unit.id == AuditedUnit.unit_id)
        .where(AuditedUnit.cycle_id == cycle_id)
        .order_by(AuditedUnit.position)
    ).tuples():
        submitted = counts.get((audited_id, SubmissionStatus.SUBMITTED), 0)
        drafts = counts.get((audited_id, SubmissionStatus.DRAFT), 0)
        progress = "submitted" if submitted else "draft" if drafts else "not_started"
        result.append(
            UnitProgress(
                audited_unit_id=audited_id,
                unit=name,
                status=progress,
                submitted=submitted,
                drafts=drafts,
                records=systems.get(audited_id, 0) + items.get(audited_id, 0),
                last_activity=last.get(audited_id),
            )
        )
    return result


def units_without_submission(session: Session, *, cycle_id: int) -> list[AuditedUnit]:
    """Audited units with no submitted questionnaire (they get reminders)."""
    submitted = select(QuestionnaireSubmission.audited_unit_id).where(
        QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED
    )
    return list(
        session.scalars(
            select(AuditedUnit)
            .where(AuditedUnit.cycle_id == cycle_id, AuditedUnit.id.not_in(submitted))
            .order_by(AuditedUnit.position)
        )
    )


def draft_emails(session: Session, *, audited_unit_id: int) -> list[str]:
    """E-mail addresses staff gave in their drafts of a unit."""
    return [
        email
        for email in session.scalars(
            select(QuestionnaireSubmission.respondent_email)
            .where(
                QuestionnaireSubmission.audited_unit_id == audited_unit_id,
                QuestionnaireSubmission.status == SubmissionStatus.DRAFT,
                QuestionnaireSubmission.respondent_email.is_not(None),
            )
            .order_by(QuestionnaireSubmission.id)
        )
        if email
    ]
