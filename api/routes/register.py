"""The register's import/export and what is published: matches, manual entries, the analysis
(the portal and its snapshots: api/routes/portal.py)."""

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from api.deps import (
    DB,
    Coordinator,
    CurrentActor,
    Now,
    OwnOrganization,
    RawBody,
    WorkingGroup,
    require_roles,
)
from api.schemas import RegisterImportRead
from models.account import Account, Role
from models.bounds import trimmed
from models.clock import local_date
from models.errors import Invalid
from models.plan import Strict
from models.publication import PublicationState
from models.schemas import ShortText, Url
from models.services.analysis import analyse_publication
from models.services.analysis_context import entry_state_context, publication_context
from models.services.match_review import remove_match
from models.services.publication import add_manual_publication, confirm_match
from models.services.register import (
    PORTAL_REGISTER_FIELDS,
    annex1_rows,
    annex1_table,
    list_register,
    portal_register_rows,
    read_register_table,
    table_of,
    to_csv,
    to_xlsx,
)
from models.services.register_import import import_register_table

router = APIRouter(prefix="/api/organizations/{organization_id}", tags=["реєстр наборів даних"])

Auditing = Annotated[Account, require_roles(Role.COORDINATOR, Role.AUDITOR)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024


class MatchUpdate(Strict):
    """The portal dataset an auditor ties to a register entry."""

    portal_id: Annotated[str, trimmed(min_length=1, max_length=100)]


class ManualPublicationCreate(Strict):
    """An auditor's record of an entry's publication state."""

    state: PublicationState
    observed_on: date | None = None  # the request's date when absent
    last_updated_on: date | None = None
    formats: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]] = Field(
        default_factory=list, max_length=20
    )
    url: Url | None = None
    source_changed_on: date | None = None
    note: ShortText = ""


class MatchRead(BaseModel):
    """A register entry's portal dataset and how it was matched."""

    number: int
    portal_id: str
    method: str


class PublicationRecordRead(BaseModel):
    """A recorded publication state."""

    id: int
    number: int
    state: str


class SummaryRead(BaseModel):
    """Counts over a unit's (or the whole register's) entries, and the rating."""

    name: str
    rank: int | None
    required: int
    published: int
    private: int
    moderation: int
    overdue: int
    not_machine_readable: int
    meeting_all: int
    percent_published: float
    share_meeting_all: float
    score: float


class PreviousRead(BaseModel):
    """The previous cycle's totals, to compare with."""

    label: str | None
    totals: SummaryRead


class EntryStateRead(BaseModel):
    """One register entry's publication state (dates as ISO text)."""

    number: int
    name: str
    units: list[str]
    periodicity: str
    source: str
    due_on: str | None
    code: str
    label: str
    timeliness: str
    overdue_days: int
    last_updated: str | None
    machine_readable: bool | None
    meets_all: bool


class AnalysisRead(BaseModel):
    """The publication analysis as the report's "publication" key, with every entry."""

    as_of: str
    snapshot_taken_at: str | None
    units: list[SummaryRead]
    totals: SummaryRead
    target: float
    meets_target: bool
    previous: PreviousRead | None
    entries: list[EntryStateRead]


@router.post(
    "/register/import",
    status_code=201,
    response_model=RegisterImportRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string", "minLength": 1}},
                XLSX: {"schema": {"type": "string", "format": "binary", "minLength": 1}},
            },
        }
    },
)
def import_file(
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    data: RawBody,
    session: DB,
    now: Now,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    replace: bool = False,
) -> RegisterImportRead:
    """Import the register from CSV or XLSX in the shape of Annex 1 (the body is the file).

    With `replace=true` the register is replaced (its matches and manual records go with it);
    otherwise rows are added. Either every row is taken or none.
    """
    if not data:
        raise Invalid("Файл порожній.", field="file")
    if len(data) > MAX_UPLOAD:
        raise Invalid("Файл завеликий (не більше 5 МБ).", field="file")
    table = read_register_table(data, file_format=file_format)
    entries = import_register_table(
        session,
        organization_id=organization.id,
        table=table,
        replace=replace,
        actor=actor,
        now=now,
    )
    return RegisterImportRead(added=len(entries))


