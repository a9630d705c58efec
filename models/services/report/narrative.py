"""The working group's narrative sections of the report: Markdown, sanitised to HTML."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

import markdown
import nh3
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.errors import Invalid
from models.report import SECTION_LABELS, ReportSection, SectionKey
from models.services.events import record_cycle_event
from models.services.report.rendering import request_render
from models.services.report.versions import ensure_report
from models.ukrainian import typographic

MAX_MARKDOWN = 100_000
# Markdown's HTML is reduced to text markup: no images, styles, scripts or forms, and links
# only to http(s) or to an anchor within the report (#…). The renderer's fetcher would refuse any
# URL anyway; this keeps it inert.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


def markdown_to_html(text: str) -> Markup:
    """Markdown as sanitised HTML, safe to place in the report and on pages."""
    # Raw HTML a user types is shown as text: Markdown's raw-HTML rules are switched off, so
    # its serializer escapes "<" and "&" once (escaping the input first broke "> quote" and
    # showed code spans' "<" as "&lt;"). nh3 below still removes anything not allowed.
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(text)
    # Headings inside a section are demoted below the report's own h2/h3.
    for level in (3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 3}>").replace(
            f"</h{level}>", f"</h{level + 3}>"
        )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )
    return Markup(_typeset(clean))  # noqa: S704 - sanitised by nh3 just above


_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_VERBATIM = frozenset({"code", "pre"})


def _typeset(html: str) -> str:
    """Ukrainian quotes, apostrophes and single stops in the text between tags (as the
    report's other text gets them), never inside code, nor in attributes."""
    out: list[str] = []
    verbatim = 0
    for piece in _TAG_OR_TEXT.split(html):
        if piece.startswith("<"):
            name = piece.strip("</>").split(" ", 1)[0].lower()
            if name in _VERBATIM:
                verbatim += -1 if piece.startswith("</") else 1
            out.append(piece)
        elif verbatim or not piece:
            out.append(piece)
        else:
            out.append(typographic(piece))
    return "".join(out)


def list_sections(session: Session, *, cycle_id: int) -> dict[SectionKey, ReportSection | None]:
    """Every narrative section key with its stored text (None when never written)."""
    report = ensure_report(session, cycle_id=cycle_id)
    stored = {
        s.key: s
        for s in session.scalars(select(ReportSection).where(ReportSection.report_id == report.id))
    }
    return {key: stored.get(key) for key in SectionKey}


def section_markdown(key: SectionKey, section: ReportSection | None, default: str = "") -> str:
    """The section's Markdown: the working group's text, else the draft from the data."""
    if section is not None:
        return section.markdown
    return default


def update_section(
    session: Session, *, cycle_id: int, key: SectionKey, text: str, now: datetime, actor: Actor
) -> ReportSection:
    """Write a narrative section; a new version will be rendered (an approved one stays as is)."""
    update_sections(session, cycle_id=cycle_id, texts={key: text}, now=now, actor=actor)
    sections = list_sections(session, cycle_id=cycle_id)
    section = sections[key]
    assert section is not None
    return section


def update_sections(
    session: Session,
    *,
    cycle_id: int,
    texts: Mapping[SectionKey, str],
    now: datetime,
    actor: Actor,
    current: Mapping[SectionKey, str] | None = None,
) -> list[SectionKey]:
    """Write several sections at once: one change of the text, one new draft version.

    `current` is what the page showed (the stored text, else the draft from the data): a section
    sent back unchanged is not written, so an untouched draft keeps following the data. Returns
    the sections written (none: nothing changed, no new version asked for).
    """
    for text in texts.values():
        if len(text) > MAX_MARKDOWN:
            raise Invalid(f"Текст розділу довший за {MAX_MARKDOWN} символів.", field="markdown")
    report = ensure_report(session, cycle_id=cycle_id)
    stored = list_sections(session, cycle_id=cycle_id)
    shown = current or {}
    written: list[SectionKey] = []
    for key, text in texts.items():
        clean = text.replace("\r\n", "\n").strip()
        section = stored[key]
        before = section.markdown if section is not None else shown.get(key)
        if before is not None and before.strip() == clean:
            continue
        if section is None:
            section = ReportSection(report_id=report.id, key=key)
            session.add(section)
        section.markdown = clean
        section.updated_by = actor.label
        written.append(key)
    if not written:
        return []
    request_render(session, report=report, now=now)
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="report.section_edited",
        at=now,
        actor=actor,
        details={"section": ", ".join(k.value for k in written)},
    )
    return written


class SectionContext(TypedDict):
    """A narrative section as the report shows it."""

    label: str
    html: Markup  # empty when not written


def narrative_context(
    session: Session, *, cycle_id: int, drafts: Mapping[SectionKey, str] | None = None
) -> dict[str, SectionContext]:
    """Each section's sanitised HTML (the draft when not written; empty Markup without one)."""
    drafts = drafts or {}
    return {
        key.value: {
            "label": SECTION_LABELS[key],
            "html": markdown_to_html(section_markdown(key, section, drafts.get(key, ""))),
        }
        for key, section in list_sections(session, cycle_id=cycle_id).items()
    }
