"""The register's import/export and what is published: snapshots, matches, manual entries."""

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from api.deps import DB, AppSettings, Coordinator, Now, RawBody, Reader, actor_of, require_roles
from flows.monitoring import take_snapshot
from models.account import Account, Role
from models.clock import local_date
from models.errors import Invalid, NotFound
from models.plan import Strict
from models.publication import PublicationState
from models.schemas import ShortText, Url
from models.services.analysis import (
    analyse_publication,
    entry_state_context,
    publication_context,
)
from models.services.organizations import get_organization
from models.services.publication import (
    add_manual_publication,
    confirm_match,
    list_snapshots,
    remove_match,
    set_portal_source,
)
from models.services.register import (
    PORTAL_REGISTER_FIELDS,
    annex1_rows,
    annex1_table,
    import_register,
    list_register,
    portal_register_rows,
    read_register_table,
    rows_to_entries,
    table_of,
    to_csv,
    to_xlsx,
)

router = APIRouter(prefix="/api/organizations/{organization_id}", tags=["реєстр наборів даних"])

Auditing = Annotated[Account, require_roles(Role.COORDINATOR, Role.AUDITOR)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024


def _own(account: Account, organization_id: int) -> None:
    # Another organization's data is "not found": its existence is not told.
    if account.organization_id != organization_id:
        raise NotFound("Організацію не знайдено.")


class PortalSourceUpdate(Strict):
    """Where the holder publishes."""

    portal_url: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$")]
    portal_organization: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]


class MatchConfirm(Strict):
    """The portal dataset an auditor ties to a register entry."""

    portal_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


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


class ImportRead(BaseModel):
    """How many rows an import added."""

    added: int


@router.post("/register/import", status_code=201, response_model=ImportRead)
def import_file(
    organization_id: int,
    data: RawBody,
    session: DB,
    account: Coordinator,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    replace: bool = False,
) -> ImportRead:
    """Import the register from CSV or XLSX in the shape of Annex 1 (the body is the file).

    With `replace=true` the register is replaced (its matches and manual records go with it);
    otherwise rows are added. Either every row is taken or none.
    """
    _own(account, organization_id)
    if not data:
        raise Invalid("Файл порожній.", field="file")
    if len(data) > MAX_UPLOAD:
        raise Invalid("Файл завеликий (не більше 5 МБ).", field="file")
    table = read_register_table(data, file_format=file_format)
    entries = import_register(
        session, organization_id=organization_id, rows=rows_to_entries(table), replace=replace
    )
    return ImportRead(added=len(entries))


@router.get("/register/export")
def export(
    organization_id: int,
    session: DB,
    now: Now,
    account: Reader,
    file_format: Annotated[Literal["csv", "xlsx", "json"], Query(alias="format")] = "csv",
    shape: Literal["annex1", "portal"] = "annex1",
) -> Response:
    """The register as CSV, XLSX or JSON: Annex 1, or the portal's "register of datasets"."""
    _own(account, organization_id)
    organization = get_organization(session, organization_id=organization_id)
    entries = list_register(session, organization_id=organization_id)
    if shape == "portal":
        analysis = analyse_publication(session, organization_id=organization_id, as_of=now)
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


@router.put("/portal")
def set_portal(
    organization_id: int, body: PortalSourceUpdate, session: DB, account: Coordinator
) -> dict[str, str]:
    """Say on which CKAN portal and under which organization the holder publishes."""
    _own(account, organization_id)
    source = set_portal_source(
        session,
        organization_id=organization_id,
        portal_url=body.portal_url,
        portal_organization=body.portal_organization,
    )
    return {"portal_url": source.portal_url, "portal_organization": source.portal_organization}


@router.post("/portal/snapshots", status_code=202)
def request_snapshot(
    organization_id: int,
    background: BackgroundTasks,
    now: Now,
    account: Auditing,
    settings: AppSettings,
) -> dict[str, str]:
    """Take a portal snapshot in the background; its result shows in the list of snapshots."""
    _own(account, organization_id)
    token = settings.portal_token or None
    background.add_task(take_snapshot, organization_id, now=now, token=token)
    return {"message": "Знімок порталу розпочато; результат — у переліку знімків."}


@router.get("/portal/snapshots")
def snapshots(organization_id: int, session: DB, account: Reader) -> list[dict[str, Any]]:
    """Every snapshot attempt, newest first, with the error of a failed one."""
    _own(account, organization_id)
    return [
        {
            "id": s.id,
            "taken_at": s.taken_at.isoformat(),
            "status": s.status.value,
            "error": s.error,
            "datasets": s.dataset_count,
            "private_included": s.private_included,
        }
        for s in list_snapshots(session, organization_id=organization_id)
    ]


@router.put("/register/{number}/match")
def confirm(
    organization_id: int, number: int, body: MatchConfirm, session: DB, now: Now, account: Auditing
) -> dict[str, Any]:
    """Confirm (or set) the portal dataset of a register entry."""
    _own(account, organization_id)
    match = confirm_match(
        session,
        organization_id=organization_id,
        number=number,
        portal_id=body.portal_id,
        actor=actor_of(account),
        now=now,
    )
    return {"number": number, "portal_id": match.portal_id, "method": match.method.value}


@router.delete("/register/{number}/match", status_code=204)
def unmatch(organization_id: int, number: int, session: DB, account: Auditing) -> Response:
    """Remove a wrong match."""
    _own(account, organization_id)
    remove_match(session, organization_id=organization_id, number=number)
    return Response(status_code=204)


@router.post("/register/{number}/publication", status_code=201)
def record_publication(
    organization_id: int,
    number: int,
    body: ManualPublicationCreate,
    session: DB,
    now: Now,
    account: Auditing,
) -> dict[str, Any]:
    """Record an entry's state by hand (a holder not on a portal, or a correction)."""
    _own(account, organization_id)
    record = add_manual_publication(
        session,
        organization_id=organization_id,
        number=number,
        observed_on=body.observed_on or local_date(now),
        state=body.state,
        last_updated_on=body.last_updated_on,
        formats=", ".join(body.formats),
        url=body.url,
        source_changed_on=body.source_changed_on,
        note=body.note,
        actor=actor_of(account),
    )
    return {"id": record.id, "number": number, "state": record.state.value}


@router.get("/publication/analysis")
def analysis(
    organization_id: int, session: DB, now: Now, account: Reader, as_of: date | None = None
) -> dict[str, Any]:
    """Per entry and per unit: published, private, overdue, machine-readable; the rating."""
    _own(account, organization_id)
    moment = now if as_of is None else datetime.combine(as_of, now.timetz())
    result = analyse_publication(session, organization_id=organization_id, as_of=moment)
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
    return context
