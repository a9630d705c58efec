"""Render the report in parts, in parallel worker processes with a memory cap, and merge them.

1. The template's HTML is cut into the title page and body parts of about equal layout cost
   (report_templates/chunking.py); every part is a complete document.
2. Worker processes (forkserver, an address-space limit each) lay out the parts; each
   reports its page count, where its anchors landed and where its links are.
3. The parent appends each finished part to the output while the others still render
   (report_templates/assemble.py).
4. The front part (title page and table of contents) is rendered twice: first as a draft that
   gives its page count and the document catalog (metadata, output intent, the annexes'
   files), then, once every part's pages are known, with the real page numbers — two pages,
   not a second full render.
5. The assembler puts the front first, stamps continuous page numbers and turns the table of
   contents into links and an outline.

Every part is PDF/A-3u; the draft front carries the annexes' data as CSV/JSON attachments.
"""

import gc
import io
import logging
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from weasyprint import HTML, Attachment

from report_templates.assemble import PDF_VARIANT, Assembler, LinkArea, Target
from report_templates.attachments import ReportAttachment, annex_attachments
from report_templates.chunking import Heading, split_document
from report_templates.environment import (
    TEMPLATES_DIR,
    RenderError,
    TemplateOnlyURLFetcher,
    environment,
    render_html,
)
from report_templates.owner_watch import watch_owner
from report_templates.style import DEFAULT_STYLE, Margins

FULL_CSS_LINK = '<link rel="stylesheet" href="sections/full.css">'
# Numbers come from the numbering pass; a part's first page keeps the running header.
PART_CSS = """<style>
@page { @bottom-center { content: none; } }
@page :first { @top-center { content: element(running-header); } }
section.continued { break-before: auto; }
</style>"""
FRONT_CSS = "<style>@page { @bottom-center { content: none; } }</style>"
CONTENTS_ANCHOR = "contents"  # the table of contents' own id (sections/toc.j2)
# Part sizes in characters of text (chunking.py weighs parts by text). About 2.8 s of a
# worker per 100,000 measured on the report's tables; every part also costs ~0.2 s to start
# and ends on a half-empty page, so a few parts per worker balance without many of those.
PARTS_PER_WORKER = 4
MIN_PART_WEIGHT = 60_000
MAX_PART_WEIGHT = 320_000  # keeps a worker near 300 MB resident whatever the report's size
DEFAULT_MEMORY_MB = 1400  # address space per worker (virtual, not resident)
# WeasyPrint builds millions of small objects; with the default thresholds the cyclic garbage
# collector rescans them so often that it costs a quarter of the layout time (measured). The
# workers collect rarely and fully after each part; the imported modules are frozen.
WORKER_GC_THRESHOLDS = (50_000, 20, 100)
PLACEHOLDER_PAGE = 99_999  # as wide as any real page number: the draft TOC's layout holds
PT_PER_PX = 0.75  # WeasyPrint lays out in CSS pixels; PDF units are points

log = logging.getLogger("infoaudit.render")


@dataclass(frozen=True)
class PartResult:
    """A rendered part: its PDF and pages, where its anchors landed and its internal links."""

    pdf: bytes
    pages: int
    anchors: dict[str, Target]  # page index within the part
    links: list[LinkArea] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time in the worker
    cpu: float = 0.0  # seconds of the worker's CPU time: the machine may be busy with others


def toc_html(headings: list[Heading], pages: dict[str, int] | None) -> str:
    """The table of contents: literal page numbers, or target-counter() links when None."""
    template = environment().get_template("sections/toc.j2")
    return template.render(headings=headings, pages=pages)


def full_html(context: Mapping[str, Any]) -> str:
    """The whole report as one HTML document with a target-counter() table of contents."""
    split = split_document(render_html(context))
    return _document(
        split.head, split.header + split.front + toc_html(split.headings, None), split.parts
    )


