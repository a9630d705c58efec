"""E-mail through the outbox: reminders to units, resume links to staff, SMTP with retries.

A message is first recorded under a unique dedup key (reminder:<unit>:<due_on>:<point>), so
enqueueing twice — a rerun, two sweeps at once — records it once; a stage reopened or extended
until a new date starts its points afresh. Sending claims a message (committed)
before talking to SMTP and marks it sent after; a crash in between leaves a stale claim that is
retried after STALE_CLAIM with the same Message-ID, so receivers can still drop the duplicate.
"""

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.account import Account, Role
from models.clock import local_date
from models.cycle import AuditCycle, AuditedUnit, Stage, StageKind, StageStatus
from models.db import session_scope
from models.organization import Organization, Unit
from models.outbox import OutboxMessage, OutboxStatus
from models.security import sha256_hex
from models.services.cycles import questionnaire_url, unit_link_token
from models.services.questionnaires import draft_emails, units_without_submission
from models.services.stage_actions import moved_to_due_date
from models.services.stages import get_stage
from models.settings import Settings

DEFAULT_REMINDER_DAYS = (3, 1)
OVERDUE_POINT = "overdue"
# An overdue notice weeks late helps nobody: only within this many days after the due date.
OVERDUE_GRACE_DAYS = 7
MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=15)
SMTP_TIMEOUT_SECONDS = 20


