"""The staff questionnaire behind a unit's secret link (JSON API; the HTML form is at /q/{token}),
and the working group's review: per-unit progress, consolidation (merge/split), exports."""

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.deps import (
    DB,
    AppSettings,
    ClientAddress,
    CurrentActor,
    Now,
    OwnCycle,
    WorkingGroup,
)
from models.cycle import AuditCycle, StageKind
from models.errors import Conflict
from models.organization import Organization, Unit
from models.questionnaire import (
    CONSOLIDATION_KINDS,
    AccessCategory,
    ConsolidationKind,
    OwnerType,
)
from models.schemas import QuestionnaireCreate
from models.services.consolidation import (
    consolidate,
    list_decisions,
    merge_groups,
    split_row,
    undo_decision,
)
from models.services.cycles import questionnaire_url
from models.services.inventory_export import inventory_csv, inventory_xlsx
from models.services.late_units import ensure_unit_accepting
from models.services.questionnaires import (
    PROGRESS_LABELS,
    audited_unit_for_token,
    find_by_resume_code,
    questionnaire_data,
    save_questionnaire,
    submit_questionnaire,
    unit_progress,
)
from models.services.resume_links import mail_resume_link
from models.services.stages import get_stage

router = APIRouter(prefix="/api/questionnaire", tags=["анкетування"])
review_router = APIRouter(prefix="/api/cycles", tags=["анкетування: огляд робочою групою"])

KindPath = Literal["systems", "items"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class QuestionnaireFormRead(BaseModel):
    """What a staff member sees behind the unit's link."""

    organization: str
    unit: str
    year: int
    starts_on: date
    due_on: date
    accepting: bool


class SubmissionRead(BaseModel):
    """A stored questionnaire."""

    id: int
    systems: int
    items: int


@router.get("/{token}", response_model=QuestionnaireFormRead)
def form(token: str, session: DB, now: Now) -> QuestionnaireFormRead:
    """What the unit's link is for and whether it accepts questionnaires now."""
    audited = audited_unit_for_token(session, token=token)
    cycle = session.get(AuditCycle, audited.cycle_id)
    unit = session.get(Unit, audited.unit_id)
    assert cycle is not None
    assert unit is not None
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.REMOTE_AUDIT)
    try:
        ensure_unit_accepting(session, audited=audited, stage=stage, now=now)
        accepting = True
    except Conflict:
        accepting = False
    return QuestionnaireFormRead(
        organization=organization.name,
        unit=unit.name,
        year=cycle.year,
        starts_on=stage.starts_on,
        due_on=stage.due_on,
        accepting=accepting,
    )


@router.post("/{token}", status_code=201, response_model=SubmissionRead)
def submit(token: str, body: QuestionnaireCreate, session: DB, now: Now) -> SubmissionRead:
    """Submit the unit's questionnaire (information systems and information items)."""
    submission = submit_questionnaire(session, token=token, data=body, now=now)
    return SubmissionRead(id=submission.id, systems=len(body.systems), items=len(body.items))


class SavedRead(BaseModel):
    """A saved questionnaire and its personal resume code."""

    id: int
    status: str
    resume_code: str
    resume_url: str
    systems: int
    items: int
    # Why the resume link was not e-mailed (a cap on such letters was reached); null otherwise.
    mail_refused: str | None = None


@router.post("/{token}/drafts", status_code=201, response_model=SavedRead)
def save_draft(
    token: str,
    body: QuestionnaireCreate,
    session: DB,
    now: Now,
    settings: AppSettings,
    address: ClientAddress,
) -> SavedRead:
    """Start a draft: returns the personal resume code (shown once; e-mailed if given)."""
    saved = save_questionnaire(session, token=token, data=body, now=now, submit=False)
    assert saved.resume_code is not None
    url = questionnaire_url(settings.base_url, token, saved.resume_code)
    refused = None
    if body.respondent.email:
        audited = audited_unit_for_token(session, token=token)
        stage = get_stage(session, cycle_id=audited.cycle_id, kind=StageKind.REMOTE_AUDIT)
        unit = session.get(Unit, audited.unit_id)
        assert unit is not None
        refused = mail_resume_link(
            session,
            submission_id=saved.submission.id,
            audited_unit_id=audited.id,
            email=body.respondent.email,
            client_address=address,
            secret_key=settings.secret_key,
            url=url,
            code=saved.resume_code,
            unit=unit.name,
            due_on=stage.due_on,
            now=now,
        )
    return SavedRead(
        id=saved.submission.id,
        status=saved.submission.status.value,
        resume_code=saved.resume_code,
        resume_url=url,
        systems=len(body.systems),
        items=len(body.items),
        mail_refused=refused,
    )


