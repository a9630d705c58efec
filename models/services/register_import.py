"""The API's register imports (a JSON list of rows, or a CSV/XLSX file): bounded, every row or
none, and recorded in the audit trail when taken (a refused import leaves no trace: nothing
changed, and the caller has the reason)."""

from datetime import datetime

from sqlalchemy.orm import Session

from models.actor import Actor
from models.register import RegisterEntry
from models.schemas import RegisterEntryCreate
from models.services.events import record_event
from models.services.register import add_register_entries, import_register, rows_to_entries
from models.tabular import check_import_rows


def _imported(
    session: Session, organization_id: int, added: int, replace: bool, actor: Actor, now: datetime
) -> None:
    record_event(
        session,
        organization_id=organization_id,
        action="register.imported",
        at=now,
        actor=actor,
        details={"додано": added, "замінено": "так" if replace else "ні"},
    )


def import_register_rows(
    session: Session,
    *,
    organization_id: int,
    rows: list[RegisterEntryCreate],
    actor: Actor,
    now: datetime,
) -> list[RegisterEntry]:
    """Add register rows given as JSON: a bad row is a 422 naming it, and then none is added."""
    check_import_rows(len(rows))
    entries = add_register_entries(session, organization_id=organization_id, rows=rows)
    _imported(session, organization_id, len(entries), False, actor, now)
    return entries


def import_register_table(
    session: Session,
    *,
    organization_id: int,
    table: list[list[str]],
    replace: bool,
    actor: Actor,
    now: datetime,
) -> list[RegisterEntry]:
    """Import (or, with replace, replace) the register from a table in Annex 1's shape."""
    check_import_rows(len(table) - 1)
    entries = import_register(
        session, organization_id=organization_id, rows=rows_to_entries(table), replace=replace
    )
    _imported(session, organization_id, len(entries), replace, actor, now)
    return entries