def enqueue(
    session: Session,
    *,
    dedup_key: str,
    recipients: Sequence[str],
    subject: str,
    body: str,
    now: datetime,
) -> OutboxMessage | None:
    """Record a message to send; None when one with this key was already recorded."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)):
        return None
    message = OutboxMessage(
        dedup_key=dedup_key,
        recipients=", ".join(dict.fromkeys(recipients)),
        subject=subject,
        body=body,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,  # the app's clock: the console says when a message was queued
    )
    try:
        # A savepoint: a concurrent run that recorded the same key first is not an error.
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


def reminder_point(*, today: date, due_on: date, days_before: Sequence[int]) -> str | None:
    """The reminder due today, if any: the latest point already reached, or the overdue notice.

    Points missed while nothing ran are not sent late: only the most recent one reached is.
    """
    if today <= due_on:
        reached = [d for d in days_before if d >= 0 and today >= due_on - timedelta(days=d)]
        return f"before-{min(reached)}" if reached else None
    if today <= due_on + timedelta(days=OVERDUE_GRACE_DAYS):
        return OVERDUE_POINT
    return None


def closed_early(stage: Stage) -> bool:
    """Whether the working group closed the stage on or before its due date (the sweep closes
    a stage only after it); reopening it makes it open again."""
    return (
        stage.status == StageStatus.CLOSED
        and stage.closed_at is not None
        and local_date(stage.closed_at) <= stage.due_on
    )


def cycle_contact(session: Session, cycle: AuditCycle) -> str:
    """Whom units contact: the cycle's contact, else the organization's coordinator."""
    name, email, phone = cycle.contact_name, cycle.contact_email, cycle.contact_phone
    if not (name or email or phone):
        account = session.scalar(
            select(Account)
            .where(
                Account.organization_id == cycle.organization_id,
                Account.role == Role.COORDINATOR,
                Account.is_active.is_(True),
            )
            .order_by(Account.id)
            .limit(1)
        )
        if account is not None:
            name, email = account.full_name, account.email
    parts = [name] if name else []
    parts += [f"ел. пошта {email}"] if email else []
    parts += [f"тел. {phone}"] if phone else []
    return ", ".join(parts)


def _reminder_text(
    *,
    point: str,
    organization: str,
    unit: str,
    due_on: date,
    moved: bool,
    url: str,
    contact: str,
) -> tuple[str, str]:
    due = f"{due_on:%d.%m.%Y}"
    if point == OVERDUE_POINT:
        whom = f": {contact}" if contact else ""
        subject = f"Строк подання анкети інформаційного аудиту минув {due}"
        body = (
            "Шановні колеги!\n\n"
            f"Строк подання анкет віддаленого інформаційного аудиту ({organization}) минув {due}, "
            f"а анкету від підрозділу «{unit}» не отримано.\n\n"
            "Робоча група з інформаційного аудиту може прийняти анкету вашого підрозділу із "
            f"запізненням. Просимо якнайшвидше звернутися до координатора робочої групи{whom}.\n\n"
            "Це повідомлення надіслано автоматично, відповідати на нього не потрібно.\n"
        )
        return subject, body
    # A unit reminded of the old date (or told it had passed) learns why it is asked again.
    until = f"анкети приймаються до {due} включно"
    until = f"Строк подання анкет продовжено: {until}." if moved else f"{until.capitalize()}."
    subject = "Нагадування: анкета інформаційного аудиту — " + (
        f"строк продовжено до {due}" if moved else f"до {due}"
    )
    body = (
        "Шановні колеги!\n\n"
        f"Підрозділ «{unit}» ще не подав анкету віддаленого інформаційного аудиту "
        f"({organization}). {until}\n\n"
        f"Заповнити анкету можна за посиланням вашого підрозділу (з телефону теж):\n{url}\n\n"
        "Анкету може заповнити кілька працівників; незавершену анкету можна зберегти "
        "як чернетку й продовжити пізніше.\n\n"
        "Це повідомлення надіслано автоматично, відповідати на нього не потрібно.\n"
    )
    return subject, body


def enqueue_reminders(
    session: Session,
    *,
    cycle_id: int,
    now: datetime,
    settings: Settings,
    days_before: Sequence[int] = DEFAULT_REMINDER_DAYS,
) -> int:
    """Record today's reminder for each unit without a submitted questionnaire; returns how many.

    Each unit gets each point at most once per due date (the dedup key), whatever the number of
    runs; once the stage is reopened or extended, the new date's points are sent again.
    """
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.REMOTE_AUDIT)
    today = local_date(now)
    # The dates decide, not whether a sweep has opened the stage yet.
    if stage.status == StageStatus.SKIPPED or today < stage.starts_on:
        return 0
    if closed_early(stage):  # its link takes no answers: neither reminders nor overdue notices
        return 0
    point = reminder_point(today=today, due_on=stage.due_on, days_before=days_before)
    if point is None:
        return 0
    cycle = session.get(AuditCycle, cycle_id)
    assert cycle is not None
    if cycle.is_historical:  # a past year's audit: nobody is waiting for a reminder
        return 0
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    contact = cycle_contact(session, cycle)
    moved = moved_to_due_date(session, stage)
    recorded = 0
    for audited in units_without_submission(session, cycle_id=cycle_id):
        unit = session.get(Unit, audited.unit_id)
        assert unit is not None
        recipients = [unit.email] if unit.email else []
        recipients += draft_emails(session, audited_unit_id=audited.id)
        if not recipients:
            continue
        url = questionnaire_url(settings.base_url, unit_link_token(settings.secret_key, audited))
        subject, body = _reminder_text(
            point=point,
            organization=organization.name,
            unit=unit.name,
            due_on=stage.due_on,
            moved=moved,
            url=url,
            contact=contact,
        )
        message = enqueue(
            session,
            # The due date is in the key: after a reopening or an extension the units still
            # without a questionnaire are reminded again, counted from the new date.
            dedup_key=f"reminder:{audited.id}:{stage.due_on.isoformat()}:{point}",
            recipients=recipients,
            subject=subject,
            body=body,
            now=now,
        )
        recorded += message is not None
    return recorded


def enqueue_resume_link(
    session: Session,
    *,
    submission_id: int,
    email: str,
    url: str,
    code: str,
    unit: str,
    due_on: date,
    now: datetime,
) -> OutboxMessage | None:
    """E-mail a staff member the link to continue their draft (once per questionnaire)."""
    body = (
        "Добрий день!\n\n"
        f"Ви зберегли чернетку анкети інформаційного аудиту для підрозділу «{unit}».\n"
        f"Продовжити її можна з будь-якого пристрою за посиланням:\n{url}\n\n"
        f"Ваш код продовження: {code}\n"
        f"Анкету можна редагувати до {due_on:%d.%m.%Y} включно.\n\n"
        "Не пересилайте цей лист: за посиланням і кодом можна змінити вашу анкету.\n"
    )
    return enqueue(
        session,
        dedup_key=f"resume:{submission_id}",
        recipients=[email],
        subject="Посилання для продовження анкети інформаційного аудиту",
        body=body,
        now=now,
    )


def claim_due(session: Session, *, now: datetime, limit: int = 100) -> list[int]:
    """Claim messages due for sending (and stale claims); each is claimed by one sender only."""
    candidates = session.execute(
        select(OutboxMessage.id, OutboxMessage.status)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.PENDING)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_at < now - STALE_CLAIM),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).tuples()
    claimed = []
    for message_id, status in list(candidates):
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == status)
            .values(status=OutboxStatus.SENDING, claimed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(message_id)
    return claimed


def message_id_header(dedup_key: str) -> str:
    """A Message-ID fixed by the dedup key: a retried message is recognisably the same."""
    return f"<{sha256_hex(dedup_key)[:40]}@infoaudit>"


def build_email(message: OutboxMessage, *, sender: str) -> EmailMessage:
    """The e-mail of an outbox message."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipients
    email["Subject"] = message.subject
    email["Message-ID"] = message_id_header(message.dedup_key)
    email["Date"] = format_datetime(message.created_at)
    email.set_content(message.body)
    return email