class RespondentRead(BaseModel):
    """Who filled in the questionnaire."""

    full_name: str
    position: str
    email: str | None


class SystemRead(BaseModel):
    """An information system as it was entered."""

    name: str
    url: str | None
    basis: str
    administrator: str
    owner_type: OwnerType | None
    description: str
    holds_personal_data: bool
    export_formats: str
    has_api: bool


class ItemRead(BaseModel):
    """A kind of information as it was entered."""

    name: str
    description: str
    kept_in: str
    access_category: AccessCategory
    secret_explanation: str | None
    is_dataset_candidate: bool
    update_frequency: str
    approx_records: int | None
    legal_basis: str
    format: str
    restricted_fields: str
    url: str | None


class QuestionnaireRead(BaseModel):
    """One's own questionnaire, in the shape it is submitted in (plain: a draft may be partial)."""

    id: int
    status: str
    respondent: RespondentRead
    systems: list[SystemRead]
    items: list[ItemRead]


@router.get("/{token}/{code}", response_model=QuestionnaireRead)
def resume(token: str, code: str, session: DB) -> QuestionnaireRead:
    """One's own questionnaire by the resume code, in the shape it is submitted in."""
    audited = audited_unit_for_token(session, token=token)
    submission = find_by_resume_code(session, audited=audited, code=code)
    return QuestionnaireRead.model_validate(
        {"id": submission.id, "status": submission.status.value, **questionnaire_data(submission)}
    )


@router.put("/{token}/{code}", response_model=SavedRead)
def update(
    token: str,
    code: str,
    body: QuestionnaireCreate,
    session: DB,
    now: Now,
    settings: AppSettings,
    submit: bool = False,
) -> SavedRead:
    """Replace one's own questionnaire (draft or submitted) until the due date; `submit` submits."""
    saved = save_questionnaire(
        session, token=token, data=body, now=now, submit=submit, resume_code=code
    )
    return SavedRead(
        id=saved.submission.id,
        status=saved.submission.status.value,
        resume_code=code,
        resume_url=questionnaire_url(settings.base_url, token, code),
        systems=len(body.systems),
        items=len(body.items),
    )


class UnitProgressRead(BaseModel):
    """One unit's questionnaire progress."""

    unit: str
    status: str
    status_label: str
    submitted: int
    drafts: int
    records: int
    last_activity: datetime | None