@router.get(
    "/register/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}, "application/json": {}}}},
)
def export(
    _account: WorkingGroup,
    organization: OwnOrganization,
    session: DB,
    now: Now,
    file_format: Annotated[Literal["csv", "xlsx", "json"], Query(alias="format")] = "csv",
    shape: Literal["annex1", "portal"] = "annex1",
) -> Response:
    """The register as CSV, XLSX or JSON: Annex 1, or the portal's "register of datasets"."""
    entries = list_register(session, organization_id=organization.id)
    if shape == "portal":
        analysis = analyse_publication(session, organization_id=organization.id, as_of=now)
        formats = {e.number: ", ".join(sorted(set(e.formats))) for e in analysis.entries}
        rows: list[Any] = portal_register_rows(
            entries,
            publisher_name=organization.name,
            publisher_id=organization.edrpou or "",
            formats=formats,
        )
        table = table_of(rows, PORTAL_REGISTER_FIELDS)
    else:
        rows = annex1_rows(entries)
        table = annex1_table(entries)
    name = f"register-{shape}"
    if file_format == "json":
        body = json.dumps(rows, ensure_ascii=False, indent=2).encode()
        media = "application/json"
    elif file_format == "xlsx":
        body, media = to_xlsx(table, sheet="Реєстр наборів даних"), XLSX
    else:
        body, media = to_csv(table), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )


@router.put("/register/{number}/match", response_model=MatchRead)
def confirm(
    _account: Auditing,
    organization: OwnOrganization,
    actor: CurrentActor,
    number: int,
    body: MatchUpdate,
    session: DB,
    now: Now,
) -> MatchRead:
    """Confirm (or set) the portal dataset of a register entry."""
    match = confirm_match(
        session,
        organization_id=organization.id,
        number=number,
        portal_id=body.portal_id,
        actor=actor,
        now=now,
    )
    return MatchRead(number=number, portal_id=match.portal_id, method=match.method.value)


@router.delete("/register/{number}/match", status_code=204, response_class=Response)
def unmatch(
    _account: Auditing,
    organization: OwnOrganization,
    actor: CurrentActor,
    number: int,
    session: DB,
    now: Now,
) -> Response:
    """Remove a wrong match; the pair is not proposed again."""
    remove_match(session, organization_id=organization.id, number=number, actor=actor, now=now)
    return Response(status_code=204)


@router.post(
    "/register/{number}/publication", status_code=201, response_model=PublicationRecordRead
)
def record_publication(
    _account: Auditing,
    organization: OwnOrganization,
    actor: CurrentActor,
    number: int,
    body: ManualPublicationCreate,
    session: DB,
    now: Now,
) -> PublicationRecordRead:
    """Record an entry's state by hand (a holder not on a portal, or a correction)."""
    record = add_manual_publication(
        session,
        organization_id=organization.id,
        number=number,
        observed_on=body.observed_on or local_date(now),
        state=body.state,
        last_updated_on=body.last_updated_on,
        formats=", ".join(body.formats),
        url=body.url,
        source_changed_on=body.source_changed_on,
        note=body.note,
        actor=actor,
    )
    return PublicationRecordRead(id=record.id, number=number, state=record.state.value)


@router.get("/publication/analysis", response_model=AnalysisRead)
def analysis(
    _account: WorkingGroup,
    organization: OwnOrganization,
    session: DB,
    now: Now,
    as_of: date | None = None,
) -> AnalysisRead:
    """Per entry and per unit: published, private, overdue, machine-readable; the rating."""
    moment = now if as_of is None else datetime.combine(as_of, now.timetz())
    result = analyse_publication(session, organization_id=organization.id, as_of=moment)
    context = publication_context(result)
    context["as_of"] = str(context["as_of"])
    if context["snapshot_taken_at"] is not None:
        context["snapshot_taken_at"] = context["snapshot_taken_at"].isoformat()
    context["entries"] = [
        {
            "number": e.number,
            "name": e.name,
            "units": list(e.units),
            "periodicity": e.periodicity,
            "source": e.source,
            "due_on": str(e.due_on) if e.due_on else None,
            **{
                k: (str(v) if isinstance(v, date) else v) for k, v in entry_state_context(e).items()
            },
        }
        for e in result.entries
    ]
    return AnalysisRead.model_validate(context)
