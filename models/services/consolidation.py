"""Consolidation of the questionnaires: the same system or item named by many units becomes one.

Grouping is automatic after normalising case, quotes, punctuation and whitespace; an auditor
corrects it with merges and splits. Decisions are stored apart from the questionnaire rows,
which are never changed, so every decision can be undone.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle, AuditedUnit
from models.errors import Invalid, NotFound
from models.organization import Unit
from models.questionnaire import (
    AccessCategory,
    ConsolidationAction,
    ConsolidationDecision,
    ConsolidationKind,
    InformationItem,
    InformationSystem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.services.events import record_event

_NOISE = re.compile(r"[\"'«»„“”‘’`.,;:!?()\[\]{}\-–—_/\\]+")
SPLIT_PREFIX = "#"


def normalize_name(name: str) -> str:
    """A grouping key: case, quotes, punctuation and whitespace do not matter."""
    return " ".join(_NOISE.sub(" ", name.casefold()).split())


@dataclass(frozen=True)
class Row:
    """One questionnaire row as consolidation sees it."""

    id: int
    name: str
    unit: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Group:
    """A consolidated system or item: its rows and the units that named it."""

    key: str
    rows: list[Row] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The most frequent spelling; the first one on a tie."""
        counts = Counter(r.name for r in self.rows)
        return max(self.rows, key=lambda r: counts[r.name]).name

    @property
    def units(self) -> list[str]:
        """The units that named it, in the order of the cycle's units."""
        return list(dict.fromkeys(r.unit for r in self.rows))

    def first(self, name: str) -> Any:
        """The first non-empty value of a field among the rows."""
        return next((r.fields.get(name) for r in self.rows if r.fields.get(name)), None)


def _resolve(key: str, merges: dict[str, str]) -> str:
    seen = {key}
    while key in merges:
        key = merges[key]
        if key in seen:
            # A loop of merges is one group: name it the same whichever key it is entered from.
            return min(seen)
        seen.add(key)
    return key


def group_rows(rows: list[Row], *, merges: dict[str, str], splits: set[int]) -> list[Group]:
    """Group rows by normalised name, then apply splits (row alone) and merges (key → key)."""
    groups: dict[str, Group] = {}
    for row in rows:
        key = f"{SPLIT_PREFIX}{row.id}" if row.id in splits else normalize_name(row.name)
        key = _resolve(key, merges)
        groups.setdefault(key, Group(key=key)).rows.append(row)
    return list(groups.values())


def key_names(groups: list[Group]) -> dict[str, str]:
    """A name to show for every key a decision can hold: a group's, and a group merged away
    (it lives on only in its rows' spelling), and a row split off."""
    names: dict[str, str] = {}
    for group in groups:
        for row in group.rows:
            names.setdefault(normalize_name(row.name), row.name)
            names[f"{SPLIT_PREFIX}{row.id}"] = row.name
    names.update({group.key: group.name for group in groups})
    return names


_SYSTEM_FIELDS = (
    "url",
    "basis",
    "administrator",
    "description",
    "owner_type",
    "holds_personal_data",
    "export_formats",
    "has_api",
)
_ITEM_FIELDS = (
    "description",
    "kept_in",
    "access_category",
    "is_dataset_candidate",
    "update_frequency",
    "approx_records",
    "legal_basis",
    "format",
    "restricted_fields",
    "url",
    "data_type",
    "data_creator",
    "data_transfer",
    "date_created",
    "source",
    "usage_frequency",
    "public_interest",
    "government_interest",
    "relation",
    "structure",
    "documentation",
    "developer_name",
    "developer_id",
    "dictionary",
    "size",
    "resource_url",
)


