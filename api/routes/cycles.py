"""Launching a cycle from its plan, its status, links, trail and report."""

import json
from datetime import date, datetime
from typing import Any

import yaml
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cycle_launch import launch_for, links_read, survey_url
from api.deps import (
    DB,
    AppSettings,
    Coordinator,
    CurrentActor,
    Editor,
    Now,
    OwnCycle,
    RawBody,
    Reader,
    WorkingGroup,
)
from api.errors import invalid_response, ukrainian_errors
from api.report_files import version_download
from api.schemas import Read, UnitLinkRead
from models.cycle import (
    STAGE_LABELS,
    AuditCycle,
    AuditedUnit,
    CycleStatus,
    Stage,
    StageKind,
    StageStatus,
)
from models.errors import Invalid, UnsupportedMediaType
from models.plan import CyclePlan
from models.services.cycles import get_cycle
from models.services.events import list_events
from models.services.late_units import accept_late
from models.services.report.context import questionnaire_counts
from models.services.report.facts import set_figures_date
from models.services.report.versions import downloadable_version, latest_version
from models.services.stage_actions import extend_stage, reopen_stage
from models.services.stages import skip_stage
from models.services.surveys.totals import survey_participants
from models.settings import Settings

router = APIRouter(prefix="/api/cycles", tags=["цикли аудиту"])


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
MAX_PLAN_BYTES = 1_000_000


class StageRead(Read):
    """A stage with its dates."""

    kind: StageKind
    label: str
    starts_on: date
    due_on: date
    status: StageStatus
    skipped_reason: str | None
    opened_at: datetime | None
    closed_at: datetime | None


class CycleRead(BaseModel):
    """A cycle's state and figures."""

    id: int
    organization_id: int
    year: int
    order_number: str
    order_date: date
    status: CycleStatus
    survey_url: str
    stages: list[StageRead]
    units: int
    questionnaires: int
    units_with_questionnaire: int
    information_systems: int
    information_items: int
    survey_participants: int
    report_version: int | None
    report_url: str | None


class LaunchRead(CycleRead):
    """A launched cycle with the links to hand out."""

    links: list[UnitLinkRead]


class EventRead(Read):
    """An audit-trail entry."""

    at: datetime
    actor: str
    action: str
    details: dict[str, object]


class SkipCreate(BaseModel):
    """Why interviews are not held."""

    reason: str = Field(min_length=3, max_length=2000)


def stage_read(stage: Stage) -> StageRead:
    """A stage as the API shows it."""
    return StageRead(
        kind=stage.kind,
        label=STAGE_LABELS[stage.kind],
        starts_on=stage.starts_on,
        due_on=stage.due_on,
        status=stage.status,
        skipped_reason=stage.skipped_reason,
        opened_at=stage.opened_at,
        closed_at=stage.closed_at,
    )


def cycle_read(session: Session, cycle: AuditCycle, settings: Settings) -> dict[str, Any]:
    """The cycle's state and figures, as CycleRead fields."""
    counts = questionnaire_counts(session, cycle_id=cycle.id)
    version = latest_version(session, cycle_id=cycle.id)
    units = session.scalar(
        select(func.count(AuditedUnit.id)).where(AuditedUnit.cycle_id == cycle.id)
    )
    return {
        "id": cycle.id,
        "organization_id": cycle.organization_id,
        "year": cycle.year,
        "order_number": cycle.order_number,
        "order_date": cycle.order_date,
        "status": cycle.status,
        "survey_url": survey_url(settings, cycle),
        "stages": [stage_read(s) for s in cycle.stages],
        "units": units,
        **counts,
        "survey_participants": survey_participants(session, cycle_id=cycle.id),
        "report_version": version.number if version else None,
        "report_url": f"/api/cycles/{cycle.id}/report.pdf" if version else None,
    }


def _plan_from_body(request: Request, body: bytes) -> CyclePlan | Response:
    if len(body) > MAX_PLAN_BYTES:
        raise Invalid("План завеликий.", field="body")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in YAML_TYPES and content_type != "application/json":
        raise UnsupportedMediaType(
            "План надсилають як application/json або application/yaml.", field="body"
        )
    try:
        if content_type in YAML_TYPES:
            data = yaml.safe_load(body.decode("utf-8"))
        else:
            data = json.loads(body.decode("utf-8"))
    except (ValueError, yaml.YAMLError, UnicodeDecodeError):
        kind = "YAML" if content_type in YAML_TYPES else "JSON"
        raise Invalid(f"План не є коректним {kind}.", field="body") from None
    if not isinstance(data, dict):
        raise Invalid(
            "План має бути об’єктом (словником) з полями year, order, units, …", field="body"
        )
    try:
        return CyclePlan.model_validate(data)
    except ValidationError as exc:
        return invalid_response(ukrainian_errors(exc.errors()))


