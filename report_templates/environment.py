"""What the report's renderers share: the Jinja environment with its filters, the report
template's HTML, the confined URL fetcher and the errors (the card in flows/monitoring.py uses
them too)."""

from __future__ import annotations

import base64
import binascii
import logging
import mimetypes
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from models.ukrainian import clause, collation_key, sort_names, typographic

TEMPLATES_DIR: Path = Path(__file__).resolve().parent
TEMPLATE_NAME: str = "report.html.j2"

MONTHS_GENITIVE: tuple[str, ...] = (
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
)

_CONTENT_TYPES: dict[str, str] = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})


class _NoHarfBuzzNotice(logging.Filter):
    """Drop WeasyPrint's advice to install HarfBuzz-Subset: fontTools subsets fine here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "HarfBuzz-Subset" not in record.getMessage()


logging.getLogger("weasyprint").addFilter(_NoHarfBuzzNotice())


class RenderError(RuntimeError):
    """The report could not be rendered (the message is Ukrainian)."""


class ResourceRefusedError(ValueError):
    """Raised when the report asks for a resource outside the templates folder."""


class TemplateOnlyURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves only regular files inside the templates folder."""

    def __init__(self, root: Path = TEMPLATES_DIR) -> None:
        """Create a fetcher confined to ``root``; no network handler is ever used."""
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root: Path = root.resolve()

    def resolve(self, url: str) -> Path:
        """Map a ``file:`` URL to a file inside the root, or raise ResourceRefusedError."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise ResourceRefusedError(f"Refused to fetch non-local resource: {url[:200]!r}")
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefusedError(f"Refused to fetch remote file URL: {url[:200]!r}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefusedError(f"Refused to fetch file outside templates: {url[:200]!r}")
        return path

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the bytes of a templates-folder file or an inline image; refuse the rest."""
        self._request = None
        if url.startswith("data:"):
            return self.inline_image(url)
        path = self.resolve(url)
        content_type = _CONTENT_TYPES.get(path.suffix.lower()) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), {"Content-Type": content_type}, 200
        )

    @staticmethod
    def inline_image(url: str) -> URLFetcherResponse:
        """A base64 data: URI of an image (the house style's logo): no file, no network."""
        header, _, payload = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if media_type not in INLINE_IMAGE_TYPES or encoding != "base64":
            raise ResourceRefusedError(f"Refused inline resource: {url[:60]!r}")
        try:
            data = base64.b64decode(payload, validate=True)
        except binascii.Error as exc:
            raise ResourceRefusedError("Refused malformed inline image") from exc
        return URLFetcherResponse(url[:60], data, {"Content-Type": media_type}, 200)


def date_ua(value: date | datetime | None) -> str:
    """Format a date as dd.mm.yyyy (empty string for None)."""
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y")


def date_long(value: date | datetime | None) -> str:
    """Format a date as «23 вересня 2024 року» (empty string for None)."""
    if value is None:
        return ""
    return f"{value.day} {MONTHS_GENITIVE[value.month - 1]} {value.year} року"


def datetime_ua(value: datetime | None) -> str:
    """Format a datetime as «dd.mm.yyyy о HH:MM» in its own time zone."""
    if value is None:
        return ""
    return f"{value.strftime('%d.%m.%Y')} о {value.strftime('%H:%M')}"


def percent_ua(value: float | int | None) -> str:
    """Format a percentage with one decimal and a comma: 84.615 -> «84,6 %»."""
    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".replace(".", ",") + " %"


def number_ua(value: float | int) -> str:
    """A number with a decimal comma and no needless zeros: 0.25 -> «0,25», 100.0 -> «100»."""
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",")


def plural_ua(count: int, one: str, few: str, many: str) -> str:
    """Pick the Ukrainian noun form for ``count`` (1 запис, 2 записи, 5 записів)."""
    n = abs(int(count))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def is_http_url(value: Any) -> bool:
    """Tell whether a value is an http(s) URL safe to turn into a link."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def finalize(value: Any) -> Any:
    """Every printed value: user text gets Ukrainian quotes, apostrophes and single stops.

    Markup (the sanitised narrative, the charts, the house style) is already HTML whose
    attributes must keep their straight quotes; it is printed as it is.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return typographic(value)
    return value


_URL_BREAK = re.compile(r"(?<=[/.?&=_:-])|(?=@)")


URL_CHUNK = 24  # a longer run without a separator (a hash, a token) gets breaks of its own


def url_breaks(value: str) -> Markup:
    """A URL with break opportunities after its separators: a long one wraps at "/" or "."
    instead of being cut between two letters without a hyphen (report.css sets no
    overflow-wrap on URL cells: WeasyPrint's break-word cuts a link's text greedily)."""
    parts = [
        part[i : i + URL_CHUNK]
        for part in _URL_BREAK.split(str(value))
        for i in range(0, max(len(part), 1), URL_CHUNK)
    ]
    return Markup("<wbr>").join(escape(p) for p in parts)


def sort_ua(values: Any, attribute: str | None = None) -> list[Any]:
    """Jinja filter: names (or items by an attribute) in Ukrainian alphabetical order."""
    if attribute is None:
        return sort_names(values)
    return sorted(values, key=lambda item: collation_key(str(item[attribute])))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Build the (cached) Jinja environment with autoescaping and strict undefined."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    env.filters["date_ua"] = date_ua
    env.filters["date_long"] = date_long
    env.filters["datetime_ua"] = datetime_ua
    env.filters["percent_ua"] = percent_ua
    env.filters["plural_ua"] = plural_ua
    env.filters["number_ua"] = number_ua
    env.filters["clause"] = clause
    env.filters["url_breaks"] = url_breaks
    env.filters["sort_ua"] = sort_ua
    env.tests["http_url"] = is_http_url
    return env


def render_html(context: Mapping[str, Any]) -> str:
    """Render the report context to the HTML string fed to WeasyPrint."""
    return environment().get_template(TEMPLATE_NAME).render(**context)


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """A short document (the action plan's annex, the monitoring card) as PDF, from one of
    the report's templates, through the confined URL fetcher."""
    html = environment().get_template(template).render(**context)
    pdf = HTML(
        string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher()
    ).write_pdf()
    if pdf is None:
        raise RuntimeError("WeasyPrint returned no PDF bytes")
    return pdf
