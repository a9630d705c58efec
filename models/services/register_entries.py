"""Keeping the dataset register by hand: add, edit and retire entries, pick them from the
Resolution 835 catalogue, import a file; each step recorded in the cycle's audit trail."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.actor import Actor
from models.cycle import AuditCycle
from models.errors import Invalid, NotFound
from models.organization import Official, Unit
from models.periodicity import PeriodicityError, parse_periodicity, split_note
from models.register import RegisterEntry, RegisterSource
from models.register_catalogue import CatalogueDataset, catalogue, catalogue_dataset
from models.schemas import OfficialRef
from models.services.cycles import get_cycle
from models.services.events import record_cycle_event
from models.services.organizations import get_or_create_official
from models.services.register import (
    import_register,
    read_register_table,
    rows_to_entries,
    set_officials,
)

MAX_NAME = 2000
MAX_LEGAL_BASIS = 5000

# The audit trail's kinds of the register's events, as the journal names them in Ukrainian.
REGISTER_EVENT_LABELS = {
    "register.entry_added": "Реєстр: додано набір даних",
    "register.entry_updated": "Реєстр: змінено набір даних",
    "register.entry_retired": "Реєстр: набір даних вилучено",
    "register.catalogue_added": "Реєстр: додано набори з переліку Постанови 835",
    "register.imported": "Реєстр: імпортовано з файлу",
    "register.proposal_accepted": "Реєстр: пропозицію підрозділу прийнято",
    "register.proposal_rejected": "Реєстр: пропозицію підрозділу відхилено",
}


@dataclass(frozen=True)
class EntryInput:
    """A register entry as the working group writes it."""

    name: str
    periodicity: str
    unit_ids: list[int] = field(default_factory=list)
    officials: list[OfficialRef] = field(default_factory=list)  # in the register's order
    source: RegisterSource = RegisterSource.LOCAL
    legal_basis: str = ""


def _event(
    session: Session, cycle: AuditCycle, action: str, actor: Actor, now: datetime, **details: object
) -> None:
    record_cycle_event(
        session,
        cycle_id=cycle.id,
        action=action,
        at=now,
        actor=actor,
        details={"подія": REGISTER_EVENT_LABELS[action], **details},
    )


def get_entry(session: Session, *, organization_id: int, entry_id: int) -> RegisterEntry:
    """An entry of this organization with its units and officials (404 otherwise)."""
    entry = session.scalar(
        select(RegisterEntry)
        .where(RegisterEntry.id == entry_id, RegisterEntry.organization_id == organization_id)
        .options(selectinload(RegisterEntry.units), selectinload(RegisterEntry.officials))
    )
    if entry is None:
        raise NotFound("Запис реєстру не знайдено.")
    return entry


def next_number(session: Session, *, organization_id: int) -> int:
    """The number after the register's last (retired numbers are not reused)."""
    last = session.scalar(
        select(func.max(RegisterEntry.number)).where(
            RegisterEntry.organization_id == organization_id
        )
    )
    return (last or 0) + 1


def _checked(session: Session, organization_id: int, data: EntryInput) -> tuple[Unit, ...]:
    """The input's units, after checking its name and periodicity (422 naming the field)."""
    name = " ".join(data.name.split())
    if not name:
        raise Invalid("Вкажіть найменування набору даних.", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"Найменування: не більше {MAX_NAME} символів.", field="name")
    if len(data.legal_basis) > MAX_LEGAL_BASIS:
        raise Invalid(f"Підстава: не більше {MAX_LEGAL_BASIS} символів.", field="legal_basis")
    phrase, _note = split_note(data.periodicity)
    if not phrase:
        raise Invalid("Вкажіть періодичність оприлюднення.", field="periodicity")
    try:
        parse_periodicity(phrase)
    except PeriodicityError as exc:
        raise Invalid(
            f"{exc} Напишіть, наприклад, «щомісяця», «щокварталу», «щороку», «у разі змін» "
            "або «в міру оновлення».",
            field="periodicity",
        ) from exc
    if not data.unit_ids:
        raise Invalid("Оберіть хоча б один підрозділ – розпорядник інформації.", field="units")
    units = {
        u.id: u
        for u in session.scalars(
            select(Unit).where(Unit.organization_id == organization_id, Unit.id.in_(data.unit_ids))
        )
    }
    if len(units) != len(set(data.unit_ids)):
        raise Invalid("Оберіть підрозділи зі списку.", field="units")
    return tuple(units[i] for i in dict.fromkeys(data.unit_ids))


def _officials(
    session: Session, organization_id: int, refs: list[OfficialRef], units: tuple[Unit, ...]
) -> list[Official]:
    return [
        get_or_create_official(
            session,
            organization_id=organization_id,
            full_name=ref.full_name,
            position=ref.position,
            email=ref.email,
            unit_id=units[0].id if units else None,
        )
        for ref in refs
    ]


def _fill(
    session: Session, entry: RegisterEntry, data: EntryInput, units: tuple[Unit, ...]
) -> None:
    phrase, note = split_note(data.periodicity)
    entry.name = " ".join(data.name.split())
    entry.periodicity = parse_periodicity(phrase)
    entry.periodicity_note = note
    entry.source = data.source
    entry.legal_basis = data.legal_basis.strip()
    entry.units = list(units)
    session.flush()
    set_officials(session, entry, _officials(session, entry.organization_id, data.officials, units))


