"""Render the report in parts, in parallel worker processes with a memory cap, and merge them.

1. The template's HTML is cut into the title page and body parts (report_templates/chunking.py).
2. Worker processes (forkserver, an address-space limit each) lay out the parts at the same
   time; each reports its page count and on which of its pages every heading landed.
3. The front part (title page and table of contents) is rendered again with the now known
   page numbers: two pages, not a second full render.
4. pypdf merges the parts; a numbering pass stamps continuous page numbers on every page
   but the first, with digit glyphs taken from a one-line PDF rendered once in the same font.

Every part is PDF/A-3u; the front part carries the annexes' data as CSV/JSON attachments and
the output intent and XMP metadata of the merged file.
"""

import io
import logging
import math
import multiprocessing
import os
import re
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
)
from weasyprint import HTML, Attachment

from report_templates.attachments import ReportAttachment, annex_attachments
from report_templates.chunking import Heading, pack, split_document
from report_templates.render import (
    TEMPLATES_DIR,
    TemplateOnlyURLFetcher,
    _environment,
    render_html,
)

PDF_VARIANT = "pdf/a-3u"
FULL_CSS_LINK = '<link rel="stylesheet" href="sections/full.css">'
# Numbers come from the numbering pass; a part's first page keeps the running header.
PART_CSS = """<style>
@page { @bottom-center { content: none; } }
@page :first { @top-center { content: element(running-header); } }
section.continued { break-before: auto; }
</style>"""
FRONT_CSS = "<style>@page { @bottom-center { content: none; } }</style>"
MIN_PART_CHARS = 40_000  # smaller parts cost more in start-up than they save
PARTS_PER_WORKER = 3  # several parts per worker even out their different speeds
DEFAULT_MEMORY_MB = 1400  # address space per worker (virtual, not resident)

# Where report.css's @page puts the page number: bottom-centre of A4 with margins
# 22 12 20 25 mm, 9 pt, #333. Kept in step with report.css by test_report_full.
MM = 72 / 25.4
NUMBER_SIZE = 9.0
NUMBER_CENTRE_X = 25 * MM + (210 - 25 - 12) * MM / 2
NUMBER_BASELINE_Y = 20 * MM / 2 - NUMBER_SIZE * 0.35


log = logging.getLogger("infoaudit.render")


class RenderError(RuntimeError):
    """The report could not be rendered (the message is Ukrainian)."""


