"""The auditor's review of proposed matches between register entries and portal datasets:
what is proposed (with both titles, both units and the similarity), what is left unmatched on
either side, and the decisions (one, or all shown at once, or a dataset picked by hand), each
recorded in the audit trail."""

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.errors import Conflict, Invalid, NotFound
from models.publication import DatasetMatch, MatchMethod, PublishedDataset
from models.register import RegisterEntry
from models.services.events import record_event
from models.services.matching import normalize_title
from models.services.publication import confirm_match, get_entry, latest_snapshot
from models.services.register import list_register
from models.services.rejected_matches import rejection_counts, remember_rejection

PENDING_MATCH_LABEL = "пропозиція відповідності очікує рішення"


@dataclass(frozen=True)
class EntrySide:
    """A register entry as the review shows it."""

    number: int
    name: str
    units: tuple[str, ...]
    rejected: int = 0  # proposals for it rejected earlier (never proposed again)


@dataclass(frozen=True)
class DatasetSide:
    """A portal dataset as the review shows it (from the newest good snapshot)."""

    portal_id: str
    title: str
    organization: str  # the holder's organization on the portal the snapshot read
    url: str | None
    private: bool


@dataclass(frozen=True)
class ProposedMatch:
    """A match waiting for the auditor (or one already confirmed)."""

    entry: EntrySide
    dataset: DatasetSide | None  # None: the dataset is gone from the newest snapshot
    portal_id: str
    method: MatchMethod
    similarity: float  # 0..1, difflib's ratio of the normalized titles

    @property
    def percent(self) -> int:
        """The similarity as a whole percentage."""
        return round(100 * self.similarity)


@dataclass(frozen=True)
class MatchReview:
    """Everything the matches page shows."""

    snapshot_taken_at: datetime | None
    portal_organization: str | None
    proposals: list[ProposedMatch]
    confirmed: list[ProposedMatch]
    unmatched_entries: list[EntrySide]
    unmatched_datasets: list[DatasetSide]


def similarity(entry_name: str, dataset_title: str) -> float:
    """How alike two titles are, as the matcher judges them (0..1)."""
    return difflib.SequenceMatcher(
        None, normalize_title(entry_name), normalize_title(dataset_title)
    ).ratio()


def _matches(session: Session, entries: list[RegisterEntry]) -> dict[int, DatasetMatch]:
    ids = [e.id for e in entries]
    if not ids:
        return {}
    return {
        m.register_entry_id: m
        for m in session.scalars(
            select(DatasetMatch).where(DatasetMatch.register_entry_id.in_(ids))
        )
    }


def pending_match_entry_ids(session: Session, *, organization_id: int) -> set[int]:
    """Register entry ids with a proposal nobody has decided yet."""
    rows = session.scalars(
        select(DatasetMatch.register_entry_id)
        .join(RegisterEntry, RegisterEntry.id == DatasetMatch.register_entry_id)
        .where(RegisterEntry.organization_id == organization_id, ~DatasetMatch.confirmed)
    )
    return set(rows)


def review_matches(session: Session, *, organization_id: int) -> MatchReview:
    """Proposals, confirmed matches and both sides' unmatched items, in the register's order."""
    entries = list_register(session, organization_id=organization_id)
    matches = _matches(session, entries)
    snapshot = latest_snapshot(session, organization_id=organization_id)
    organization = snapshot.portal_organization if snapshot else ""
    rejected = rejection_counts(session, organization_id=organization_id)
    datasets: dict[str, PublishedDataset] = (
        {d.portal_id: d for d in snapshot.datasets} if snapshot else {}
    )
    sides = {
        portal_id: DatasetSide(portal_id, d.title, organization, d.url, d.private)
        for portal_id, d in datasets.items()
    }
    proposals: list[ProposedMatch] = []
    confirmed: list[ProposedMatch] = []
    unmatched: list[EntrySide] = []
    for entry in entries:
        side = EntrySide(
            entry.number, entry.name, tuple(u.name for u in entry.units), rejected.get(entry.id, 0)
        )
        match = matches.get(entry.id)
        if match is None:
            unmatched.append(side)
            continue
        dataset = sides.get(match.portal_id)
        item = ProposedMatch(
            side,
            dataset,
            match.portal_id,
            match.method,
            similarity(entry.name, dataset.title) if dataset else 0.0,
        )
        (confirmed if match.confirmed else proposals).append(item)
    taken = {m.portal_id for m in matches.values()}
    return MatchReview(
        snapshot_taken_at=snapshot.taken_at if snapshot else None,
        portal_organization=organization or None,
        proposals=proposals,
        confirmed=confirmed,
        unmatched_entries=unmatched,
        unmatched_datasets=[s for pid, s in sides.items() if pid not in taken],
    )


def _pending(session: Session, *, organization_id: int, number: int) -> DatasetMatch:
    entry = get_entry(session, organization_id=organization_id, number=number)
    match = session.scalar(select(DatasetMatch).where(DatasetMatch.register_entry_id == entry.id))
    if match is None:
        raise NotFound(f"Для рядка реєстру № {number} немає пропозиції відповідності.")
    if match.confirmed:
        raise Conflict(f"Відповідність рядка реєстру № {number} уже підтверджено.")
    return match


