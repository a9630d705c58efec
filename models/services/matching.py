"""Matching register entries to portal datasets: a stored link, then the same title, then a
close title (rapidfuzz over an index per portal organization, never all pairs).

Pure: no session. A unit publishing as its own portal organization gets only its own datasets,
so two units' datasets with the same title ("Фінансова звітність") are never confused.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from models.publication import MatchMethod

_NOISE = re.compile(r"[\"'«»„“”‘’`ʼ.,;:!?()\[\]{}\-–—_/\\]+")

# Titles this similar (rapidfuzz's normalized Indel ratio, 0–100, over normalized titles) are
# proposed for an auditor's confirmation; difflib's ratio 0.9 was the same bar.
NAME_MATCH_SCORE = 90.0


def normalize_title(title: str) -> str:
    """A comparison key for titles: case, quotes, punctuation and spacing do not matter."""
    return " ".join(_NOISE.sub(" ", title.casefold()).split())


@dataclass(frozen=True)
class EntryKey:
    """What matching needs of a register entry."""

    id: int
    number: int
    name: str
    portal_url: str | None
    scopes: frozenset[str]  # the portal organizations of its units (their own datasets)


@dataclass(frozen=True)
class DatasetKey:
    """What matching needs of a portal dataset."""

    portal_id: str
    name: str
    title: str
    scope: str | None  # the unit's organization it was read from; None: the holder's


@dataclass(frozen=True)
class Proposal:
    """An entry and the dataset proposed (or, by link, tied) to it."""

    entry_id: int
    entry_number: int
    entry_name: str
    portal_id: str
    title: str
    method: MatchMethod

    @property
    def confirmed(self) -> bool:
        """A stored link is certain; a title awaits an auditor."""
        return self.method == MatchMethod.LINK


class _Scope:
    """The datasets of one portal organization, indexed by slug, exact title and for fuzzing."""

    def __init__(self, datasets: list[DatasetKey]) -> None:
        self.datasets = datasets
        self.titles = [normalize_title(d.title) for d in datasets]
        self.by_slug: dict[str, list[DatasetKey]] = defaultdict(list)
        self.by_title: dict[str, list[DatasetKey]] = defaultdict(list)
        for dataset, title in zip(datasets, self.titles, strict=True):
            self.by_slug[dataset.name].append(dataset)
            if dataset.portal_id != dataset.name:
                self.by_slug[dataset.portal_id].append(dataset)
            self.by_title[title].append(dataset)

    def close(self, wanted: str, taken: set[str]) -> tuple[float, int, DatasetKey] | None:
        """The most similar free title at or above the bar (ties: the portal's order)."""
        hits = process.extract(
            wanted,
            self.titles,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=NAME_MATCH_SCORE,
            limit=None,
        )
        free = [
            (score, index)
            for _title, score, index in hits
            if self.datasets[index].portal_id not in taken
        ]
        if not free:
            return None
        score, index = max(free, key=lambda pair: (pair[0], -pair[1]))
        return score, index, self.datasets[index]


def _first_free(candidates: Iterable[DatasetKey], taken: set[str]) -> DatasetKey | None:
    return next((d for d in candidates if d.portal_id not in taken), None)


def propose_matches(
    entries: list[EntryKey],
    datasets: list[DatasetKey],
    *,
    settled: set[int],
    taken: set[str],
) -> list[Proposal]:
    """Proposals for entries not in `settled` (confirmed ones), in register order.

    Each dataset goes to at most one entry; `taken` (datasets already tied) grows as it goes.
    """
    by_scope: dict[str | None, list[DatasetKey]] = defaultdict(list)
    for dataset in datasets:
        by_scope[dataset.scope].append(dataset)
    scopes = {name: _Scope(items) for name, items in by_scope.items()}
    taken = set(taken)
    proposals: list[Proposal] = []
    for entry in entries:
        if entry.id in settled:
            continue
        # Its units' own organizations first, then the holder's (shared) one.
        allowed = [scopes[s] for s in sorted(entry.scopes) if s in scopes]
        if None in scopes:
            allowed.append(scopes[None])
        found: DatasetKey | None = None
        method = MatchMethod.LINK
        if entry.portal_url:
            slug = entry.portal_url.rstrip("/").rsplit("/", 1)[-1]
            found = _first_free((d for s in allowed for d in s.by_slug.get(slug, ())), taken)
        if found is None:
            method = MatchMethod.NAME
            wanted = normalize_title(entry.name)
            found = _first_free((d for s in allowed for d in s.by_title.get(wanted, ())), taken)
            if found is None:
                best = max(
                    (hit for s in allowed if (hit := s.close(wanted, taken)) is not None),
                    key=lambda hit: hit[0],
                    default=None,
                )
                found = best[2] if best is not None else None
        if found is None:
            continue
        taken.add(found.portal_id)
        proposals.append(
            Proposal(entry.id, entry.number, entry.name, found.portal_id, found.title, method)
        )
    return proposals
