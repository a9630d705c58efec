"""The analysis of what is published against the register (formulas in docs/analysis.md)."""

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clock import KYIV, local_date
from models.cycle import AuditCycle, StageKind
from models.periodicity import Periodicity, next_deadline
from models.publication import PUBLICATION_STATE_LABELS, PortalSnapshot, PublicationState
from models.register import RegisterEntry
from models.services.cycles import get_cycle
from models.services.match_review import PENDING_MATCH_LABEL, pending_match_entry_ids
from models.services.publication import confirmed_matches, latest_snapshot, manual_states
from models.services.register import list_register
from models.ukrainian import collation_key

TARGET_SHARE = 85.0  # % of the register meeting all criteria (seed 002, the Ministry's target)

# Open, structured formats a program can read without a vendor's software.
MACHINE_READABLE_FORMATS = frozenset(
    {"CSV", "TSV", "JSON", "JSONLD", "JSON-LD", "GEOJSON", "XML", "RDF", "TTL", "N3", "NT"}
    | {"KML", "GML", "GPX", "ODS", "API", "WMS", "WFS", "SHP"}
)
# Everything else is not: XLS, XLSX, PDF, DOC, DOCX, RTF, HTML, images, archives.

# Weights of the unit rating (docs/analysis.md).
WEIGHT_PUBLISHED = 0.5
WEIGHT_ON_TIME = 0.25
WEIGHT_MACHINE_READABLE = 0.25


class Timeliness(enum.StrEnum):
    """The last update against the periodicity."""

    ON_TIME = "on_time"
    OVERDUE = "overdue"
    UNKNOWN = "unknown"  # published, but its update date is not known
    NOT_APPLICABLE = "not_applicable"  # not published


def format_key(value: str) -> str:
    """A format as a comparable key: ".csv", "text/csv", "CSV " → "CSV"."""
    key = value.strip().upper().lstrip(".")
    if "/" in key:
        key = key.rsplit("/", 1)[1]
    return key.removeprefix("VND.").replace(" ", "")


def is_machine_readable(value: str) -> bool:
    """Whether a resource format is machine-readable."""
    return format_key(value) in MACHINE_READABLE_FORMATS


@dataclass(frozen=True)
class Observation:
    """What is known about one register entry's publication."""

    state: PublicationState
    last_updated: date | None = None
    formats: tuple[str, ...] = ()
    source_changed_on: date | None = None
    source: str = "none"  # "portal" | "manual" | "none"
    url: str | None = None
    pending_match: bool = False  # not published as far as known, but a proposal awaits a decision


@dataclass(frozen=True)
class EntryAssessment:
    """One register entry's state and how it meets the criteria."""

    number: int
    name: str
    units: tuple[str, ...]
    periodicity: str
    state: PublicationState
    source: str
    last_updated: date | None
    due_on: date | None
    overdue_days: int
    working_days: bool
    timeliness: Timeliness
    formats: tuple[str, ...]
    machine_readable: bool | None  # None: no formats known
    url: str | None
    pending_match: bool = False  # missing, with a proposed portal dataset awaiting an auditor

    @property
    def published(self) -> bool:
        """Published, publicly or in private mode (not missing, not awaiting moderation)."""
        return self.state in (PublicationState.PUBLISHED, PublicationState.PRIVATE)

    @property
    def meets_all(self) -> bool:
        """Published, updated on time and machine-readable."""
        return (
            self.published and self.timeliness == Timeliness.ON_TIME and bool(self.machine_readable)
        )

    def state_label(self) -> str:
        """The state alone; a pending proposal is said, not passed off as "не оприлюднено"."""
        if self.pending_match and not self.published:
            return PENDING_MATCH_LABEL
        return PUBLICATION_STATE_LABELS[self.state]

    def label(self) -> str:
        """The state in Ukrainian, as Annex 1 shows it."""
        parts = [self.state_label()]
        if not self.published:
            return parts[0]
        if self.timeliness == Timeliness.OVERDUE:
            unit = "роб. дн." if self.working_days else "дн."
            parts.append(f"прострочено на {self.overdue_days} {unit}")
        elif self.timeliness == Timeliness.ON_TIME:
            parts.append("оновлюється вчасно")
        else:
            parts.append("дата оновлення невідома")
        if self.machine_readable is None:
            parts.append("формат невідомий")
        else:
            formats = ", ".join(sorted({format_key(f) for f in self.formats}))
            kind = "машиночитаний" if self.machine_readable else "не машиночитаний"
            parts.append(f"{kind} ({formats})")
        return "; ".join(parts)


