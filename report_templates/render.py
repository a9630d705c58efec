"""Render the information-audit report (a ReportContext, docs/report_context.md) to PDF with
Jinja2 and WeasyPrint."""

from collections.abc import Mapping
from typing import Any

from weasyprint import HTML

from report_templates.environment import TEMPLATES_DIR, TemplateOnlyURLFetcher
from report_templates.parallel import DEFAULT_MEMORY_MB, capped_pool, full_html, render_parallel
from report_templates.style import DEFAULT_STYLE, HouseStyle
from report_templates.tagged import tagged_inputs, write_tagged


def render(
    context: Mapping[str, Any],
    *,
    workers: int | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    tagged: bool = False,
    style: HouseStyle = DEFAULT_STYLE,
) -> bytes:
    """Render the report context to a PDF/A-3u with its annexes' data attached.

    Untagged, the document is cut into parts rendered in parallel worker processes with a
    memory cap (``memory_mb`` of address space each; ``workers`` None or 0: min(2, CPUs)),
    merged, numbered and given a table of contents (report_templates/parallel.py). Tagged
    (an accessible PDF with its structure tree), it is laid out whole in one capped worker
    (report_templates/tagged.py says why). ``style`` is the council's house style.
    """
    styled = {**context, "house_style": style.context()}
    if tagged:
        return render_tagged(styled, memory_mb=memory_mb)
    return render_parallel(styled, workers=workers, memory_mb=memory_mb, margins=style.margins)


def render_tagged(context: Mapping[str, Any], *, memory_mb: int = DEFAULT_MEMORY_MB) -> bytes:
    """The report as one tagged PDF/A-3u, laid out in one worker process with a memory cap."""
    html, files = tagged_inputs(context)
    with capped_pool(1, memory_mb) as pool:
        return pool.submit(write_tagged, html, files).result()


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
