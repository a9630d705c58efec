"""Launching a cycle from its plan, and reading it back."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.account import Account
from models.actor import Actor
from models.clock import local_date
from models.cycle import (
    STAGE_LABELS,
    STAGE_ORDER,
    AuditCycle,
    AuditedUnit,
    Auditor,
    CycleStatus,
    Stage,
    StageKind,
)
from models.errors import Invalid, NotFound
from models.organization import Unit
from models.plan import CyclePlan, QuestionPlan
from models.security import derive_token, new_token, sha256_hex
from models.services.events import record_cycle_event, record_event
from models.services.organizations import units_by_name
from models.services.stages import advance_stage, skip_stage
from models.services.surveys.questions import add_questions, default_questions

UNIT_LINK_PURPOSE = "unit-link"


def questionnaire_url(base_url: str, token: str, code: str | None = None) -> str:
    """A unit's questionnaire address; with a personal resume code, a staff member's draft."""
    url = f"{base_url.rstrip('/')}/q/{token}"
    return f"{url}?code={quote(code)}" if code else url


def survey_url(base_url: str, slug: str) -> str:
    """A cycle's public survey address."""
    return f"{base_url.rstrip('/')}/survey/{slug}"


def unit_link_token(secret_key: str, audited_unit: AuditedUnit) -> str:
    """The secret token of a unit's questionnaire link."""
    return derive_token(secret_key, UNIT_LINK_PURPOSE, audited_unit.link_salt)


def launch_cycle(
    session: Session,
    *,
    organization_id: int,
    plan: CyclePlan,
    secret_key: str,
    now: datetime,
    actor: Actor,
) -> AuditCycle:
    """Create a cycle, its stages, auditors, audited units with their links and its survey."""
    _check_dates(plan, today=local_date(now))
    units = units_by_name(session, organization_id=organization_id, names=plan.units)
    inactive = [unit.name for unit in units if not unit.is_active]
    if inactive:
        raise Invalid("Вимкнені підрозділи не беруть участі: " + "; ".join(inactive), field="units")
    cycle = AuditCycle(
        organization_id=organization_id,
        year=plan.year,
        order_number=plan.order.number,
        order_date=plan.order.date,
        order_title=plan.order.title,
        interview_schedule_on=plan.interview_schedule_on,
        open_data_order=plan.open_data_order,
        survey_unit=plan.survey_unit,
        **_contact(session, plan, actor),
        survey_slug=new_token(12),
        status=CycleStatus.ACTIVE,
        is_historical=plan.historical,
    )
    session.add(cycle)
    session.flush()
    for position, kind in enumerate(STAGE_ORDER):
        stage_plan = plan.stages[kind]
        session.add(
            Stage(
                cycle_id=cycle.id,
                kind=kind,
                position=position,
                starts_on=stage_plan.starts_on,
                due_on=stage_plan.due_on,
            )
        )
    for person, involved in [(p, False) for p in plan.auditors] + [
        (p, True) for p in plan.involved
    ]:
        session.add(
            Auditor(
                cycle_id=cycle.id,
                full_name=person.full_name,
                position=person.position,
                email=person.email,
                is_involved_only=involved,
            )
        )
    for position, unit in enumerate(units):
        salt = new_token(16)
        session.add(
            AuditedUnit(
                cycle_id=cycle.id,
                unit_id=unit.id,
                position=position,
                link_salt=salt,
                link_lookup=sha256_hex(derive_token(secret_key, UNIT_LINK_PURPOSE, salt)),
            )
        )
    questions: list[QuestionPlan] = (
        plan.questions if plan.questions is not None else default_questions([u.name for u in units])
    )
    add_questions(session, cycle_id=cycle.id, questions=questions)
    session.flush()
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=cycle.id,
        action="cycle.launched",
        at=now,
        actor=actor,
        details={
            "order": plan.order.number,
            "units": len(units),
            "year": plan.year,
            **({"historical": True} if plan.historical else {}),
        },
    )
    interviews = plan.stages[StageKind.INTERVIEWS]
    if interviews.skip_reason:
        skip_stage(
            session,
            cycle_id=cycle.id,
            kind=StageKind.INTERVIEWS,
            reason=interviews.skip_reason,
            now=now,
            actor=actor,
        )
    # Stages starting today open now, not at the next sweep (reporting waits for the others).
    for kind in STAGE_ORDER[:-1]:
        advance_stage(session, cycle_id=cycle.id, kind=kind, now=now)
    return cycle


def _contact(session: Session, plan: CyclePlan, actor: Actor) -> dict[str, str]:
    if plan.contact is not None:
        return {
            "contact_name": plan.contact.full_name,
            "contact_email": plan.contact.email or "",
            "contact_phone": plan.contact.phone,
        }
    account = session.get(Account, actor.account_id) if actor.account_id else None
    if account is None:
        return {}
    return {"contact_name": account.full_name, "contact_email": account.email}


def _check_dates(plan: CyclePlan, *, today: date) -> None:
    """A current cycle lies ahead; a historical one (a past year entered afterwards) has begun."""
    if plan.historical:
        first = min(stage.starts_on for stage in plan.stages.values())
        if first >= today:
            raise Invalid(
                "Історичний цикл вносить аудит, який уже відбувся: його етапи мають починатися "
                "в минулому.",
                field="historical",
            )
        return
    for kind, stage_plan in plan.stages.items():
        for name, when, day in (
            ("starts_on", "починається", stage_plan.starts_on),
            ("due_on", "завершується", stage_plan.due_on),
        ):
            if day < today:
                raise Invalid(
                    f"Етап «{STAGE_LABELS[kind]}» {when} {day:%d.%m.%Y}, тобто в минулому. "
                    "Щоб внести аудит минулого року, позначте цикл як історичний.",
                    field=f"stages.{kind.value}.{name}",
                )


