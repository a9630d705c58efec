"""Assemble the report's separately rendered parts into one PDF/A-3u with pypdf.

The body parts are appended as they arrive (while the workers still render the rest). At the
end the front part (title page and table of contents) goes in front; the catalog of the
draft front (XMP metadata, output intent, the annexes' files with their AFRelationship, the
language) becomes the document's; a numbering pass stamps continuous page numbers; the
table of contents' entries become links to their headings and the sections an outline.
"""

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.constants import AnnotationFlag
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    IndirectObject,
    NameObject,
)
from weasyprint import HTML

from report_templates.chunking import Heading
from report_templates.environment import TEMPLATES_DIR, RenderError, TemplateOnlyURLFetcher
from report_templates.style import DEFAULT_STYLE, Margins

PDF_VARIANT = "pdf/a-3u"

# Where report.css's @page puts the page number: centred between the side margins of each
# page (portrait or landscape), in the middle of the bottom margin, 9 pt, #333. The margins
# are the house style's (report_templates/style.py).
MM = 72 / 25.4
NUMBER_SIZE = 9.0

# Catalog entries not taken from the front part: the page tree and outline are rebuilt, and
# its named destinations point at its own anchors only.
_REBUILT = frozenset({"/Type", "/Pages", "/Outlines", "/PageMode", "/Dests"})


@dataclass(frozen=True)
class Target:
    """Where an anchor landed: a page of the whole document and a point on it (PDF units)."""

    page: int
    x: float
    y: float


@dataclass(frozen=True)
class LinkArea:
    """A link rectangle on a page (PDF units) and the anchor it points at."""

    page: int
    rect: tuple[float, float, float, float]
    anchor: str


@lru_cache(maxsize=1)
def _digits_pdf() -> bytes:
    html = (
        '<html><head><link rel="stylesheet" href="report.css">'
        "<style>@page{size:A4;margin:0}body{margin:0;"
        f'font-family:"DejaVu Serif Report";font-size:{NUMBER_SIZE}pt}}</style>'
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


def stamp_page_numbers(
    writer: PdfWriter, *, first_numbered: int = 2, margins: Margins = DEFAULT_STYLE.margins
) -> None:
    """The numbering pass: draw each page's number (from ``first_numbered`` on) at the foot."""
    font_ref, codes, widths = _digit_font(writer)
    baseline_y = margins.bottom * MM / 2 - NUMBER_SIZE * 0.35
    opening = DecodedStreamObject()
    opening.set_data(b"q\n")
    opening_ref = writer._add_object(opening)
    for number, page in enumerate(writer.pages, start=1):
        if number < first_numbered:
            continue
        label = str(number)
        width = sum(widths[d] for d in label) * NUMBER_SIZE / 1000
        page_width = float(page.mediabox.width)
        centre_x = margins.left * MM + (page_width - (margins.left + margins.right) * MM) / 2
        x = centre_x - width / 2
        hex_codes = "".join(codes[d] for d in label)
        stamp = DecodedStreamObject()
        stamp.set_data(
            f"\nQ\nq 0.2 0.2 0.2 rg BT /FInfoauditNum {NUMBER_SIZE:g} Tf "
            f"{x:.2f} {baseline_y:.2f} Td <{hex_codes}> Tj ET Q\n".encode("ascii")
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


def adopt_catalog(writer: PdfWriter, reader: PdfReader) -> None:
    """Make the reader's document-level PDF/A structures the writer's, without its pages.

    XMP metadata (pdfaid part and conformance), output intents, embedded files and their
    /AF array, the language; the document information and file identifier that PDF/A
    requires to match the XMP and to be present.
    """
    root: Any = reader.trailer["/Root"]
    target = writer.root_object
    for key, value in root.items():
        if key in _REBUILT:
            continue
        if key == "/Names":
            names = value.get_object()
            kept = DictionaryObject(
                {NameObject(k): v.clone(writer) for k, v in names.items() if k not in _REBUILT}
            )
            if kept:
                target[NameObject("/Names")] = writer._add_object(kept)
            continue
        target[NameObject(key)] = value.clone(writer)
    associated = target.get("/AF")
    if associated is not None:
        # WeasyPrint lists every attachment twice; once is what PDF/A-3 asks.
        unique: dict[int, Any] = {}
        for item in associated.get_object():
            unique.setdefault(item.idnum, item)
        target[NameObject("/AF")] = ArrayObject(unique.values())
    writer.pdf_header = reader.pdf_header
    writer.metadata = reader.metadata
    file_id = reader.trailer.get("/ID")
    if file_id is not None:
        writer._ID = file_id.clone(writer)


class Assembler:
    """Builds the report from its parts: body parts in order as they come, then the front."""

    def __init__(self, catalog_pdf: bytes, margins: Margins = DEFAULT_STYLE.margins) -> None:
        """Start with the draft front's catalog; its pages are not used (the final front's are)."""
        self.margins = margins
        self.writer = PdfWriter()
        adopt_catalog(self.writer, PdfReader(io.BytesIO(catalog_pdf)))

    def append(self, pdf: bytes) -> None:
        """Add a body part's pages after those already added."""
        for page in PdfReader(io.BytesIO(pdf)).pages:
            self.writer.add_page(page)

    def finish(
        self,
        front_pdf: bytes,
        *,
        links: list[LinkArea],
        targets: dict[str, Target],
        headings: list[Heading],
        contents: Target | None,
    ) -> bytes:
        """Put the front first, number the pages, add the links between parts and the outline."""
        writer = self.writer
        for index, page in enumerate(PdfReader(io.BytesIO(front_pdf)).pages):
            writer.insert_page(page, index)
        stamp_page_numbers(writer, margins=self.margins)
        for link in links:
            target = targets.get(link.anchor)
            if target is None:
                continue
            annotation = Link(
                rect=link.rect,
                target_page_index=target.page,
                fit=Fit.xyz(left=target.x, top=target.y, zoom=0),
            )
            annotation.flags = AnnotationFlag.PRINT  # PDF/A: annotations are printable
            writer.add_annotation(link.page, annotation)
        add_outline(writer, headings, targets, contents)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()


def add_outline(
    writer: PdfWriter,
    headings: list[Heading],
    targets: dict[str, Target],
    contents: Target | None,
) -> None:
    """Bookmarks: the table of contents, then the chapters with their sections under them."""
    if contents is not None:
        writer.add_outline_item(title="Зміст", page_number=contents.page, fit=_fit(contents))
    parent = None
    for heading in headings:
        target = targets.get(heading.anchor)
        if target is None:
            continue
        item = writer.add_outline_item(
            title=heading.text,
            page_number=target.page,
            parent=parent if heading.level > 2 else None,
            fit=_fit(target),
        )
        if heading.level <= 2:
            parent = item
    writer.page_mode = "/UseOutlines"  # viewers open the bookmarks pane


def _fit(target: Target) -> Fit:
    return Fit.xyz(left=target.x, top=target.y, zoom=0)