def _rows(session: Session, *, cycle_id: int, kind: ConsolidationKind) -> list[Row]:
    """Submitted rows of one kind with their unit's name, in the cycle's unit order."""
    model: Any = InformationSystem if kind == ConsolidationKind.SYSTEM else InformationItem
    names = _SYSTEM_FIELDS if kind == ConsolidationKind.SYSTEM else _ITEM_FIELDS
    query = (
        select(model, Unit.name)
        .join(QuestionnaireSubmission, QuestionnaireSubmission.id == model.submission_id)
        .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
        .join(Unit, Unit.id == AuditedUnit.unit_id)
        .where(
            AuditedUnit.cycle_id == cycle_id,
            QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
        )
        .order_by(AuditedUnit.position, QuestionnaireSubmission.id, model.position)
    )
    if kind == ConsolidationKind.ITEM:
        # Secret information is outside the audit: it never reaches the annexes.
        query = query.where(InformationItem.access_category != AccessCategory.SECRET)
    return [
        Row(id=row.id, name=row.name, unit=unit, fields={n: getattr(row, n) for n in names})
        for row, unit in session.execute(query).tuples()
    ]


def _decisions(
    session: Session, *, cycle_id: int, kind: ConsolidationKind
) -> list[ConsolidationDecision]:
    return list(
        session.scalars(
            select(ConsolidationDecision)
            .where(ConsolidationDecision.cycle_id == cycle_id, ConsolidationDecision.kind == kind)
            .order_by(ConsolidationDecision.id)
        )
    )


def consolidate(session: Session, *, cycle_id: int, kind: ConsolidationKind) -> list[Group]:
    """The cycle's consolidated systems or items with the auditors' decisions applied."""
    merges: dict[str, str] = {}
    splits: set[int] = set()
    for decision in _decisions(session, cycle_id=cycle_id, kind=kind):
        if decision.action == ConsolidationAction.MERGE:
            merges[decision.group_key] = decision.target_key
        else:
            splits.add(decision.row_id)
    return group_rows(_rows(session, cycle_id=cycle_id, kind=kind), merges=merges, splits=splits)


def consolidated_systems(session: Session, *, cycle_id: int) -> list[dict[str, Any]]:
    """Annex 2: information services, each with the units that use it."""
    return [
        {
            "name": group.name,
            "url": group.first("url"),
            "basis": "\n".join(
                p for p in (group.first("basis"), group.first("administrator")) if p
            ),
            "description": group.first("description") or "",
            "units": group.units,
        }
        for group in consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.SYSTEM)
    ]


def is_official_use(group: Group) -> bool:
    """An item any unit marked «для службового користування» (ДСК): the law protects it, so
    what is published counts it and never lists it (its name, description or units)."""
    return any(r.fields.get("access_category") == AccessCategory.OFFICIAL_USE for r in group.rows)


def consolidated_items(session: Session, *, cycle_id: int) -> list[dict[str, Any]]:
    """Annex 4: public information items (secret and ДСК ones excluded) with the units that
    hold them."""
    return [
        {"name": group.name, "description": group.first("description") or "", "units": group.units}
        for group in consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.ITEM)
        if not is_official_use(group)
    ]


def official_use_count(session: Session, *, cycle_id: int) -> int:
    """How many consolidated items are ДСК: the only thing published about them."""
    groups = consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.ITEM)
    return sum(1 for group in groups if is_official_use(group))


def official_use_note(count: int) -> str:
    """The line that stands for the ДСК items in what is published (a count only)."""
    last, tens = count % 10, count % 100
    word = (
        "позиція"
        if last == 1 and tens != 11
        else "позиції"
        if 2 <= last <= 4 and not 12 <= tens <= 14
        else "позицій"
    )
    return f"інформація з обмеженим доступом (ДСК): {count} {word}"


def _record(
    session: Session,
    *,
    cycle_id: int,
    decision: ConsolidationDecision,
    action: str,
    actor: Actor,
    at: datetime,
) -> None:
    organization_id = session.scalar(
        select(AuditCycle.organization_id).where(AuditCycle.id == cycle_id)
    )
    assert organization_id is not None
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=cycle_id,
        action=action,
        at=at,
        actor=actor,
        details={
            "kind": decision.kind.value,
            "action": decision.action.value,
            "group_key": decision.group_key,
            "target_key": decision.target_key,
            "row_id": decision.row_id,
        },
    )