def replace_unit_link(
    session: Session, *, cycle_id: int, unit_id: int, secret_key: str, now: datetime, actor: Actor
) -> AuditedUnit:
    """Give one unit of a cycle a new secret link; its old link stops working, others stay."""
    audited = session.scalar(
        select(AuditedUnit).where(AuditedUnit.cycle_id == cycle_id, AuditedUnit.unit_id == unit_id)
    )
    if audited is None:
        raise NotFound("Підрозділ не бере участі в цьому циклі.", field="unit_id")
    audited.link_salt = new_token(16)
    audited.link_lookup = sha256_hex(derive_token(secret_key, UNIT_LINK_PURPOSE, audited.link_salt))
    session.flush()
    unit = session.get(Unit, unit_id)
    assert unit is not None
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="unit.link_replaced",
        at=now,
        actor=actor,
        details={"unit": unit_id, "name": unit.name},
    )
    return audited


def get_cycle(session: Session, *, cycle_id: int) -> AuditCycle:
    """The cycle with its stages (flows, the CLI and services that already hold its id)."""
    cycle = session.scalar(
        select(AuditCycle).where(AuditCycle.id == cycle_id).options(selectinload(AuditCycle.stages))
    )
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    return cycle


def get_own_cycle(session: Session, *, cycle_id: int, organization_id: int | None) -> AuditCycle:
    """The cycle of this organization; NotFound for another organization's cycle (and for an
    account of no organization), so that nobody learns another holder's cycle exists."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    if organization_id is None or cycle.organization_id != organization_id:
        raise NotFound("Цикл аудиту не знайдено.")
    return cycle


def list_cycles(session: Session, *, organization_id: int) -> list[AuditCycle]:
    """The organization's cycles, newest first, with their stages."""
    return list(
        session.scalars(
            select(AuditCycle)
            .where(AuditCycle.organization_id == organization_id)
            .options(selectinload(AuditCycle.stages))
            .order_by(AuditCycle.id.desc())
        )
    )


def count_audited_units(session: Session, *, cycle_id: int) -> int:
    """How many units a cycle audits."""
    return (
        session.scalar(select(func.count(AuditedUnit.id)).where(AuditedUnit.cycle_id == cycle_id))
        or 0
    )


@dataclass(frozen=True)
class PreviousSetup:
    """What the last cycle was launched with, offered again for the next year."""

    unit_names: list[str]
    auditors: list[Auditor]
    involved: list[Auditor]


def previous_setup(session: Session, *, organization_id: int) -> PreviousSetup | None:
    """The newest cycle's units and people, or None for a first cycle."""
    last = session.scalar(
        select(AuditCycle.id)
        .where(AuditCycle.organization_id == organization_id)
        .order_by(AuditCycle.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    names = list(
        session.scalars(
            select(Unit.name)
            .join(AuditedUnit, AuditedUnit.unit_id == Unit.id)
            .where(AuditedUnit.cycle_id == last, Unit.is_active)
            .order_by(AuditedUnit.position)
        )
    )
    people = list(
        session.scalars(select(Auditor).where(Auditor.cycle_id == last).order_by(Auditor.id))
    )
    return PreviousSetup(
        unit_names=names,
        auditors=[p for p in people if not p.is_involved_only],
        involved=[p for p in people if p.is_involved_only],
    )


def default_schedule(start: date) -> dict[StageKind, tuple[date, date]]:
    """The seed's schedule from a start date: preparation and remote audit 1 week, consultation
    2 weeks, interviews the next Monday, reporting the week after consultation."""
    day = timedelta(days=1)
    return {
        StageKind.PREPARATION: (start, start + 4 * day),
        StageKind.CONSULTATION: (start, start + 13 * day),
        StageKind.REMOTE_AUDIT: (start, start + 4 * day),
        StageKind.INTERVIEWS: (start + 7 * day, start + 7 * day),
        StageKind.REPORTING: (start + 14 * day, start + 21 * day),
    }


def active_cycle_ids(session: Session) -> list[int]:
    """Cycles still running, for the scheduled sweep."""
    return list(
        session.scalars(
            select(AuditCycle.id)
            .where(AuditCycle.status == CycleStatus.ACTIVE)
            .order_by(AuditCycle.id)
        )
    )


@dataclass(frozen=True)
class UnitLink:
    """A unit's questionnaire link, to hand out."""

    audited_unit_id: int
    unit_id: int
    unit_name: str
    unit_email: str | None
    token: str


def unit_links(session: Session, *, cycle_id: int, secret_key: str) -> list[UnitLink]:
    """Every audited unit's secret link token."""
    rows = session.execute(
        select(AuditedUnit, Unit.name, Unit.email)
        .join(Unit, Unit.id == AuditedUnit.unit_id)
        .where(AuditedUnit.cycle_id == cycle_id)
        .order_by(AuditedUnit.position)
    )
    return [
        UnitLink(
            audited_unit_id=audited.id,
            unit_id=audited.unit_id,
            unit_name=name,
            unit_email=email,
            token=unit_link_token(secret_key, audited),
        )
        for audited, name, email in rows
    ]
