"""Default texts of the report's narrative sections, drafted from the cycle's data.

Each section's draft is a Jinja template of Markdown in drafts/ rendered over the report
context; the working group replaces or edits it (models.services.report.narrative). A draft
states only what the data shows: interviews held or not, a schedule approved or not."""

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from models.report import SectionKey
from models.services.report.findings import (
    datasets_ua,
    days_ua,
    finding_sentence,
    of_datasets_ua,
    private_summary,
    quoted,
    unit_findings,
)
from report_templates.environment import date_long, date_ua, is_http_url, percent_ua, plural_ua

DRAFTS_DIR = Path(__file__).resolve().parent / "drafts"
MAIN_SERVICES = 8  # the services the main part names; all of them are in Annex 2


def lcfirst(value: str) -> str:
    """A name inside a sentence: «Управління освіти» → «управління освіти»; «КНП …» stays."""
    cyrillic = "\u0400" <= value[:1] <= "\u04ff"  # «Facebook», «Instagram» keep their case
    if (
        len(value) > 1
        and cyrillic
        and value[0].isupper()
        and (value[1].islower() or value[1] == " ")
    ):
        return value[0].lower() + value[1:]
    return value


def sentence(value: str) -> str:
    """Text ending with exactly one full stop."""
    value = value.strip()
    return value if value.endswith((".", "!", "?", "…")) else value + "."


def names_ua(values: list[str], lower: bool = True) -> str:
    """Names joined as running text: every one, never «та ще N»."""
    shown = [lcfirst(v) if lower else v for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " та " + shown[-1]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(DRAFTS_DIR),
        autoescape=False,  # noqa: S701 - Markdown, escaped by narrative.markdown_to_html
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        date_ua=date_ua,
        date_long=date_long,
        percent_ua=percent_ua,
        plural_ua=plural_ua,
        lcfirst=lcfirst,
        sentence=sentence,
        names_ua=names_ua,
        datasets_ua=datasets_ua,
        of_datasets_ua=of_datasets_ua,
        days_ua=days_ua,
        quoted=quoted,
    )
    env.tests["http_url"] = is_http_url
    return env


def _stage(context: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return next(dict(s) for s in context["stages"] if s["kind"] == kind)


def first_sentence(text: str) -> str:
    """A description's first sentence (its full stop dropped): what the service is for."""
    text = " ".join(text.split())
    match = re.match(r"(.+?[^.\s]{3})\.(\s+[A-ZА-ЯІЇЄҐ]|$)", text)
    return (match.group(1) if match else text).rstrip(".")


def _main_services(annex2: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The services used by most units first (ties in Annex 2's order), each with a summary."""
    ranked = sorted(enumerate(annex2), key=lambda pair: (-len(pair[1]["units"]), pair[0]))
    return [
        {**service, "summary": first_sentence(service.get("description") or "")}
        for _, service in ranked[:MAIN_SERVICES]
    ]


def _questions(annex3: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each question with its chosen options, most chosen first (none left out)."""
    return [
        {
            **question,
            "chosen": sorted(
                (o for o in question["options"] if o["count"]),
                key=lambda o: (-o["count"], o["label"]),
            ),
        }
        for question in annex3
    ]


def draft_values(context: Mapping[str, Any]) -> dict[str, Any]:
    """What the drafts use besides the context: findings, main services, ranked answers."""
    findings = unit_findings(context["annex1"])
    interviews = context.get("interviews") or {"skipped": False, "skipped_reason": None}
    items = interviews.get("items") or []
    return {
        "findings": [
            {"name": f.name, "problems": f.problems, "sentence": finding_sentence(f)}
            for f in findings
        ],
        "private_units": private_summary(findings)[1],
        "main_services": _main_services(context["annex2"]),
        "portal_url": next(
            (s["url"] for s in context["annex2"] if "data.gov.ua" in (s["url"] or "")), ""
        ),
        "questions": _questions(context["annex3"]),
        "stage": {s["kind"]: _stage(context, s["kind"]) for s in context["stages"]},
        "interviews": {
            "skipped": bool(interviews.get("skipped")),
            "reason": interviews.get("skipped_reason") or "",
            "approved_on": interviews.get("schedule_approved_on"),
            "planned": len(items),
            "held": sum(1 for i in items if i.get("held")),
        },
    }


_LIST_ITEM = re.compile(r"^(- |\d+\. )")


def paragraphs(markdown: str) -> str:
    """One blank line between paragraphs and around lists, whatever the template's tags left:
    each line of a draft is its own paragraph or list item (nested items are indented)."""
    out: list[str] = []
    for line in markdown.strip().splitlines():
        line = line.rstrip()
        previous = out[-1] if out else ""
        if line and previous and not line.startswith(" "):
            both_items = _LIST_ITEM.match(line) and (
                _LIST_ITEM.match(previous) or previous.startswith(" ")
            )
            if not both_items:
                out.append("")
        if line or (previous and out):
            out.append(line)
    return "\n".join(re.sub(r"\n{3,}", "\n\n", "\n".join(out)).splitlines()) + "\n"


def draft_sections(context: Mapping[str, Any]) -> dict[SectionKey, str]:
    """Every narrative section's default Markdown for this context."""
    values = {**context, **draft_values(context)}
    env = _environment()
    return {
        key: paragraphs(env.get_template(f"{key.value}.md.j2").render(**values))
        for key in SectionKey
    }
