"""Render the report as one tagged PDF/A-3u (PDF/UA-style structure tree) in a worker process.

WeasyPrint (>= 63) writes the structure tree (headings, tables with header cells, lists,
figures with their alternative text, the document language) only for a document it lays out
whole: each part of the parallel renderer would carry a tree of its own, with its own
/ParentTree numbering and /StructParents keys, and pypdf cannot merge those. So when the
report must be tagged it is laid out as one document, in one worker process that keeps the
memory cap; the table of contents then uses target-counter() and WeasyPrint's own page
numbers and bookmarks. Measured with bench/report.py (docs in README, "Rendering").
"""

import io
from collections.abc import Mapping
from typing import Any

from weasyprint import HTML, Attachment

from report_templates.assemble import PDF_VARIANT
from report_templates.attachments import ReportAttachment, annex_attachments
from report_templates.environment import TEMPLATES_DIR, RenderError, TemplateOnlyURLFetcher
from report_templates.parallel import full_html


def write_tagged(html: str, attachments: list[ReportAttachment]) -> bytes:
    """Lay out and write one whole document, tagged, with its data attached (in a worker)."""
    files = [
        Attachment(
            file_obj=io.BytesIO(a.data),
            name=a.name,
            description=a.description,
            relationship="Data",
        )
        for a in attachments
    ]
    document = HTML(string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher())
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=files)
    if pdf is None:  # only happens when a target is given
        raise RenderError("Не вдалося сформувати PDF звіту.")
    return pdf


def tagged_inputs(context: Mapping[str, Any]) -> tuple[str, list[ReportAttachment]]:
    """The whole report's HTML (one document, target-counter() contents) and its files."""
    return full_html(context), annex_attachments(context)