def assess_entry(
    *,
    number: int,
    name: str,
    units: tuple[str, ...],
    periodicity: Periodicity,
    observation: Observation,
    today: date,
) -> EntryAssessment:
    """Judge one entry: timeliness against its periodicity, machine-readability of its formats."""
    due_on: date | None = None
    overdue = 0
    working_days = False
    unpublished = observation.state in (PublicationState.MISSING, PublicationState.MODERATION)
    if unpublished:
        timeliness = Timeliness.NOT_APPLICABLE
    elif observation.last_updated is None:
        timeliness = Timeliness.UNKNOWN
    else:
        deadline = next_deadline(
            periodicity,
            last_update=observation.last_updated,
            changed_on=observation.source_changed_on,
        )
        if deadline is not None:
            due_on, working_days = deadline.due_on, deadline.working_days
            overdue = deadline.overdue_days(today)
        timeliness = Timeliness.OVERDUE if overdue else Timeliness.ON_TIME
    formats = tuple(f for f in observation.formats if f.strip())
    machine_readable = (
        None if unpublished or not formats else any(is_machine_readable(f) for f in formats)
    )
    return EntryAssessment(
        number=number,
        name=name,
        units=units,
        periodicity=periodicity.to_ukrainian(),
        state=observation.state,
        source=observation.source,
        last_updated=observation.last_updated,
        due_on=due_on,
        overdue_days=overdue,
        working_days=working_days,
        timeliness=timeliness,
        formats=formats,
        machine_readable=machine_readable,
        url=observation.url,
        pending_match=observation.pending_match,
    )


@dataclass
class Summary:
    """Counts over a set of register entries (a unit's, or the whole register)."""

    name: str
    required: int = 0
    published: int = 0  # publicly or in private mode
    private: int = 0
    moderation: int = 0  # awaiting the portal's moderation (not counted as published)
    overdue: int = 0
    not_machine_readable: int = 0
    on_time: int = 0
    machine_readable: int = 0
    meeting_all: int = 0
    rank: int | None = None

    def add(self, entry: EntryAssessment) -> None:
        """Count one entry."""
        self.required += 1
        self.moderation += entry.state == PublicationState.MODERATION
        if not entry.published:
            return
        self.published += 1
        self.private += entry.state == PublicationState.PRIVATE
        self.overdue += entry.timeliness == Timeliness.OVERDUE
        self.on_time += entry.timeliness == Timeliness.ON_TIME
        self.machine_readable += entry.machine_readable is True
        self.not_machine_readable += entry.machine_readable is False
        self.meeting_all += entry.meets_all

    @property
    def percent_published(self) -> float:
        """Published as a share of the register, %."""
        return 100 * self.published / self.required if self.required else 0.0

    @property
    def share_meeting_all(self) -> float:
        """Entries meeting all criteria as a share of the register, %."""
        return 100 * self.meeting_all / self.required if self.required else 0.0

    @property
    def score(self) -> float:
        """The open-data quality rating, 0–100 (docs/analysis.md)."""
        if not self.required:
            return 0.0
        return (
            100
            * (
                WEIGHT_PUBLISHED * self.published
                + WEIGHT_ON_TIME * self.on_time
                + WEIGHT_MACHINE_READABLE * self.machine_readable
            )
            / self.required
        )


def summarise(entries: list[EntryAssessment]) -> tuple[list[Summary], Summary]:
    """Per unit (an entry counts for each of its units) in rating order, and the totals."""
    units: dict[str, Summary] = {}
    totals = Summary(name="Усього")
    for entry in entries:
        totals.add(entry)
        for unit in entry.units:
            units.setdefault(unit, Summary(name=unit)).add(entry)
    ranked = sorted(units.values(), key=lambda s: (-round(s.score, 6), collation_key(s.name)))
    for rank, summary in enumerate(ranked, start=1):
        summary.rank = rank
    return ranked, totals


@dataclass
class PublicationAnalysis:
    """The whole analysis on one date."""

    as_of: date
    snapshot_taken_at: datetime | None
    entries: list[EntryAssessment]
    units: list[Summary]
    totals: Summary
    target: float = TARGET_SHARE
    previous: "PublicationAnalysis | None" = None
    previous_label: str | None = None
    sources: set[str] = field(default_factory=set)
    snapshot_id: int | None = None

    @property
    def meets_target(self) -> bool:
        """Whether the share meeting all criteria reaches the target."""
        return self.totals.share_meeting_all >= self.target

    def entry(self, number: int) -> EntryAssessment:
        """The assessment of a register row."""
        return next(e for e in self.entries if e.number == number)