def _record(
    session: Session,
    *,
    organization_id: int,
    cycle_id: int | None,
    action: str,
    number: int,
    portal_id: str,
    actor: Actor,
    now: datetime,
    bulk: bool = False,
) -> None:
    details: dict[str, object] = {"number": number, "portal_id": portal_id}
    if bulk:
        details["bulk"] = True
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=cycle_id,
        action=action,
        at=now,
        actor=actor,
        details=details,
    )


def _drop_as_rejected(
    session: Session, match: DatasetMatch, *, organization_id: int, actor: Actor, now: datetime
) -> None:
    """Unmatch the entry and remember the pair, so no later snapshot proposes it again."""
    remember_rejection(
        session,
        organization_id=organization_id,
        entry_id=match.register_entry_id,
        portal_id=match.portal_id,
        actor=actor,
        now=now,
    )
    session.delete(match)
    session.flush()


def remove_match(
    session: Session,
    *,
    organization_id: int,
    number: int,
    actor: Actor,
    now: datetime,
    cycle_id: int | None = None,
) -> None:
    """Drop a wrong match, confirmed or proposed: the entry becomes unmatched and the pair is
    remembered as rejected (matching it by hand lifts that)."""
    entry = get_entry(session, organization_id=organization_id, number=number)
    match = session.scalar(select(DatasetMatch).where(DatasetMatch.register_entry_id == entry.id))
    if match is None:
        raise NotFound(f"Рядок реєстру № {number} не зіставлено з набором.")
    portal_id = match.portal_id
    _drop_as_rejected(session, match, organization_id=organization_id, actor=actor, now=now)
    _record(
        session,
        organization_id=organization_id,
        cycle_id=cycle_id,
        action="portal.match_removed",
        number=number,
        portal_id=portal_id,
        actor=actor,
        now=now,
    )


def decide_match(
    session: Session,
    *,
    organization_id: int,
    number: int,
    accept: bool,
    actor: Actor,
    now: datetime,
    cycle_id: int | None = None,
    bulk: bool = False,
) -> None:
    """Confirm a pending proposal, or reject it (the entry becomes unmatched, and the pair is
    never proposed again)."""
    match = _pending(session, organization_id=organization_id, number=number)
    portal_id = match.portal_id
    if accept:
        confirm_match(
            session,
            organization_id=organization_id,
            number=number,
            portal_id=portal_id,
            actor=actor,
            now=now,
        )
    else:
        _drop_as_rejected(session, match, organization_id=organization_id, actor=actor, now=now)
    _record(
        session,
        organization_id=organization_id,
        cycle_id=cycle_id,
        action="portal.match_confirmed" if accept else "portal.match_rejected",
        number=number,
        portal_id=portal_id,
        actor=actor,
        now=now,
        bulk=bulk,
    )


def decide_all(
    session: Session,
    *,
    organization_id: int,
    numbers: list[int],
    accept: bool,
    actor: Actor,
    now: datetime,
    cycle_id: int | None = None,
) -> int:
    """Confirm or reject every pending proposal of the entries shown; returns how many.

    Only the entries the auditor saw are decided: a proposal made since (a new snapshot)
    waits for the next look. Entries no longer pending are skipped.
    """
    pending = pending_match_entry_ids(session, organization_id=organization_id)
    wanted = set(numbers)
    decided = 0
    for entry in list_register(session, organization_id=organization_id):
        if entry.number in wanted and entry.id in pending:
            decide_match(
                session,
                organization_id=organization_id,
                number=entry.number,
                accept=accept,
                actor=actor,
                now=now,
                cycle_id=cycle_id,
                bulk=True,
            )
            decided += 1
    return decided


def match_by_hand(
    session: Session,
    *,
    organization_id: int,
    number: int,
    portal_id: str,
    actor: Actor,
    now: datetime,
    cycle_id: int | None = None,
) -> DatasetMatch:
    """Tie an entry to a portal dataset the auditor picked (refused if not in the snapshot, or
    if another entry already has it); a rejected pair may be picked, which lifts the rejection."""
    entry = get_entry(session, organization_id=organization_id, number=number)
    holder = session.scalar(
        select(RegisterEntry.number)
        .join(DatasetMatch, DatasetMatch.register_entry_id == RegisterEntry.id)
        .where(
            RegisterEntry.organization_id == organization_id,
            RegisterEntry.id != entry.id,
            DatasetMatch.portal_id == portal_id,
        )
    )
    if holder is not None:
        raise Invalid(f"Цей набір уже зіставлено з рядком реєстру № {holder}.", field="portal_id")
    match = confirm_match(
        session,
        organization_id=organization_id,
        number=number,
        portal_id=portal_id,
        actor=actor,
        now=now,
    )
    _record(
        session,
        organization_id=organization_id,
        cycle_id=cycle_id,
        action="portal.match_set",
        number=number,
        portal_id=portal_id,
        actor=actor,
        now=now,
    )
    return match
