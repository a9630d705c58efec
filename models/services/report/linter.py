"""The report linter: what a careful reader would flag in the text before the working group
approves a version — another council's name or website (a paragraph copied from another
report), figures that disagree with the data, empty sections, placeholders left in."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from models.report import SECTION_LABELS, SectionKey
from models.services.report.context import build_report_context, drafts_of
from models.services.report.narrative import list_sections, section_markdown

LintKind = Literal["other_holder", "other_site", "figure", "empty", "placeholder"]

KIND_LABELS: dict[LintKind, str] = {
    "other_holder": "інша рада",
    "other_site": "чужий сайт",
    "figure": "цифра не збігається з даними",
    "empty": "порожній розділ",
    "placeholder": "незаповнене місце",
}


@dataclass(frozen=True)
class LintFinding:
    """One thing to look at, in one section, said in Ukrainian."""

    section: SectionKey | None  # None: Annex 2, the services as the units described them
    kind: LintKind
    message: str
    service: str = ""  # in Annex 2: the service's name

    @property
    def section_label(self) -> str:
        """Where it is: the section's heading, or the Annex 2 row."""
        if self.section is None:
            return f"Додаток 2, сервіс «{self.service}»"
        return SECTION_LABELS[self.section]

    @property
    def kind_label(self) -> str:
        """What kind of problem it is, in a word or two."""
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class LintFacts:
    """What the text is checked against: the holder and the cycle's figures."""

    organization_name: str
    website: str
    units: int
    units_with_questionnaire: int
    questionnaires: int
    information_systems: int
    survey_participants: int
    register_entries: int


# «Вінницької міської ради», «Львівська міська рада», «Брошнів-Осадської селищної ради»…
_HOLDER = re.compile(
    r"\b([А-ЯҐЄІЇ][а-яґєії’'\-]*?(?:ськ|цьк|зьк)(?:а|ої|ій|у|ою))\s+"
    r"(?:міськ|сільськ|селищн|обласн|районн)(?:а|ої|ій|у|ою)\s+рад(?:а|и|і|у|ою)\b"
)
_HOST = re.compile(r"(?:https?://)?\b((?:[a-z0-9\-]+\.)+gov\.ua)\b", re.IGNORECASE)
# National sites every council's report may cite.
NATIONAL_SITES = (
    "data.gov.ua",
    "rada.gov.ua",
    "kmu.gov.ua",
    "thedigital.gov.ua",
    "diia.gov.ua",
    "czo.gov.ua",
    "id.gov.ua",
    "prozorro.gov.ua",
    "spending.gov.ua",
    "nads.gov.ua",
    "minregion.gov.ua",
    "president.gov.ua",
)
_PLACEHOLDER = re.compile(
    r"TODO|TBD|XXX|ХХХ|_{3,}|\.{4,}|\{\{|\}\}|\[\s*(?:вставте|вкажіть|дата|назва|…|\.\.\.)[^\]]*\]"
    r"|<\s*(?:вставте|вкажіть)[^>]*>|«\s*»",
    re.IGNORECASE,
)
# A figure and what it counts, in the wording reports use ("42 записи про інформаційні системи").
_FIGURES: tuple[tuple[re.Pattern[str], tuple[str, ...], str], ...] = (
    (
        re.compile(r"\b(\d+)\s+запис(?:и|ів)?\s+про\s+інформаційн", re.IGNORECASE),
        ("information_systems",),
        "записів про інформаційні системи",
    ),
    (re.compile(r"\b(\d+)\s+анкет(?:а|и|у)?\b", re.IGNORECASE), ("questionnaires",), "анкет"),
    (
        re.compile(r"\b(\d+)\s+(?:учасник(?:и|ів)?|респондент(?:и|ів)?)\b", re.IGNORECASE),
        ("survey_participants",),
        "учасників опитування",
    ),
    # "у 17 підрозділах" (audited) or "у 13 підрозділах" (those that answered) are both true.
    (
        re.compile(r"\bу\s+(\d+)\s+підрозділах\b", re.IGNORECASE),
        ("units", "units_with_questionnaire"),
        "підрозділів",
    ),
)


def _stem(holder: str) -> str:
    """The place part of a council's name, case ending dropped ("Калуськ", "Вінницьк")."""
    return re.sub(r"(?:а|ої|ій|у|ою)$", "", holder.split()[0]).casefold() if holder else ""