@review_router.get("/{cycle_id}/questionnaires", response_model=list[UnitProgressRead])
def progress(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[UnitProgressRead]:
    """Per-unit progress: not started / draft / submitted, records, last activity."""
    return [
        UnitProgressRead(
            unit=p.unit,
            status=p.status,
            status_label=PROGRESS_LABELS[p.status],
            submitted=p.submitted,
            drafts=p.drafts,
            records=p.records,
            last_activity=p.last_activity,
        )
        for p in unit_progress(session, cycle_id=cycle.id)
    ]


class RowRead(BaseModel):
    """An original questionnaire row inside a group."""

    id: int
    name: str
    unit: str


class GroupRead(BaseModel):
    """A consolidated system or item with its original rows."""

    key: str
    name: str
    units: list[str]
    rows: list[RowRead]


@review_router.get("/{cycle_id}/consolidation/{kind}", response_model=list[GroupRead])
def groups(_account: WorkingGroup, cycle: OwnCycle, kind: KindPath, session: DB) -> list[GroupRead]:
    """The consolidated systems or items, each with the original rows it groups."""
    return [
        GroupRead(
            key=g.key,
            name=g.name,
            units=g.units,
            rows=[RowRead(id=r.id, name=r.name, unit=r.unit) for r in g.rows],
        )
        for g in consolidate(session, cycle_id=cycle.id, kind=CONSOLIDATION_KINDS[kind])
    ]


class MergeCreate(BaseModel):
    """Groups to merge into another (keys as the consolidation list shows them)."""

    keys: list[str] = Field(min_length=1, max_length=200)
    into: str = Field(min_length=1, max_length=600)


class SplitCreate(BaseModel):
    """A row to take out of its group."""

    row_id: int


class DecisionRead(BaseModel):
    """An auditor's merge or split."""

    id: int
    action: str
    group_key: str
    target_key: str
    row_id: int
    actor: str
    created_at: datetime


@review_router.post(
    "/{cycle_id}/consolidation/{kind}/merge", status_code=201, response_model=list[DecisionRead]
)
def merge(
    _account: WorkingGroup,
    cycle: OwnCycle,
    actor: CurrentActor,
    kind: KindPath,
    body: MergeCreate,
    session: DB,
    now: Now,
) -> list[DecisionRead]:
    """Merge groups the automatic grouping kept apart (e.g. «СЕД» and «АСКОД»)."""
    made = merge_groups(
        session,
        cycle_id=cycle.id,
        kind=CONSOLIDATION_KINDS[kind],
        keys=body.keys,
        into=body.into,
        actor=actor,
        now=now,
    )
    return [DecisionRead.model_validate(d, from_attributes=True) for d in made]


@review_router.post(
    "/{cycle_id}/consolidation/{kind}/split", status_code=201, response_model=DecisionRead
)
def split(
    _account: WorkingGroup,
    cycle: OwnCycle,
    actor: CurrentActor,
    kind: KindPath,
    body: SplitCreate,
    session: DB,
    now: Now,
) -> DecisionRead:
    """Take one original row out of its group."""
    decision = split_row(
        session,
        cycle_id=cycle.id,
        kind=CONSOLIDATION_KINDS[kind],
        row_id=body.row_id,
        actor=actor,
        now=now,
    )
    return DecisionRead.model_validate(decision, from_attributes=True)


@review_router.get("/{cycle_id}/consolidation/{kind}/decisions", response_model=list[DecisionRead])
def decisions(
    _account: WorkingGroup, cycle: OwnCycle, kind: KindPath, session: DB
) -> list[DecisionRead]:
    """The auditors' merges and splits, oldest first."""
    return [
        DecisionRead.model_validate(d, from_attributes=True)
        for d in list_decisions(session, cycle_id=cycle.id, kind=CONSOLIDATION_KINDS[kind])
    ]


@review_router.delete(
    "/{cycle_id}/consolidation/decisions/{decision_id}", status_code=204, response_class=Response
)
def undo(
    _account: WorkingGroup,
    cycle: OwnCycle,
    actor: CurrentActor,
    decision_id: int,
    session: DB,
    now: Now,
) -> Response:
    """Withdraw a merge or split."""
    undo_decision(session, cycle_id=cycle.id, decision_id=decision_id, actor=actor, now=now)
    return Response(status_code=204)


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@review_router.get(
    "/{cycle_id}/inventory.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def inventory_workbook(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> Response:
    """The consolidated inventory (systems and items with their units) as XLSX."""
    content = inventory_xlsx(
        consolidate(session, cycle_id=cycle.id, kind=ConsolidationKind.SYSTEM),
        consolidate(session, cycle_id=cycle.id, kind=ConsolidationKind.ITEM),
    )
    return _attachment(content, XLSX, f"inventory-{cycle.year}.xlsx")


@review_router.get(
    "/{cycle_id}/inventory/{kind}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def inventory_table(
    _account: WorkingGroup, cycle: OwnCycle, kind: KindPath, session: DB
) -> Response:
    """The consolidated systems or items as CSV (portal's audit-results columns for items)."""
    content = inventory_csv(
        kind, consolidate(session, cycle_id=cycle.id, kind=CONSOLIDATION_KINDS[kind])
    )
    return _attachment(content, "text/csv; charset=utf-8", f"inventory-{kind}-{cycle.year}.csv")
