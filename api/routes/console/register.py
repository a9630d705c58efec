"""The dataset register (Annex 1) in the console: the entries, adding, editing and retiring
one, picking from the Resolution 835 catalogue, the staff's proposals, import and export.

The register is the organization's; its page hangs off a cycle, whose audit trail records
each change.
"""

import re

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.deps import DB, BrowserForm, Now
from api.routes.console.common import done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleWorkingGroup,
    console_router,
)
from models.account import EDITOR_ROLES, Account
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid
from models.organization import Unit
from models.register import SOURCE_LABELS, RegisterSource
from models.schemas import OfficialRef
from models.services.register import list_register, official_label
from models.services.register_entries import (
    EntryInput,
    add_entry,
    add_from_catalogue,
    catalogue_rows,
    get_entry,
    import_register_file,
    retire_entry,
    update_entry,
)
from models.services.register_proposals import (
    accept_proposal,
    list_proposals,
    reject_proposal,
)
from models.validation import error_message

router = console_router()
MAX_UPLOAD = 5 * 1024 * 1024
# Offered beside the periodicity field; any phrase models/periodicity.py reads is taken.
PERIODICITY_HINTS = (
    "щодня",
    "щотижня",
    "щомісяця",
    "щокварталу",
    "щопівроку",
    "щороку",
    "у разі змін",
    "в міру оновлення",
    "щороку та у разі змін",
    "щокварталу протягом 30 днів після закінчення звітного кварталу",
    "позапланово (протягом п’яти робочих днів з моменту внесення змін)",
)
_EMAIL = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]+\.[^\s,;<>()]+")
_DASH = re.compile(r"\s+[–—-]\s+|\s*,\s*")


def parse_officials(text: str) -> list[OfficialRef]:
    """One official a line, «ПІБ – посада» with an optional e-mail; the order is kept."""
    refs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        email_match = _EMAIL.search(line)
        email = email_match.group(0) if email_match else None
        if email_match:
            line = (line[: email_match.start()] + line[email_match.end() :]).strip(" ,–—-")
        parts = _DASH.split(line, maxsplit=1)
        name, position = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
        try:
            refs.append(OfficialRef(full_name=name, position=position, email=email))
        except ValidationError as exc:
            raise Invalid(
                f"Відповідальні особи, рядок {number}: {error_message(exc.errors()[0])}.",
                field="officials",
            ) from exc
    return refs


def _unit_ids(form: FormData) -> list[int]:
    return [int(v) for v in (str(x) for x in form.getlist("unit_ids")) if v.isdigit()]


def _values(form: FormData) -> dict[str, str]:
    values = {
        key: str(form.get(key) or "")
        for key in ("name", "periodicity", "officials", "source", "legal_basis")
    }
    values["unit_ids"] = ",".join(str(i) for i in _unit_ids(form))
    return values


def _entry_input(form: FormData) -> EntryInput:
    values = _values(form)
    try:
        source = RegisterSource(values["source"] or RegisterSource.LOCAL.value)
    except ValueError as exc:
        raise Invalid("Оберіть джерело зі списку.", field="source") from exc
    return EntryInput(
        name=values["name"],
        periodicity=values["periodicity"],
        unit_ids=_unit_ids(form),
        officials=parse_officials(values["officials"]),
        source=source,
        legal_basis=values["legal_basis"],
    )


