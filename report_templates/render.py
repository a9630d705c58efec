"""Render the information-audit report (a ReportContext, docs/report_context.md) to PDF with
Jinja2 and WeasyPrint."""

from collections.abc import Mapping
from typing import Any

from weasyprint import HTML

from report_templates.environment import TEMPLATES_DIR, TemplateOnlyURLFetcher
from report_templates.parallel import DEFAULT_MEMORY_MB, full_html, render_parallel


def render(
    context: Mapping[str, Any], *, workers: int | None = None, memory_mb: int = DEFAULT_MEMORY_MB
) -> bytes:
    """Render the report context to a PDF/A-3u with its annexes' data attached.

    The document is cut into parts rendered in parallel worker processes with a memory cap
    (``memory_mb`` of address space each; ``workers`` None or 0: min(2, CPUs)), merged,
    numbered and given a table of contents (report_templates/parallel.py).
    """
    return render_parallel(context, workers=workers, memory_mb=memory_mb)


def render_single(context: Mapping[str, Any]) -> bytes:
    """Render the same HTML as one WeasyPrint document in this process (the baseline)."""
    html = HTML(
        string=full_html(context),
        base_url=str(TEMPLATES_DIR),
        url_fetcher=TemplateOnlyURLFetcher(),
    )
    pdf = html.write_pdf()
    if pdf is None:  # only happens when a target is given
        raise RuntimeError("WeasyPrint returned no PDF bytes")
    return pdf