def deliver(email: EmailMessage, *, settings: Settings) -> None:
    """Hand one e-mail to the SMTP server; raises on failure."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(email)


# Bodies carry secret unit links and resume codes: once a message is delivered (or given up
# on) nothing needs its text, so it is not kept at rest. Subject and recipients stay.
ERASED_BODY = "[Текст листа вилучено після надсилання: він міг містити секретне посилання або код.]"


def mark_sent(session: Session, *, message_id: int, now: datetime) -> None:
    """Record a delivered message and erase its body."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=OutboxStatus.SENT,
            sent_at=now,
            updated_at=now,
            last_error=None,
            body=ERASED_BODY,
        )
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, *, message_id: int, now: datetime, error: str) -> OutboxStatus:
    """Record a failed attempt: retry later with back-off, or give up after MAX_ATTEMPTS."""
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    message.attempts += 1
    message.last_error = error[:500]
    message.claimed_at = None
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        message.body = ERASED_BODY
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now + timedelta(minutes=5 * 2 ** (message.attempts - 1))
    session.flush()
    return message.status


@dataclass(frozen=True)
class SendResult:
    """What one pass over the outbox did."""

    sent: int
    retrying: int
    failed: int


def outbox_messages(session: Session, *, prefix: str = "") -> list[OutboxMessage]:
    """Recorded messages, optionally those whose dedup key starts with `prefix`."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if prefix:
        query = query.where(OutboxMessage.dedup_key.startswith(prefix))
    return list(session.scalars(query))


def audited_unit_ids_reminded(session: Session, *, cycle_id: int) -> list[int]:
    """Audited units of a cycle that have a reminder recorded (for status pages and tests)."""
    keys = session.scalars(
        select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.startswith("reminder:"))
    )
    ids = {int(key.split(":")[1]) for key in keys}
    return list(
        session.scalars(
            select(AuditedUnit.id)
            .where(AuditedUnit.cycle_id == cycle_id, AuditedUnit.id.in_(ids))
            .order_by(AuditedUnit.id)
        )
    )


def send_due(*, now: datetime, settings: Settings, limit: int = 100) -> SendResult:
    """Send what is due, one short transaction per step so a crash loses no record."""
    with session_scope() as session:
        claimed = claim_due(session, now=now, limit=limit)
    sent = retrying = failed = 0
    for message_id in claimed:
        with session_scope() as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            email = build_email(message, sender=settings.mail_from)
        try:
            deliver(email, settings=settings)
        except (OSError, smtplib.SMTPException) as exc:
            with session_scope() as session:
                status = mark_failed(
                    session, message_id=message_id, now=now, error=f"{type(exc).__name__}: {exc}"
                )
            if status == OutboxStatus.FAILED:
                failed += 1
            else:
                retrying += 1
            continue
        with session_scope() as session:
            mark_sent(session, message_id=message_id, now=now)
        sent += 1
    return SendResult(sent=sent, retrying=retrying, failed=failed)