def add_entry(
    session: Session,
    *,
    cycle_id: int,
    data: EntryInput,
    actor: Actor,
    now: datetime,
    catalogue_code: str | None = None,
) -> RegisterEntry:
    """Add an entry at the end of the register."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    units = _checked(session, cycle.organization_id, data)
    entry = RegisterEntry(
        organization_id=cycle.organization_id,
        number=next_number(session, organization_id=cycle.organization_id),
        name="",
        catalogue_code=catalogue_code,
    )
    session.add(entry)
    _fill(session, entry, data, units)
    _event(session, cycle, "register.entry_added", actor, now, номер=entry.number, набір=entry.name)
    return entry


def update_entry(
    session: Session, *, cycle_id: int, entry_id: int, data: EntryInput, actor: Actor, now: datetime
) -> RegisterEntry:
    """Change an entry's name, units, officials, periodicity, source or legal basis."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    entry = get_entry(session, organization_id=cycle.organization_id, entry_id=entry_id)
    if entry.retired_at is not None:
        raise Invalid("Вилучений запис реєстру не змінюють.", field="name")
    units = _checked(session, cycle.organization_id, data)
    _fill(session, entry, data, units)
    _event(
        session, cycle, "register.entry_updated", actor, now, номер=entry.number, набір=entry.name
    )
    return entry


def retire_entry(
    session: Session, *, cycle_id: int, entry_id: int, actor: Actor, now: datetime
) -> RegisterEntry:
    """Retire an entry: it leaves Annex 1 and the analysis, its number is not reused."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    entry = get_entry(session, organization_id=cycle.organization_id, entry_id=entry_id)
    if entry.retired_at is not None:
        raise Invalid("Цей запис реєстру вже вилучено.", field="entry")
    entry.retired_at = now
    session.flush()
    _event(
        session, cycle, "register.entry_retired", actor, now, номер=entry.number, набір=entry.name
    )
    return entry


def _key(name: str) -> str:
    return " ".join(name.casefold().replace("'", "’").split())


def present_codes(session: Session, *, organization_id: int) -> set[str]:
    """The catalogue codes the register's entries in force cover: picked from the catalogue,
    or (imported, typed) named exactly as a catalogue dataset."""
    rows = session.execute(
        select(RegisterEntry.catalogue_code, RegisterEntry.name).where(
            RegisterEntry.organization_id == organization_id,
            RegisterEntry.retired_at.is_(None),
        )
    ).tuples()
    codes, names = set(), set()
    for code, name in rows:
        if code:
            codes.add(code)
        names.add(_key(name))
    return codes | {d.code for d in catalogue() if _key(d.title) in names}


def add_from_catalogue(
    session: Session,
    *,
    cycle_id: int,
    codes: list[str],
    actor: Actor,
    now: datetime,
    unit_ids: list[int] | None = None,
) -> list[RegisterEntry]:
    """Add the picked catalogue datasets with their recommended periodicity; one already in
    the register is not added twice."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    if not codes:
        raise Invalid("Позначте хоча б один набір даних із переліку.", field="codes")
    picked: list[CatalogueDataset] = []
    for code in dict.fromkeys(codes):
        dataset = catalogue_dataset(code)
        if dataset is None:
            raise Invalid(f"Невідомий набір переліку: «{code}».", field="codes")
        picked.append(dataset)
    present = present_codes(session, organization_id=cycle.organization_id)
    fresh = [d for d in picked if d.code not in present]
    if not fresh:
        raise Invalid("Позначені набори вже є в реєстрі.", field="codes")
    entries = []
    for dataset in fresh:
        data = EntryInput(
            name=dataset.title,
            periodicity=dataset.periodicity,
            unit_ids=unit_ids or [],
            source=dataset.source,
            legal_basis="Постанова Кабінету Міністрів України від 21.10.2015 № 835",
        )
        units = _checked(session, cycle.organization_id, data)
        entry = RegisterEntry(
            organization_id=cycle.organization_id,
            number=next_number(session, organization_id=cycle.organization_id),
            name="",
            catalogue_code=dataset.code,
        )
        session.add(entry)
        _fill(session, entry, data, units)
        entries.append(entry)
    _event(
        session,
        cycle,
        "register.catalogue_added",
        actor,
        now,
        номери=[e.number for e in entries],
        кількість=len(entries),
    )
    return entries


def catalogue_rows(
    session: Session, *, organization_id: int
) -> list[tuple[CatalogueDataset, bool]]:
    """Every catalogue dataset and whether the register already has it."""
    present = present_codes(session, organization_id=organization_id)
    return [(d, d.code in present) for d in catalogue()]


def import_register_file(
    session: Session,
    *,
    cycle_id: int,
    data: bytes,
    file_format: str,
    replace: bool,
    actor: Actor,
    now: datetime,
) -> list[RegisterEntry]:
    """Import the register from a CSV or XLSX file in the shape of Annex 1: every row or none
    (a bad row is a 422 naming it)."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    if not data:
        raise Invalid("Файл порожній.", field="file")
    table = read_register_table(data, file_format=file_format)
    entries = import_register(
        session,
        organization_id=cycle.organization_id,
        rows=rows_to_entries(table),
        replace=replace,
    )
    _event(
        session,
        cycle,
        "register.imported",
        actor,
        now,
        додано=len(entries),
        замінено="так" if replace else "ні",
    )
    return entries
