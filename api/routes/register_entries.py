"""The register kept by hand through the API, as the console keeps it: list, add, edit, retire
an entry, pick from the Resolution 835 catalogue, decide on the staff's proposals."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from api.deps import DB, CurrentActor, Editor, Now, OwnCycle, WorkingGroup
from models.bounds import trimmed
from models.plan import Strict
from models.register import SOURCE_LABELS, RegisterEntry, RegisterSource
from models.schemas import LongText, OfficialRef
from models.services.register import list_register, official_label
from models.services.register_entries import (
    EntryInput,
    add_entry,
    add_from_catalogue,
    catalogue_rows,
    retire_entry,
    update_entry,
)
from models.services.register_proposals import (
    accept_proposal,
    list_proposals,
    reject_proposal,
)

router = APIRouter(prefix="/api/cycles/{cycle_id}/register", tags=["реєстр наборів даних"])

Periodicity = Annotated[str, trimmed(min_length=1, max_length=500)]


class EntryWrite(Strict):
    """A register entry as the working group writes it (units by id, officials in order)."""

    name: Annotated[str, trimmed(min_length=1, max_length=2000)]
    periodicity: Periodicity
    unit_ids: list[int] = Field(default_factory=list, max_length=100)
    officials: list[OfficialRef] = Field(default_factory=list, max_length=50)
    source: RegisterSource = RegisterSource.LOCAL
    legal_basis: LongText = ""

    def to_input(self) -> EntryInput:
        """The service's input."""
        return EntryInput(
            name=self.name,
            periodicity=self.periodicity,
            unit_ids=self.unit_ids,
            officials=self.officials,
            source=self.source,
            legal_basis=self.legal_basis,
        )


class CataloguePick(Strict):
    """Catalogue datasets to add, optionally with their unit."""

    codes: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        min_length=1, max_length=200
    )
    unit_ids: list[int] = Field(default_factory=list, max_length=100)


class ProposalAccept(Strict):
    """The periodicity (and, optionally, another name and the officials) of the new entry."""

    periodicity: Periodicity
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    officials: list[OfficialRef] = Field(default_factory=list, max_length=50)


class EntryRead(BaseModel):
    """A register entry with its state."""

    id: int
    number: int
    name: str
    periodicity: str
    officials: list[str]
    units: list[str]
    source: str
    source_label: str
    catalogue_code: str | None
    retired_at: datetime | None


class CatalogueRead(BaseModel):
    """A catalogue dataset and whether the register has it."""

    code: str
    title: str
    periodicity: str
    source: str
    present: bool


class ProposalRead(BaseModel):
    """A dataset proposed in a questionnaire, awaiting the working group's decision."""

    item_id: int
    name: str
    description: str
    unit_id: int
    unit: str
    update_frequency: str


class DecisionRead(BaseModel):
    """The decision recorded (and the entry made, on acceptance)."""

    item_id: int
    decision: str
    entry: EntryRead | None = None


def _read(entry: RegisterEntry) -> EntryRead:
    note = f"; {entry.periodicity_note}" if entry.periodicity_note else ""
    return EntryRead(
        id=entry.id,
        number=entry.number,
        name=entry.name,
        periodicity=entry.periodicity.to_ukrainian() + note,
        officials=[official_label(o) for o in entry.officials],
        units=[u.name for u in entry.units],
        source=entry.source.value,
        source_label=SOURCE_LABELS[entry.source],
        catalogue_code=entry.catalogue_code,
        retired_at=entry.retired_at,
    )


@router.get("", response_model=list[EntryRead])
def entries(
    _account: WorkingGroup, cycle: OwnCycle, session: DB, include_retired: bool = False
) -> list[EntryRead]:
    """The register's entries in order (retired ones too with `include_retired=true`)."""
    return [
        _read(e)
        for e in list_register(
            session, organization_id=cycle.organization_id, include_retired=include_retired
        )
    ]


@router.post("/entries", status_code=201, response_model=EntryRead)
def create(
    _account: Editor, cycle: OwnCycle, actor: CurrentActor, body: EntryWrite, session: DB, now: Now
) -> EntryRead:
    """Add an entry at the end of the register."""
    return _read(add_entry(session, cycle_id=cycle.id, data=body.to_input(), actor=actor, now=now))


@router.put("/entries/{entry_id}", response_model=EntryRead)
def update(
    entry_id: int,
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: EntryWrite,
    session: DB,
    now: Now,
) -> EntryRead:
    """Change an entry (every field is replaced)."""
    entry = update_entry(
        session, cycle_id=cycle.id, entry_id=entry_id, data=body.to_input(), actor=actor, now=now
    )
    return _read(entry)


@router.post("/entries/{entry_id}/retire", response_model=EntryRead)
def retire(
    entry_id: int, _account: Editor, cycle: OwnCycle, actor: CurrentActor, session: DB, now: Now
) -> EntryRead:
    """Retire an entry: it leaves Annex 1 and the analysis; its number is not reused."""
    entry = retire_entry(session, cycle_id=cycle.id, entry_id=entry_id, actor=actor, now=now)
    return _read(entry)


@router.get("/catalogue", response_model=list[CatalogueRead])
def catalogue(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[CatalogueRead]:
    """The Resolution 835 catalogue with the recommended periodicity, marking what is present."""
    return [
        CatalogueRead(
            code=d.code,
            title=d.title,
            periodicity=d.periodicity,
            source=d.source.value,
            present=present,
        )
        for d, present in catalogue_rows(session, organization_id=cycle.organization_id)
    ]


@router.post("/catalogue", status_code=201, response_model=list[EntryRead])
def pick(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: CataloguePick,
    session: DB,
    now: Now,
) -> list[EntryRead]:
    """Add the picked catalogue datasets (those already present are skipped)."""
    added = add_from_catalogue(
        session, cycle_id=cycle.id, codes=body.codes, unit_ids=body.unit_ids, actor=actor, now=now
    )
    return [_read(e) for e in added]


@router.get("/proposals", response_model=list[ProposalRead])
def proposals(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[ProposalRead]:
    """Items the staff marked worth publishing, not yet decided on."""
    return [
        ProposalRead(
            item_id=p.item_id,
            name=p.name,
            description=p.description,
            unit_id=p.unit_id,
            unit=p.unit,
            update_frequency=p.update_frequency,
        )
        for p in list_proposals(session, cycle_id=cycle.id)
    ]


@router.post("/proposals/{item_id}/accept", status_code=201, response_model=DecisionRead)
def accept(
    item_id: int,
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: ProposalAccept,
    session: DB,
    now: Now,
) -> DecisionRead:
    """Accept a proposal: a register entry of the item's unit is made."""
    entry = accept_proposal(
        session,
        cycle_id=cycle.id,
        item_id=item_id,
        periodicity=body.periodicity,
        name=body.name or None,
        officials=body.officials,
        actor=actor,
        now=now,
    )
    return DecisionRead(item_id=item_id, decision="accepted", entry=_read(entry))


@router.post("/proposals/{item_id}/reject", response_model=DecisionRead)
def reject(
    item_id: int, _account: Editor, cycle: OwnCycle, actor: CurrentActor, session: DB, now: Now
) -> DecisionRead:
    """Reject a proposal: recorded, and not proposed again."""
    reject_proposal(session, cycle_id=cycle.id, item_id=item_id, actor=actor, now=now)
    return DecisionRead(item_id=item_id, decision="rejected")