def merge_groups(
    session: Session,
    *,
    cycle_id: int,
    kind: ConsolidationKind,
    keys: list[str],
    into: str,
    actor: Actor,
    now: datetime,
) -> list[ConsolidationDecision]:
    """Merge the groups `keys` into the group `into` (keys as `consolidate` shows them)."""
    current = {g.key for g in consolidate(session, cycle_id=cycle_id, kind=kind)}
    if into not in current:
        raise NotFound("Групу, до якої об’єднують, не знайдено.", field="into")
    sources = [k for k in dict.fromkeys(keys) if k != into]
    if not sources:
        raise Invalid("Оберіть хоча б одну іншу групу для об’єднання.", field="keys")
    unknown = [k for k in sources if k not in current]
    if unknown:
        raise NotFound(f"Групу «{unknown[0]}» не знайдено.", field="keys")
    made = []
    for key in sources:
        session.execute(
            delete(ConsolidationDecision).where(
                ConsolidationDecision.cycle_id == cycle_id,
                ConsolidationDecision.kind == kind,
                ConsolidationDecision.action == ConsolidationAction.MERGE,
                ConsolidationDecision.group_key == key,
            )
        )
        decision = ConsolidationDecision(
            cycle_id=cycle_id,
            kind=kind,
            action=ConsolidationAction.MERGE,
            group_key=key,
            target_key=into,
            row_id=0,
            actor=actor.label,
            created_at=now,
        )
        session.add(decision)
        session.flush()
        _record(
            session,
            cycle_id=cycle_id,
            decision=decision,
            action="consolidation.merged",
            actor=actor,
            at=now,
        )
        made.append(decision)
    return made


def split_row(
    session: Session,
    *,
    cycle_id: int,
    kind: ConsolidationKind,
    row_id: int,
    actor: Actor,
    now: datetime,
) -> ConsolidationDecision:
    """Take one row out of its group: it stands alone (and can be merged elsewhere)."""
    if row_id not in {r.id for r in _rows(session, cycle_id=cycle_id, kind=kind)}:
        raise NotFound("Запис анкети не знайдено.", field="row_id")
    existing = session.scalar(
        select(ConsolidationDecision).where(
            ConsolidationDecision.cycle_id == cycle_id,
            ConsolidationDecision.kind == kind,
            ConsolidationDecision.action == ConsolidationAction.SPLIT,
            ConsolidationDecision.row_id == row_id,
        )
    )
    if existing is not None:
        return existing
    decision = ConsolidationDecision(
        cycle_id=cycle_id,
        kind=kind,
        action=ConsolidationAction.SPLIT,
        group_key="",
        target_key="",
        row_id=row_id,
        actor=actor.label,
        created_at=now,
    )
    session.add(decision)
    session.flush()
    _record(
        session,
        cycle_id=cycle_id,
        decision=decision,
        action="consolidation.split",
        actor=actor,
        at=now,
    )
    return decision


def list_decisions(
    session: Session, *, cycle_id: int, kind: ConsolidationKind
) -> list[ConsolidationDecision]:
    """The auditors' decisions, oldest first."""
    return _decisions(session, cycle_id=cycle_id, kind=kind)


def undo_decision(
    session: Session, *, cycle_id: int, decision_id: int, actor: Actor, now: datetime
) -> None:
    """Withdraw a merge or split: the automatic grouping applies again."""
    decision = session.get(ConsolidationDecision, decision_id)
    if decision is None or decision.cycle_id != cycle_id:
        raise NotFound("Рішення щодо об’єднання не знайдено.")
    _record(
        session,
        cycle_id=cycle_id,
        decision=decision,
        action="consolidation.undone",
        actor=actor,
        at=now,
    )
    session.delete(decision)
    session.flush()