@dataclass(frozen=True)
class PartResult:
    """A rendered part: its PDF, its page count and each anchor's page index within it."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]


def _with_css(html: str) -> str:
    return html.replace("</head>", FULL_CSS_LINK + "</head>", 1)


def toc_html(headings: list[Heading], pages: dict[str, int] | None) -> str:
    """The table of contents: literal page numbers, or target-counter() links when None."""
    template = _environment().get_template("sections/toc.j2")
    return template.render(headings=headings, pages=pages)


def full_html(context: dict[str, Any]) -> str:
    """The whole report as one HTML document with a target-counter() table of contents."""
    split = split_document(render_html(context), target=math.inf)  # type: ignore[arg-type]
    return _document(
        split.head, split.header + split.front + toc_html(split.headings, None), split.pieces
    )


def _document(head: str, front: str, pieces: list[str], extra_css: str = "") -> str:
    head = head.replace("</head>", FULL_CSS_LINK + extra_css + "</head>", 1)
    return f'<!DOCTYPE html>\n<html lang="uk">{head}<body>{front}{"".join(pieces)}</body></html>'


def _limit_memory(limit_bytes: int) -> None:
    """Worker initializer: cap the address space so a runaway render fails, not the host."""
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def render_part(html: str, attachments: list[ReportAttachment] | None = None) -> PartResult:
    """Lay out and write one part (runs in a worker process)."""
    started = time.monotonic()
    document = HTML(
        string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher()
    ).render(pdf_variant=PDF_VARIANT)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    files = [
        Attachment(
            file_obj=io.BytesIO(a.data),
            name=a.name,
            description=a.description,
            relationship="Data",
        )
        for a in attachments or []
    ]
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=files)
    assert pdf is not None
    log.debug("part of %d pages in %.1f s", len(document.pages), time.monotonic() - started)
    return PartResult(pdf=pdf, pages=len(document.pages), anchors=anchors)


@lru_cache(maxsize=1)
def _digits_pdf() -> bytes:
    html = (
        '<html><head><link rel="stylesheet" href="report.css">'
        "<style>@page{size:A4;margin:0}body{margin:0;"
        f'font-family:"DejaVu Sans Report";font-size:{NUMBER_SIZE}pt}}</style>'
        '</head><body><p style="text-indent:0">'
        "0123456789</p></body></html>"
    )
    pdf = HTML(string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher())
    data = pdf.write_pdf(pdf_variant=PDF_VARIANT)
    assert data is not None
    return data


_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _digit_font(writer: PdfWriter) -> tuple[IndirectObject, dict[str, str], dict[str, float]]:
    """The digits' font added to the writer, each digit's glyph code (hex) and width (em/1000)."""
    page = PdfReader(io.BytesIO(_digits_pdf())).pages[0]
    resources: Any = page["/Resources"]
    fonts: Any = resources["/Font"]
    (font_name,) = list(fonts.keys())
    content = page.get_contents()
    assert content is not None
    codes = b"".join(_HEX.findall(content.get_data())).decode("ascii")
    glyph_codes = [codes[i : i + 4] for i in range(0, len(codes), 4)]
    if len(glyph_codes) != 10:
        raise RenderError("Не вдалося підготувати шрифт для нумерації сторінок.")
    font = fonts[font_name].get_object()
    widths: dict[int, float] = {}
    w = font["/DescendantFonts"][0].get_object().get("/W", [])
    index = 0
    while index < len(w):
        first, second = int(w[index]), w[index + 1]
        if isinstance(second, list | ArrayObject):
            for offset, width in enumerate(second):
                widths[first + offset] = float(width)
            index += 2
        else:
            for cid in range(first, int(second) + 1):
                widths[cid] = float(w[index + 2])
            index += 3
    digits = "0123456789"
    font_ref = writer._add_object(font.clone(writer))
    return (
        font_ref,
        dict(zip(digits, glyph_codes, strict=True)),
        {d: widths.get(int(code, 16), 600.0) for d, code in zip(digits, glyph_codes, strict=True)},
    )


def stamp_page_numbers(writer: PdfWriter, *, first_numbered: int = 2) -> None:
    """The numbering pass: draw each page's number (from ``first_numbered`` on) at the foot."""
    font_ref, codes, widths = _digit_font(writer)
    opening = DecodedStreamObject()
    opening.set_data(b"q\n")
    opening_ref = writer._add_object(opening)
    for number, page in enumerate(writer.pages, start=1):
        if number < first_numbered:
            continue
        label = str(number)
        width = sum(widths[d] for d in label) * NUMBER_SIZE / 1000
        x = NUMBER_CENTRE_X - width / 2
        hex_codes = "".join(codes[d] for d in label)
        stamp = DecodedStreamObject()
        stamp.set_data(
            f"\nQ\nq 0.2 0.2 0.2 rg BT /FInfoauditNum {NUMBER_SIZE:g} Tf "
            f"{x:.2f} {NUMBER_BASELINE_Y:.2f} Td <{hex_codes}> Tj ET Q\n".encode("ascii")
        )
        contents = page.get("/Contents")
        existing = contents.get_object() if contents is not None else ArrayObject()
        streams = list(existing) if isinstance(existing, ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject(
            [opening_ref, *streams, writer._add_object(stamp)]
        )
        resources = page.get("/Resources")
        resources_obj: Any = resources.get_object() if resources is not None else DictionaryObject()
        if resources is None:
            page[NameObject("/Resources")] = resources_obj
        font_dict: Any = resources_obj.get("/Font")
        if font_dict is None:
            font_dict = DictionaryObject()
            resources_obj[NameObject("/Font")] = font_dict
        font_dict.get_object()[NameObject("/FInfoauditNum")] = font_ref


def merge_parts(parts: list[bytes]) -> PdfWriter:
    """The parts as one document; the first part's catalog (XMP, output intent, files) is kept."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(parts[0])))
    for pdf in parts[1:]:
        writer.append(PdfReader(io.BytesIO(pdf)))
    return writer


def _workers(requested: int | None) -> int:
    configured = int(os.environ.get("INFOAUDIT_RENDER_WORKERS") or 0)
    return max(1, requested or configured or min(2, os.cpu_count() or 1))


def _memory_limit() -> int:
    megabytes = int(os.environ.get("INFOAUDIT_RENDER_MEMORY_MB") or DEFAULT_MEMORY_MB)
    return megabytes * 1024 * 1024


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has WeasyPrint imported already.
    context.set_forkserver_preload(["report_templates.parallel"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_limit_memory,
        initargs=(_memory_limit(),),
    )


def render_parallel(context: dict[str, Any], *, workers: int | None = None) -> bytes:
    """The whole report as a PDF/A-3u: parts in parallel, merged, numbered, with a TOC."""
    count = _workers(workers)
    with _pool(count) as pool:
        # The workers start (WeasyPrint imported in the fork server) while the HTML is built.
        for _ in range(count):
            pool.submit(_warm_up)
        return _render_with(pool, context, count)


def _warm_up() -> None:
    """Nothing: makes the pool start its workers early."""


def _render_with(pool: ProcessPoolExecutor, context: dict[str, Any], count: int) -> bytes:
    started = time.monotonic()
    source = render_html(context)
    total = len(source)
    target = max(MIN_PART_CHARS, math.ceil(total / (count * PARTS_PER_WORKER)))
    split = split_document(source, target=target)
    groups = pack(split.weights, target=target)
    bodies = [
        _document(split.head, split.header, [split.pieces[i] for i in group], PART_CSS)
        for group in groups
    ]
    attachments = annex_attachments(context)
    log.debug("html and %d parts ready in %.1f s", len(bodies), time.monotonic() - started)

    def front(pages: dict[str, int] | None) -> str:
        placeholder = {h.anchor: 999 for h in split.headings}
        toc = toc_html(split.headings, pages if pages is not None else placeholder)
        return _document(split.head, split.header + split.front + toc, [], FRONT_CSS)

    try:
        draft_front = pool.submit(render_part, front(None))
        futures = [pool.submit(render_part, body) for body in bodies]
        front_pages = draft_front.result().pages
        results = [f.result() for f in futures]
        pages: dict[str, int] = {}
        offset = front_pages
        for result in results:
            for anchor, index in result.anchors.items():
                pages.setdefault(anchor, offset + index + 1)
            offset += result.pages
        final_front = pool.submit(render_part, front(pages), attachments).result()
    except MemoryError as exc:
        raise RenderError(
            "Формування звіту перевищило ліміт пам’яті процесу "
            f"({_memory_limit() // 2**20} МБ, INFOAUDIT_RENDER_MEMORY_MB)."
        ) from exc
    except BrokenProcessPool as exc:
        raise RenderError(
            "Процес формування звіту аварійно завершився (можливо, через ліміт пам’яті)."
        ) from exc
    if final_front.pages != front_pages:
        # Real numbers are never wider than the placeholder "999"; this cannot shift pages.
        raise RenderError("Зміст звіту змінив кількість сторінок під час нумерації.")
    log.debug("parts rendered at %.1f s", time.monotonic() - started)
    writer = merge_parts([final_front.pdf, *(r.pdf for r in results)])
    stamp_page_numbers(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    log.debug("merged, numbered and written at %.1f s", time.monotonic() - started)
    return buffer.getvalue()