def _document(head: str, front: str, parts: list[str], extra_css: str = "") -> str:
    head = head.replace("</head>", FULL_CSS_LINK + extra_css + "</head>", 1)
    return f'<!DOCTYPE html>\n<html lang="uk">{head}<body>{front}{"".join(parts)}</body></html>'


def _init_worker(limit_bytes: int, owner_pid: int = 0) -> None:
    """Worker initializer: cap the address space so a runaway render fails, not the host;
    end with the owner if it is killed; leave the imported modules out of garbage collection
    and collect rarely."""
    if owner_pid:
        # Before the cap: under it, a new thread may die before it has started, and starting
        # it then waits forever.
        watch_owner(owner_pid)
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


class _ExternalAnchors(logging.Filter):
    """Drop WeasyPrint's error for links whose anchors are in other parts (linked later).

    Those are the headings: the table of contents' entries, and a link the working group
    wrote in its text (Markdown ``[Додаток 1](#annex-1)``) to a chapter or an annex.
    """

    def __init__(self, anchors: frozenset[str]) -> None:
        super().__init__()
        self.anchors = anchors

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (
            record.msg == "No anchor #%s for internal URI reference"
            and len(args) == 1
            and args[0] in self.anchors
        )


@contextmanager
def _external_anchors(anchors: frozenset[str]) -> Iterator[None]:
    weasy = logging.getLogger("weasyprint")
    quiet = _ExternalAnchors(anchors)
    weasy.addFilter(quiet)
    try:
        yield
    finally:
        weasy.removeFilter(quiet)


def render_part(
    html: str,
    attachments: list[ReportAttachment] | None = None,
    external_anchors: frozenset[str] = frozenset(),
) -> PartResult:
    """Lay out and write one part (runs in a worker process)."""
    started, cpu_started = time.monotonic(), time.process_time()
    with _external_anchors(external_anchors):
        document = HTML(
            string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher()
        ).render(pdf_variant=PDF_VARIANT)
        anchors: dict[str, Target] = {}
        for index, page in enumerate(document.pages):
            for name, (x, y, *_) in page.anchors.items():
                if name not in anchors:
                    anchors[name] = Target(index, x * PT_PER_PX, (page.height - y) * PT_PER_PX)
        # Links to anchors of this part are WeasyPrint's; those to other parts are ours.
        areas: dict[tuple[int, str], tuple[float, float, float, float]] = {}
        for index, page in enumerate(document.pages):
            for kind, target, (x1, y1, x2, y2), _ in page.links:
                if kind == "internal" and target in external_anchors and target not in anchors:
                    # A link's inline children report rectangles of their own: one area each.
                    left, top, right, bottom = areas.get((index, target), (x1, y1, x2, y2))
                    areas[index, target] = (
                        min(left, x1),
                        min(top, y1),
                        max(right, x2),
                        max(bottom, y2),
                    )
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
    pages = len(document.pages)
    links = [
        LinkArea(page, _to_pdf(rect, document.pages[page].height), anchor)
        for (page, anchor), rect in areas.items()
    ]
    del document
    gc.collect()  # the part's layout is garbage now; collect it while it is all together
    return PartResult(
        pdf,
        pages,
        anchors,
        links,
        seconds=time.monotonic() - started,
        cpu=time.process_time() - cpu_started,
    )


def _to_pdf(
    rect: tuple[float, float, float, float], height: float
) -> tuple[float, float, float, float]:
    """A CSS-pixel rectangle from the page's top-left as PDF points from its bottom-left."""
    left, top, right, bottom = rect
    return (
        left * PT_PER_PX,
        (height - bottom) * PT_PER_PX,
        right * PT_PER_PX,
        (height - top) * PT_PER_PX,
    )


def worker_count(requested: int | None) -> int:
    """The worker processes a render uses: as requested, or min(2, CPUs) for None or 0."""
    return max(1, requested or min(2, os.cpu_count() or 1))