def _portal_observation(dataset: Any) -> Observation:
    stamps = [r.last_modified for r in dataset.resources if r.last_modified is not None]
    latest = max(stamps) if stamps else dataset.metadata_modified
    state = PublicationState.PRIVATE if dataset.private else PublicationState.PUBLISHED
    return Observation(
        state=PublicationState.MODERATION if dataset.moderation else state,
        last_updated=local_date(latest) if latest is not None else None,
        formats=tuple(r.format for r in dataset.resources),
        source="portal",
        url=dataset.url,
    )


def observe(
    session: Session,
    *,
    organization_id: int,
    entries: list[RegisterEntry],
    today: date,
    snapshot: PortalSnapshot | None,
) -> dict[int, Observation]:
    """Per entry id: a manual record newer than the snapshot wins, else the matched dataset."""
    manual = manual_states(session, organization_id=organization_id, as_of=today)
    matches = confirmed_matches(session, organization_id=organization_id)
    datasets = {d.portal_id: d for d in snapshot.datasets} if snapshot else {}
    snapshot_day = local_date(snapshot.taken_at) if snapshot else None
    pending = pending_match_entry_ids(session, organization_id=organization_id)
    observations: dict[int, Observation] = {}
    for entry in entries:
        record = manual.get(entry.id)
        dataset = datasets.get(matches.get(entry.id, ""))
        use_manual = record is not None and (
            snapshot_day is None or dataset is None or record.observed_on >= snapshot_day
        )
        if record is not None and use_manual:
            observations[entry.id] = Observation(
                state=record.state,
                last_updated=record.last_updated_on,
                formats=tuple(f.strip() for f in record.formats.split(",") if f.strip()),
                source_changed_on=record.source_changed_on,
                source="manual",
                url=record.url,
            )
        elif dataset is not None:
            observations[entry.id] = _portal_observation(dataset)
        else:
            source = "portal" if snapshot else "none"
            observations[entry.id] = Observation(
                PublicationState.MISSING, source=source, pending_match=entry.id in pending
            )
    return observations


def analyse_publication(
    session: Session, *, organization_id: int, as_of: datetime
) -> PublicationAnalysis:
    """The analysis as of a moment: the snapshot and manual records known then."""
    today = local_date(as_of)
    entries = list_register(session, organization_id=organization_id)
    snapshot = latest_snapshot(session, organization_id=organization_id, as_of=as_of)
    observations = observe(
        session, organization_id=organization_id, entries=entries, today=today, snapshot=snapshot
    )
    assessed = [
        assess_entry(
            number=entry.number,
            name=entry.name,
            units=tuple(u.name for u in entry.units),
            periodicity=entry.periodicity,
            observation=observations[entry.id],
            today=today,
        )
        for entry in entries
    ]
    units, totals = summarise(assessed)
    return PublicationAnalysis(
        as_of=today,
        snapshot_taken_at=snapshot.taken_at if snapshot else None,
        snapshot_id=snapshot.id if snapshot else None,
        entries=assessed,
        units=units,
        totals=totals,
        sources={o.source for o in observations.values()},
    )


def previous_cycle_moment(
    session: Session, *, organization_id: int, year: int
) -> tuple[AuditCycle, datetime] | None:
    """The organization's latest cycle before `year` and the end of its reporting stage."""
    cycle = session.scalar(
        select(AuditCycle)
        .where(AuditCycle.organization_id == organization_id, AuditCycle.year < year)
        .order_by(AuditCycle.year.desc(), AuditCycle.id.desc())
        .limit(1)
    )
    if cycle is None:
        return None
    cycle = get_cycle(session, cycle_id=cycle.id)
    reporting = next((s for s in cycle.stages if s.kind == StageKind.REPORTING), None)
    day = reporting.due_on if reporting else date(cycle.year, 12, 31)
    return cycle, datetime.combine(day, time(23, 59), tzinfo=KYIV)


def analyse_for_cycle(
    session: Session, *, organization_id: int, year: int, as_of: datetime
) -> PublicationAnalysis:
    """The analysis for a cycle's report, compared with the previous cycle when there is one."""
    analysis = analyse_publication(session, organization_id=organization_id, as_of=as_of)
    previous = previous_cycle_moment(session, organization_id=organization_id, year=year)
    if previous is not None:
        cycle, moment = previous
        analysis.previous = analyse_publication(
            session, organization_id=organization_id, as_of=moment
        )
        analysis.previous_label = f"{cycle.year} рік (станом на {moment:%d.%m.%Y})"
    return analysis
