"""Matching register entries to portal datasets: a stored link, then the same title, then a
close title (rapidfuzz over an index per portal organization, never all pairs). A pair an
auditor rejected is never proposed again; the entry gets its next best candidate instead.

Pure: no session. A unit publishing as its own portal organization gets only its own datasets,
so two units' datasets with the same title ("Фінансова звітність") are never confused.
"""

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
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


def _alphabet(texts: Iterable[str]) -> dict[int, str]:
    """A one-to-one map of the texts' characters into one byte each, when they fit.

    The ratio does not change (a bijection of characters), but rapidfuzz compares 8-bit strings
    several times faster than Cyrillic ones.
    """
    chars = sorted(set("".join(texts)))
    if len(chars) > 255:
        return {}
    return {ord(c): chr(i + 1) for i, c in enumerate(chars)}


class _Scope:
    """The datasets of one portal organization, indexed by slug, exact title and for fuzzing."""

    def __init__(
        self, datasets: list[DatasetKey], titles: list[str], table: dict[int, str]
    ) -> None:
        self.datasets = datasets
        self.table = table
        # Choices for rapidfuzz; a taken dataset's becomes None, which rapidfuzz skips.
        self.choices: list[str | None] = [t.translate(table) for t in titles]
        self.position = {d.portal_id: i for i, d in enumerate(datasets)}
        self.by_slug: dict[str, list[DatasetKey]] = defaultdict(list)
        self.by_title: dict[str, list[DatasetKey]] = defaultdict(list)
        for dataset, title in zip(datasets, titles, strict=True):
            self.by_slug[dataset.name].append(dataset)
            if dataset.portal_id != dataset.name:
                self.by_slug[dataset.portal_id].append(dataset)
            self.by_title[title].append(dataset)

    def take(self, portal_id: str) -> None:
        """The dataset is tied: it is no longer a choice."""
        index = self.position.get(portal_id)
        if index is not None:
            self.choices[index] = None

    def close(
        self, wanted: str, refused: Collection[str] = ()
    ) -> tuple[float, int, DatasetKey] | None:
        """The most similar free title at or above the bar, not one of `refused` (portal ids
        rejected for this entry); ties: the portal's order."""
        query = wanted.translate(self.table)
        hidden: list[tuple[int, str | None]] = []
        try:
            while True:
                hit = process.extractOne(
                    query,
                    self.choices,
                    scorer=fuzz.ratio,
                    processor=None,
                    score_cutoff=NAME_MATCH_SCORE,
                )
                if hit is None:
                    return None
                _choice, score, index = hit
                if self.datasets[index].portal_id not in refused:
                    return score, -index, self.datasets[index]
                # A rejected best hit: hide it for this entry only and ask for the next best.
                hidden.append((index, self.choices[index]))
                self.choices[index] = None
        finally:
            for index, choice in hidden:
                self.choices[index] = choice


def _first_free(
    candidates: Iterable[DatasetKey], taken: set[str], refused: Collection[str]
) -> DatasetKey | None:
    return next(
        (d for d in candidates if d.portal_id not in taken and d.portal_id not in refused), None
    )


def propose_matches(
    entries: list[EntryKey],
    datasets: list[DatasetKey],
    *,
    settled: set[int],
    taken: set[str],
    rejected: Collection[tuple[int, str]],
) -> list[Proposal]:
    """Proposals for entries not in `settled` (confirmed ones), in register order.

    Each dataset goes to at most one entry; `taken` (datasets already tied) grows as it goes.
    A pair in `rejected` (entry id, portal id) is never proposed, by any method.
    """
    refused: dict[int, set[str]] = defaultdict(set)
    for entry_id, portal_id in rejected:
        refused[entry_id].add(portal_id)
    by_scope: dict[str | None, list[DatasetKey]] = defaultdict(list)
    for dataset in datasets:
        by_scope[dataset.scope].append(dataset)
    titles = {d.portal_id: normalize_title(d.title) for d in datasets}
    wanted = {e.id: normalize_title(e.name) for e in entries}
    table = _alphabet([*titles.values(), *wanted.values()])
    scopes = {
        name: _Scope(items, [titles[d.portal_id] for d in items], table)
        for name, items in by_scope.items()
    }
    taken = set(taken)
    for portal_id in taken:
        for scope in scopes.values():
            scope.take(portal_id)

    def take(dataset: DatasetKey) -> None:
        taken.add(dataset.portal_id)
        scopes[dataset.scope].take(dataset.portal_id)

    found: dict[int, tuple[DatasetKey, MatchMethod]] = {}
    pending = [e for e in entries if e.id not in settled]

    def allowed(entry: EntryKey) -> list[_Scope]:
        # Its units' own organizations first, then the holder's (shared) one.
        own = [scopes[s] for s in sorted(entry.scopes) if s in scopes]
        return own + ([scopes[None]] if None in scopes else [])

    # A stored link, then the very same title, for every entry before any similar title: a
    # close title ("… 2019 рік" for "… 2018 рік") must never take another entry's own dataset.
    for method in (MatchMethod.LINK, MatchMethod.NAME):
        for entry in pending:
            if entry.id in found:
                continue
            if method == MatchMethod.LINK:
                if not entry.portal_url:
                    continue
                key, index = entry.portal_url.rstrip("/").rsplit("/", 1)[-1], "by_slug"
            else:
                key, index = wanted[entry.id], "by_title"
            candidates = (d for s in allowed(entry) for d in getattr(s, index).get(key, ()))
            chosen = _first_free(candidates, taken, refused.get(entry.id, ()))
            if chosen is not None:
                take(chosen)
                found[entry.id] = (chosen, method)
    for entry in pending:
        if entry.id in found:
            continue
        best = max(
            (
                hit
                for s in allowed(entry)
                if (hit := s.close(wanted[entry.id], refused.get(entry.id, ()))) is not None
            ),
            key=lambda hit: hit[:2],
            default=None,
        )
        if best is not None:
            take(best[2])
            found[entry.id] = (best[2], MatchMethod.NAME)
    return [
        Proposal(
            e.id, e.number, e.name, found[e.id][0].portal_id, found[e.id][0].title, found[e.id][1]
        )
        for e in pending
        if e.id in found
    ]