def _register(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    entries = list_register(session, organization_id=cycle.organization_id, include_retired=True)
    units = session.scalars(
        select(Unit).where(Unit.organization_id == cycle.organization_id).order_by(Unit.name)
    ).all()
    catalogue = catalogue_rows(session, organization_id=cycle.organization_id)
    return page(
        request,
        session,
        account,
        "console/register.html",
        {
            "cycle": cycle,
            "entries": [
                {
                    "entry": e,
                    "officials": [official_label(o) for o in e.officials],
                    "periodicity": e.periodicity.to_ukrainian()
                    + (f"; {e.periodicity_note}" if e.periodicity_note else ""),
                    "source": SOURCE_LABELS[e.source],
                }
                for e in entries
            ],
            "active": sum(1 for e in entries if e.retired_at is None),
            "units": units,
            "sources": SOURCE_LABELS,
            "hints": PERIODICITY_HINTS,
            "catalogue": {
                source: [row for row in catalogue if row[0].source == source]
                for source in (RegisterSource.ALL_HOLDERS, RegisterSource.LOCAL_GOVERNMENT)
            },
            "proposals": list_proposals(session, cycle_id=cycle.id),
            "can_edit": account.role in EDITOR_ROLES,
            "error": error or {},
            "values": values or {},
        },
        status_code,
    )


def _url(cycle: AuditCycle, anchor: str = "") -> str:
    return f"/console/cycles/{cycle.id}/register" + (f"#{anchor}" if anchor else "")


@router.get("/console/cycles/{cycle_id}/register")
def register_page(
    request: Request, session: DB, account: ConsoleWorkingGroup, cycle: ConsoleCycle
) -> Response:
    """The register's entries and the ways to fill it."""
    return _register(request, session, account, cycle)


@router.post("/console/cycles/{cycle_id}/register")
def create(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Add an entry at the end of the register."""
    try:
        entry = add_entry(session, cycle_id=cycle.id, data=_entry_input(form), actor=actor, now=now)
    except DomainError as exc:
        return refused(_register, request, session, account, cycle, "add", exc, _values(form))
    return done(request, _url(cycle, "entries"), f"Набір № {entry.number} додано до реєстру.")


@router.post("/console/cycles/{cycle_id}/register/catalogue")
def pick(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Add the datasets ticked in the Resolution 835 catalogue."""
    try:
        entries = add_from_catalogue(
            session,
            cycle_id=cycle.id,
            codes=[str(c) for c in form.getlist("codes")][:200],
            unit_ids=_unit_ids(form),
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        return refused(_register, request, session, account, cycle, "catalogue", exc, {})
    return done(
        request,
        _url(cycle, "entries"),
        f"Додано наборів із переліку Постанови 835: {len(entries)}.",
    )


@router.post("/console/cycles/{cycle_id}/register/import")
def import_file(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Import the register from CSV or XLSX: every row or none."""
    upload = form.get("file")
    replace = form.get("replace") == "yes"
    values = {"replace": "yes" if replace else ""}
    try:
        if not isinstance(upload, StarletteUploadFile) or not upload.filename:
            raise Invalid("Оберіть файл CSV або XLSX.", field="file")
        content = upload.file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            raise Invalid("Файл завеликий (не більше 5 МБ).", field="file")
        file_format = "xlsx" if upload.filename.lower().endswith(".xlsx") else "csv"
        entries = import_register_file(
            session,
            cycle_id=cycle.id,
            data=content,
            file_format=file_format,
            replace=replace,
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        return refused(_register, request, session, account, cycle, "import", exc, values)
    return done(request, _url(cycle, "entries"), f"Імпортовано записів реєстру: {len(entries)}.")


@router.post("/console/cycles/{cycle_id}/register/proposals/{item_id}")
def decide(
    item_id: int,
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Accept a staff proposal (a register entry is made) or reject it (recorded)."""
    name = f"proposal-{item_id}"
    values = {"periodicity": str(form.get("periodicity") or ""), "item": str(item_id)}
    try:
        if form.get("decision") == "reject":
            reject_proposal(session, cycle_id=cycle.id, item_id=item_id, actor=actor, now=now)
            return done(request, _url(cycle, "proposals"), "Пропозицію відхилено.")
        entry = accept_proposal(
            session,
            cycle_id=cycle.id,
            item_id=item_id,
            periodicity=values["periodicity"],
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        return refused(_register, request, session, account, cycle, name, exc, values)
    return done(
        request, _url(cycle, "entries"), f"Пропозицію прийнято: набір № {entry.number} у реєстрі."
    )


def _edit_page(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    entry_id: int,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    entry = get_entry(session, organization_id=cycle.organization_id, entry_id=entry_id)
    current = {
        "name": entry.name,
        "periodicity": entry.periodicity.to_ukrainian()
        + (f"; {entry.periodicity_note}" if entry.periodicity_note else ""),
        "officials": "\n".join(
            official_label(o) + (f", {o.email}" if o.email else "") for o in entry.officials
        ),
        "source": entry.source.value,
        "legal_basis": entry.legal_basis,
        "unit_ids": ",".join(str(u.id) for u in entry.units),
    }
    units = session.scalars(
        select(Unit).where(Unit.organization_id == cycle.organization_id).order_by(Unit.name)
    ).all()
    return page(
        request,
        session,
        account,
        "console/register_entry.html",
        {
            "cycle": cycle,
            "entry": entry,
            "units": units,
            "sources": SOURCE_LABELS,
            "hints": PERIODICITY_HINTS,
            "error": error or {},
            "values": values if values is not None else current,
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/register/{entry_id}")
def entry_page(
    entry_id: int, request: Request, session: DB, account: ConsoleEditor, cycle: ConsoleCycle
) -> Response:
    """One entry's form, to edit or retire it."""
    return _edit_page(request, session, account, cycle, entry_id)


@router.post("/console/cycles/{cycle_id}/register/{entry_id}")
def edit(
    entry_id: int,
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Save an entry's changes."""
    try:
        entry = update_entry(
            session,
            cycle_id=cycle.id,
            entry_id=entry_id,
            data=_entry_input(form),
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        session.rollback()
        error = {"form": "edit", "message": exc.message, "field": exc.field or ""}
        return _edit_page(
            request,
            session,
            account,
            cycle,
            entry_id,
            error=error,
            values=_values(form),
            status_code=exc.status_code,
        )
    return done(request, _url(cycle, f"entry-{entry.id}"), f"Набір № {entry.number} збережено.")


@router.post("/console/cycles/{cycle_id}/register/{entry_id}/retire")
def retire(
    entry_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Retire an entry (it leaves Annex 1; its number is not reused)."""
    try:
        entry = retire_entry(session, cycle_id=cycle.id, entry_id=entry_id, actor=actor, now=now)
    except DomainError as exc:
        return refused(_register, request, session, account, cycle, "entries", exc, {})
    return done(request, _url(cycle, "entries"), f"Набір № {entry.number} вилучено з реєстру.")