@router.post(
    "",
    status_code=201,
    response_model=LaunchRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": CyclePlan.model_json_schema()},
                # The same document in YAML (api/openapi.py turns its $defs into components).
                "application/yaml": {"schema": CyclePlan.model_json_schema()},
            },
        }
    },
)
def launch(
    request: Request,
    body: RawBody,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: Coordinator,
) -> Any:
    """Launch a cycle from a plan (JSON or YAML): order, units, auditors, stage dates, questions."""
    plan = _plan_from_body(request, body)
    if isinstance(plan, Response):
        return plan
    cycle = launch_for(session, account=account, plan=plan, settings=settings, now=now)
    cycle = get_cycle(session, cycle_id=cycle.id)
    links = links_read(session, cycle_id=cycle.id, settings=settings)
    return LaunchRead(**cycle_read(session, cycle, settings), links=links)


@router.get("/{cycle_id}", response_model=CycleRead)
def status(_account: Reader, cycle: OwnCycle, session: DB, settings: AppSettings) -> CycleRead:
    """The cycle's stages with their dates and status, and its figures."""
    return CycleRead(**cycle_read(session, cycle, settings))


@router.get("/{cycle_id}/links", response_model=list[UnitLinkRead])
def links(
    _account: WorkingGroup, cycle: OwnCycle, session: DB, settings: AppSettings
) -> list[UnitLinkRead]:
    """The per-unit secret questionnaire links, to hand out."""
    return links_read(session, cycle_id=cycle.id, settings=settings)


@router.post("/{cycle_id}/interviews/skip", response_model=StageRead)
def skip_interviews(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: SkipCreate,
    session: DB,
    now: Now,
) -> StageRead:
    """Record the working group's decision not to hold interviews, with the reason."""
    stage = skip_stage(
        session,
        cycle_id=cycle.id,
        kind=StageKind.INTERVIEWS,
        reason=body.reason,
        now=now,
        actor=actor,
    )
    return stage_read(stage)


class StageExtend(BaseModel):
    """A stage's new due date and why."""

    due_on: date
    reason: str = Field(min_length=3, max_length=2000)


@router.post("/{cycle_id}/stages/{kind}/extend", response_model=StageRead)
def extend(
    kind: StageKind,
    body: StageExtend,
    session: DB,
    now: Now,
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
) -> StageRead:
    """Move a stage's due date later (the report shows it as extended, with the reason)."""
    stage = extend_stage(
        session,
        cycle_id=cycle.id,
        kind=kind,
        due_on=body.due_on,
        reason=body.reason,
        now=now,
        actor=actor,
    )
    return stage_read(stage)


@router.post("/{cycle_id}/stages/{kind}/reopen", response_model=StageRead)
def reopen(
    kind: StageKind,
    body: StageExtend,
    session: DB,
    now: Now,
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
) -> StageRead:
    """Open a closed (or skipped) stage again until `due_on`, with the reason; refused once
    a later stage forbids it (an approved report, a completed cycle)."""
    stage = reopen_stage(
        session,
        cycle_id=cycle.id,
        kind=kind,
        due_on=body.due_on,
        reason=body.reason,
        now=now,
        actor=actor,
    )
    return stage_read(stage)


class LateAcceptance(BaseModel):
    """Why a unit's late questionnaire is accepted."""

    reason: str = Field(min_length=3, max_length=2000)


class LateUnitRead(BaseModel):
    """A unit whose late questionnaire the working group accepted."""

    unit_id: int
    late_accepted_at: datetime
    late_reason: str


@router.post("/{cycle_id}/units/{unit_id}/accept-late", response_model=LateUnitRead)
def accept_late_questionnaire(
    unit_id: int,
    body: LateAcceptance,
    session: DB,
    now: Now,
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
) -> LateUnitRead:
    """Accept one unit's late questionnaire: its drafts count, its link takes answers."""
    audited = accept_late(
        session,
        cycle_id=cycle.id,
        unit_id=unit_id,
        reason=body.reason,
        now=now,
        actor=actor,
    )
    assert audited.late_accepted_at is not None
    assert audited.late_reason is not None
    return LateUnitRead(
        unit_id=audited.unit_id,
        late_accepted_at=audited.late_accepted_at,
        late_reason=audited.late_reason,
    )


class FiguresDateUpdate(BaseModel):
    """The day the report's publication figures describe («станом на»)."""

    as_of: date


class FiguresDateRead(FiguresDateUpdate):
    """The day the report's publication figures describe, as stored."""


@router.put("/{cycle_id}/report/figures-date", response_model=FiguresDateRead)
def put_figures_date(
    body: FiguresDateUpdate,
    session: DB,
    now: Now,
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
) -> FiguresDateRead:
    """Set the day the publication analysis describes; a new version will be rendered."""
    report = set_figures_date(session, cycle_id=cycle.id, as_of=body.as_of, now=now, actor=actor)
    assert report.figures_as_of is not None
    return FiguresDateRead(as_of=report.figures_as_of)


@router.get("/{cycle_id}/events", response_model=list[EventRead])
def events(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[EventRead]:
    """The cycle's audit trail, oldest first."""
    return [EventRead.model_validate(e) for e in list_events(session, cycle_id=cycle.id)]


@router.get(
    "/{cycle_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def report_pdf(account: Reader, cycle: OwnCycle, session: DB) -> Response:
    """The report's PDF, as `/report/download` gives it: the newest version for the working
    group (signed when it is), the newest signed one for the mayor's office."""
    version = downloadable_version(session, cycle_id=cycle.id, role=account.role)
    return version_download(session, cycle=cycle, version=version)
