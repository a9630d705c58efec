"""The audit's findings per unit, as sentences a council signs: which unit, which datasets,
how many and how late. Pure functions over the report context's Annex 1 rows."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from report_templates.environment import plural_ua


@dataclass(frozen=True)
class Late:
    """A published dataset whose update is overdue."""

    name: str
    days: int
    working_days: bool
    private: bool


@dataclass
class UnitFinding:
    """What the publication analysis found for one unit (an entry counts for each unit)."""

    name: str
    required: int = 0
    published: int = 0
    private: int = 0
    late: list[Late] = field(default_factory=list)
    not_machine_readable: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def late_public(self) -> list[Late]:
        """Overdue datasets open to the public (private ones wait for martial law's end)."""
        return [late for late in self.late if not late.private]

    @property
    def problems(self) -> int:
        """How many things the unit has to put right."""
        return len(self.late_public) + len(self.not_machine_readable) + len(self.missing)

    @property
    def worst_days(self) -> int:
        """The longest overdue update, in days (0 when none is late)."""
        return max((late.days for late in self.late), default=0)


def days_ua(days: int, working: bool = False) -> str:
    """«634 дні», «1 робочий день», «5 робочих днів»."""
    if working:
        return f"{days} {plural_ua(days, 'робочий день', 'робочі дні', 'робочих днів')}"
    return f"{days} {plural_ua(days, 'день', 'дні', 'днів')}"


def datasets_ua(count: int) -> str:
    """«1 набір», «3 набори», «15 наборів»."""
    return f"{count} {plural_ua(count, 'набір', 'набори', 'наборів')}"


def of_datasets_ua(count: int) -> str:
    """After «з», «для», «до»: «з 1 набору», «з 4 наборів», «для 21 набору»."""
    return f"{count} {plural_ua(count, 'набору', 'наборів', 'наборів')}"


def quoted(names: Iterable[str]) -> str:
    """Every name in «», joined by «; » — never shortened (a text's own full stop dropped)."""
    return "; ".join(f"«{name.strip().rstrip('.')}»" for name in names)


def _verb(name: str, singular: str, plural: str) -> str:
    # «Комунальні підприємства оприлюднюють»: a unit named in the plural takes a plural verb.
    first = name.split(" ", 1)[0]
    return plural if first.endswith(("і", "ї")) and len(first) > 3 else singular


def unit_findings(annex1: Iterable[Mapping[str, Any]]) -> list[UnitFinding]:
    """Per unit of the register, worst first (most to put right, then the longest delay)."""
    units: dict[str, UnitFinding] = {}
    for entry in annex1:
        state = entry["state"]
        for unit in entry["units"]:
            found = units.setdefault(unit, UnitFinding(name=unit))
            found.required += 1
            if state["code"] == "missing":
                found.missing.append(entry["name"])
                continue
            found.published += 1
            private = state["code"] == "private"
            found.private += private
            if state.get("timeliness") == "overdue":
                found.late.append(
                    Late(
                        entry["name"],
                        int(state.get("overdue_days") or 0),
                        bool(state.get("working_days")),
                        private,
                    )
                )
            if state.get("machine_readable") is False:
                found.not_machine_readable.append(entry["name"])
    for found in units.values():
        found.late.sort(key=lambda late: -late.days)
    return sorted(units.values(), key=lambda f: (-f.problems, -f.worst_days, f.name))


def finding_sentence(found: UnitFinding) -> str:
    """One unit's state in a sentence: figures and names, nothing hidden."""
    parts = [
        f"{found.name} {_verb(found.name, 'оприлюднює', 'оприлюднюють')} {found.published} з "
        f"{of_datasets_ua(found.required)} даних переліку"
        + (f", з них {found.private} – у приватному режимі" if found.private else "")
    ]
    if found.late:
        longest = found.late[0]
        private_late = sum(late.private for late in found.late)
        parts.append(
            f"{_verb(found.name, 'не оновлює', 'не оновлюють')} вчасно {len(found.late)} з "
            f"{of_datasets_ua(found.published)}"
            + (f" (з них {private_late} – у приватному режимі)" if private_late else "")
            + f"; найдовше прострочення – {days_ua(longest.days, longest.working_days)} "
            f"(«{longest.name}»)"
        )
    if found.missing:
        parts.append(
            f"не оприлюднено {plural_ua(len(found.missing), 'набір', 'набори', 'набори')} "
            f"{quoted(found.missing)}"
        )
    if found.not_machine_readable:
        parts.append(
            f"у форматах, що не є машиночитаними, оприлюднено {quoted(found.not_machine_readable)}"
        )
    return "; ".join(parts)


def unit_actions(found: UnitFinding) -> str:
    """What one unit has to do, worst first; empty when nothing is to be put right."""
    actions = []
    if found.missing:
        actions.append(
            f"оприлюднити {plural_ua(len(found.missing), 'набір', 'набори', 'набори')} даних "
            f"{quoted(found.missing)}"
        )
    late = found.late_public
    if late:
        listed = "; ".join(
            f"«{item.name}» (прострочено на {days_ua(item.days, item.working_days)})"
            for item in late
        )
        actions.append(
            f"оновити {plural_ua(len(late), 'набір', 'набори', 'набори')} даних, оновлення "
            f"яких прострочено: {listed}, і надалі дотримуватися встановленої періодичності"
        )
    if found.not_machine_readable:
        actions.append(
            "перевести у машиночитані формати (CSV, JSON або XML) ресурси "
            f"{plural_ua(len(found.not_machine_readable), 'набору', 'наборів', 'наборів')} "
            f"{quoted(found.not_machine_readable)}"
        )
    if not actions:
        return ""
    return f"{found.name}: " + "; ".join(actions)


def private_summary(findings: Iterable[UnitFinding]) -> tuple[int, str]:
    """How many datasets are in private mode and, per unit, how many («Управління … – 6»)."""
    rows = sorted((f for f in findings if f.private), key=lambda f: (-f.private, f.name))
    return sum(f.private for f in rows), "; ".join(f"{f.name} – {f.private}" for f in rows)