def _site_of(url: str) -> str:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.").casefold()


def _own_site(host: str, website: str) -> bool:
    own = _site_of(website)
    return bool(own) and (host == own or host.endswith("." + own))


def _national(host: str) -> bool:
    return any(host == site or host.endswith("." + site) for site in NATIONAL_SITES)


def _foreign(
    text: str, facts: LintFacts, section: SectionKey | None, service: str = ""
) -> list[LintFinding]:
    """Another council's name or site in a text: what a paragraph copied from another report
    leaves behind."""
    found: list[LintFinding] = []
    own = _stem(facts.organization_name)
    for holder in sorted({m.group(0) for m in _HOLDER.finditer(text)}):
        if _stem(holder) != own:
            found.append(
                LintFinding(
                    section,
                    "other_holder",
                    f"Згадано «{holder}», а звіт — про «{facts.organization_name}»: "
                    "перевірте, чи це не фрагмент, скопійований з чужого звіту.",
                    service,
                )
            )
    for host in sorted({m.group(1).casefold() for m in _HOST.finditer(text)}):
        if not _own_site(host, facts.website) and not _national(host):
            found.append(
                LintFinding(
                    section,
                    "other_site",
                    f"Адреса {host} не належить ні розпоряднику"
                    f"{f' ({_site_of(facts.website)})' if facts.website else ''}, "
                    "ні загальнодержавним ресурсам: перевірте, чи вона тут доречна.",
                    service,
                )
            )
    return found


def lint_texts(
    texts: Mapping[SectionKey, str],
    facts: LintFacts,
    services: Sequence[Mapping[str, Any]] = (),
) -> list[LintFinding]:
    """The findings in these sections' Markdown, in the report's order, then in the Annex 2
    services (their name, address, basis and description as the units gave them)."""
    findings: list[LintFinding] = []
    for key in SectionKey:
        text = texts.get(key, "")
        if not text.strip():
            findings.append(
                LintFinding(key, "empty", "Розділ порожній: у звіті буде лише заголовок.")
            )
            continue
        findings += _foreign(text, facts, key)
        for match in sorted({m.group(0) for m in _PLACEHOLDER.finditer(text)}):
            findings.append(
                LintFinding(key, "placeholder", f"Незаповнене місце «{match}»: допишіть текст.")
            )
        for pattern, fields, noun in _FIGURES:
            allowed = [getattr(facts, field) for field in fields]
            expected = " або ".join(str(n) for n in dict.fromkeys(allowed))
            for number in sorted({int(m.group(1)) for m in pattern.finditer(text)}):
                if number not in allowed:
                    findings.append(
                        LintFinding(
                            key,
                            "figure",
                            f"У тексті {number} {noun}, а за даними циклу — {expected}.",
                        )
                    )
    for service in services:
        text = " ".join(str(service.get(f) or "") for f in ("name", "url", "basis", "description"))
        findings += _foreign(text, facts, None, str(service.get("name") or ""))
    return findings


@dataclass(frozen=True)
class TextReview:
    """The drafts the console offers and what the linter finds in the text as it stands."""

    drafts: dict[SectionKey, str]
    findings: list[LintFinding]


def review_text(session: Session, *, cycle_id: int, now: datetime) -> TextReview:
    """The drafts from the data, and the findings in the text the next version would carry
    (the working group's, else the drafts), from one reading of the cycle's figures."""
    context = build_report_context(session, cycle_id=cycle_id, now=now, version=0)
    drafts = drafts_of(session, context, cycle_id=cycle_id)
    texts = {
        key: section_markdown(key, section, drafts[key])
        for key, section in list_sections(session, cycle_id=cycle_id).items()
    }
    counts = context["counts"]
    facts = LintFacts(
        organization_name=context["organization"]["name"],
        website=context["organization"]["website"],
        units=counts["units"],
        units_with_questionnaire=counts["units_with_questionnaire"],
        questionnaires=counts["questionnaires"],
        information_systems=counts["information_systems"],
        survey_participants=counts["survey_participants"],
        register_entries=counts["register_entries"],
    )
    findings = lint_texts(texts, facts, context["annex2"])
    return TextReview(drafts=drafts, findings=findings)


def lint_report(session: Session, *, cycle_id: int, now: datetime) -> list[LintFinding]:
    """The findings in the text the next version would carry."""
    return review_text(session, cycle_id=cycle_id, now=now).findings