def _pool(workers: int, memory_mb: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has WeasyPrint imported already.
    context.set_forkserver_preload(["report_templates.parallel"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(memory_mb * 1024 * 1024, os.getpid()),
    )


@contextmanager
def capped_pool(workers: int, memory_mb: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes with an address-space cap; their failures become RenderError."""
    with _pool(workers, memory_mb) as pool:
        try:
            yield pool
        except MemoryError as exc:
            raise RenderError(
                "Формування звіту перевищило ліміт пам’яті процесу "
                f"({memory_mb} МБ, INFOAUDIT_RENDER_MEMORY_MB)."
            ) from exc
        except BrokenProcessPool as exc:
            raise RenderError(
                "Процес формування звіту аварійно завершився (можливо, через ліміт пам’яті)."
            ) from exc


def render_parallel(
    context: Mapping[str, Any],
    *,
    workers: int | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    margins: Margins = DEFAULT_STYLE.margins,
) -> bytes:
    """The whole report as a PDF/A-3u: parts in parallel, merged, numbered, with a TOC."""
    count = worker_count(workers)
    with capped_pool(count, memory_mb) as pool:
        # Submitting starts the fork server, which imports WeasyPrint before it forks the
        # workers; a thread waits for that while this one builds and cuts the HTML.
        starter = threading.Thread(target=_start_workers, args=(pool, count), daemon=True)
        starter.start()
        return _render_with(pool, context, count, margins)


def _warm_up() -> None:
    """Nothing: makes the pool start its workers early."""


def _start_workers(pool: ProcessPoolExecutor, count: int) -> None:
    for _ in range(count):
        pool.submit(_warm_up)


def _render_with(
    pool: ProcessPoolExecutor, context: Mapping[str, Any], count: int, margins: Margins
) -> bytes:
    started = time.monotonic()
    split = split_document(
        render_html(context),
        parts=count * PARTS_PER_WORKER,
        max_weight=MAX_PART_WEIGHT,
        min_weight=MIN_PART_WEIGHT,
        multiple=count,
    )
    external = frozenset(h.anchor for h in split.headings)

    def front(pages: dict[str, int] | None) -> str:
        placeholder = {h.anchor: PLACEHOLDER_PAGE for h in split.headings}
        toc = toc_html(split.headings, pages if pages is not None else placeholder)
        return _document(split.head, split.header + split.front + toc, [], FRONT_CSS)

    draft: Future[PartResult] = pool.submit(
        render_part, front(None), annex_attachments(context), external
    )
    futures = [
        pool.submit(
            render_part, _document(split.head, split.header, [part], PART_CSS), None, external
        )
        for part in split.parts
    ]
    log.debug("html and %d parts submitted in %.1f s", len(futures), time.monotonic() - started)
    draft_front = draft.result()
    assembler = Assembler(draft_front.pdf, margins)
    targets: dict[str, Target] = {}
    links: list[LinkArea] = []
    offset = draft_front.pages
    for future in futures:  # in order, each appended while the later ones still render
        result = future.result()
        assembler.append(result.pdf)
        for anchor, where in result.anchors.items():
            targets.setdefault(anchor, Target(offset + where.page, where.x, where.y))
        links.extend(LinkArea(offset + a.page, a.rect, a.anchor) for a in result.links)
        offset += result.pages
        log.debug("part: %d pages, %.1f s, CPU %.1f s", result.pages, result.seconds, result.cpu)
    pages = {anchor: target.page + 1 for anchor, target in targets.items()}
    final_front = pool.submit(render_part, front(pages), None, external).result()
    if final_front.pages != draft_front.pages:
        # Real numbers are never wider than the placeholder; this cannot shift pages.
        raise RenderError("Зміст звіту змінив кількість сторінок під час нумерації.")
    log.debug("parts rendered and appended at %.1f s", time.monotonic() - started)
    pdf = assembler.finish(
        final_front.pdf,
        links=[*final_front.links, *links],
        targets=targets,
        headings=split.headings,
        contents=final_front.anchors.get(CONTENTS_ANCHOR),
    )
    log.debug("numbered, linked and written at %.1f s", time.monotonic() - started)
    return pdf
