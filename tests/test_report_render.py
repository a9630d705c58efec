"""Tests for report_templates.render: PDF content, embedded fonts, escaping, confinement."""

from __future__ import annotations

import io
import re
import socket
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, PdfObject

from models.report import SECTION_LABELS
from models.services.report.narrative import markdown_to_html
from report_templates import environment, parallel
from report_templates.environment import (
    TEMPLATES_DIR,
    ResourceRefusedError,
    TemplateOnlyURLFetcher,
    date_long,
    date_ua,
    percent_ua,
    plural_ua,
)
from report_templates.render import render, render_single
from tests.pdftext import page_text

pytestmark = pytest.mark.sqlite_only  # no database: run once, in the SQLite pass

ORG = "Калуська міська рада"
HOSTILE_IMG = '<img src="http://127.0.0.1:1/x.png">'
HOSTILE_SCRIPT = "<script>alert(1)</script>"


def sample_context(annex1_rows: int = 3) -> dict[str, Any]:
    """Build a realistic ReportContext modelled on the 2024 Kalush report."""
    units = [
        {"name": "Управління освіти", "kind_label": "структурний підрозділ"},
        {"name": "Управління земельних відносин", "kind_label": "структурний підрозділ"},
        {"name": "Загальний відділ", "kind_label": "структурний підрозділ"},
        {
            "name": "КНП «Калуська міська лікарня Калуської міської ради»",
            "kind_label": "комунальне підприємство",
        },
    ]
    stages = [
        {
            "kind": "preparation",
            "label": "підготовчий етап",
            "starts_on": date(2024, 9, 23),
            "due_on": date(2024, 9, 27),
            "status_label": "завершено",
            "skipped_reason": None,
        },
        {
            "kind": "consultation",
            "label": "проведення консультацій з громадськістю",
            "starts_on": date(2024, 9, 23),
            "due_on": date(2024, 10, 6),
            "status_label": "завершено",
            "skipped_reason": None,
        },
        {
            "kind": "remote_audit",
            "label": "проведення віддаленого інформаційного аудиту",
            "starts_on": date(2024, 9, 23),
            "due_on": date(2024, 9, 27),
            "status_label": "завершено",
            "skipped_reason": None,
        },
        {
            "kind": "interviews",
            "label": "проведення інтерв’ю посадових осіб",
            "starts_on": date(2024, 9, 30),
            "due_on": date(2024, 9, 30),
            "status_label": "пропущено",
            "skipped_reason": "анкети містять достатньо відомостей, потреби в інтерв’ю немає",
        },
        {
            "kind": "reporting",
            "label": "підготовка звіту за результатами інформаційного аудиту",
            "starts_on": date(2024, 10, 7),
            "due_on": date(2024, 10, 14),
            "status_label": "триває",
            "skipped_reason": None,
        },
    ]
    annex1 = [
        {
            "number": i,
            "name": f"Перелік об’єктів комунальної власності, частина {i}",
            "units": ["Управління комунальної власності"],
            "official": "Лилак Світлана Богданівна – спеціаліст управління комунальної власності",
            "periodicity": "щороку та в міру потреби",
        }
        for i in range(1, annex1_rows + 1)
    ]
    annex2 = [
        {
            "name": "Офіційний вебпортал Калуської міської ради",
            "url": "https://www.kalushcity.gov.ua/kmr/department/"
            "viddil-koordinacijnoyi-roboti-zi-starostinskimi-okrugami-zakupivel-ta-komunikacij",
            "basis": "Інформація міської ради та її виконавчих органів.\n"
            "Адміністратор – відділ координації роботи зі старостинськими округами",
            "description": "Новини, рішення, розпорядження, е-послуги.",
            "units": ["Загальний відділ", "Управління освіти"],
        },
        {
            "name": "Система електронного документообігу (СЕД)",
            "url": None,
            "basis": "Вхідна та вихідна кореспонденція",
            "description": "Реєстрація та контроль виконання документів.",
            "units": ["Загальний відділ"],
        },
    ]
    annex3 = [
        {
            "number": 1,
            "text": "Чи використовуєте Ви інформацію міської ради у професійній діяльності?",
            "kind": "single",
            "answered": 13,
            "participants": 38,
            "options": [
                {"label": "Так", "count": 11, "percent": 84.615},
                {"label": "Ні", "count": 2, "percent": 15.385},
            ],
            "texts": [],
        },
        {
            "number": 2,
            "text": "Якими сферами діяльності міської ради Ви цікавитеся найбільше?",
            "kind": "multiple",
            "answered": 13,
            "participants": 38,
            "options": [
                {"label": "бюджет", "count": 2, "percent": 15.385},
                {"label": "земельні питання", "count": 4, "percent": 30.769},
                {"label": "соціальна політика", "count": 3, "percent": 23.077},
            ],
            "texts": [],
        },
        {
            "number": 3,
            "text": "Ваші пропозиції щодо наборів відкритих даних",
            "kind": "text",
            "answered": 2,
            "participants": 38,
            "options": [],
            "texts": ["Оприлюднити розклад руху автобусів", "Дані про ремонт доріг"],
        },
    ]
    annex4 = [
        {
            "name": "Електронна база реєстрації вхідних/вихідних документів",
            "description": "Ведеться у системі електронного документообігу",
            "units": ["Загальний відділ"],
        },
        {
            "name": "База даних дітей (електронна реєстрація дітей до ЗДО)",
            "description": "",
            "units": ["Управління освіти"],
        },
    ]
    return {
        "organization": {"name": ORG},
        "cycle": {
            "year": 2024,
            "order_number": "212-р",
            "order_date": date(2024, 9, 23),
            "order_title": "Про проведення інформаційного аудиту",
            "interview_schedule_on": date(2024, 9, 30),
        },
        "generated_at": datetime(2024, 10, 14, 15, 30, tzinfo=ZoneInfo("Europe/Kyiv")),
        "version": 2,
        "units": units,
        "stages": stages,
        "counts": {
            "units": 4,
            "units_with_questionnaire": 3,
            "questionnaires": 17,
            "information_systems": 42,
            "information_items": 29,
            "survey_participants": 38,
            "proposals": 13,
            "register_entries": annex1_rows,
        },
        "annex1": annex1,
        "annex2": annex2,
        "annex3": annex3,
        "annex4": annex4,
    }


def pdf_text(pdf: bytes) -> str:
    """Extract the text of all pages, joined by newlines."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page_text(page) for page in reader.pages)


def squash(text: str) -> str:
    """Collapse all whitespace so assertions survive line wrapping."""
    return " ".join(text.split())


def _resolve(obj: PdfObject | None) -> Any:
    """Dereference an indirect PDF object."""
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def embedded_fonts(pdf: bytes) -> dict[str, set[str]]:
    """Map base font names to the FontFile keys found in their descriptors."""
    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, set[str]] = {}
    for page in reader.pages:
        resources = _resolve(page.get("/Resources")) or {}
        fonts = _resolve(resources.get("/Font")) or {}
        for ref in fonts.values():
            font = _resolve(ref)
            fonts_to_check = [font]
            for descendant in _resolve(font.get("/DescendantFonts")) or []:
                fonts_to_check.append(_resolve(descendant))
            for item in fonts_to_check:
                descriptor = _resolve(item.get("/FontDescriptor"))
                if not isinstance(descriptor, DictionaryObject):
                    continue
                keys = {k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor}
                found.setdefault(str(item.get("/BaseFont")), set()).update(keys)
    return found


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    """Render the sample context once for the module."""
    return render(sample_context())


@pytest.fixture(scope="module")
def sample_text(sample_pdf: bytes) -> str:
    """Whitespace-squashed text of the sample PDF."""
    return squash(pdf_text(sample_pdf))


def test_render_returns_pdf(sample_pdf: bytes) -> None:
    """The renderer returns PDF bytes with several pages."""
    assert sample_pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(sample_pdf)).pages) >= 5


def test_title_page_and_organization(sample_pdf: bytes) -> None:
    """The Cyrillic organization name and the order are on the title page."""
    first = squash(page_text(PdfReader(io.BytesIO(sample_pdf)).pages[0]))
    assert ORG in first
    assert "ЗВІТ" in first
    assert "за результатами проведення інформаційного аудиту" in first
    assert "2024" in first
    assert "від 23.09.2024 №212-р «Про проведення інформаційного аудиту»" in first


def test_running_header_and_page_numbers(sample_pdf: bytes) -> None:
    """Pages after the title carry the running header and a page number."""
    reader = PdfReader(io.BytesIO(sample_pdf))
    second = squash(page_text(reader.pages[1]))
    assert "Звіт за результатами інформаційного аудиту 2024" in second
    assert ORG in second
    last = squash(page_text(reader.pages[-1]))
    assert str(len(reader.pages)) in last.split()


def test_introduction_stages(sample_text: str) -> None:
    """Stages are listed with their dd.mm.yyyy dates, statuses and skip reasons."""
    assert "Вступ" in sample_text
    assert "«Про доступ до публічної інформації»" in sample_text
    assert "21.10.2015 № 835" in sample_text
    assert "Основними етапами інформаційного аудиту визначено:" in sample_text
    assert "підготовчий етап – 23.09.2024 – 27.09.2024" in sample_text
    assert "23.09.2024 – 06.10.2024" in sample_text
    assert "07.10.2024 – 14.10.2024" in sample_text
    assert "30.09.2024 (пропущено)" in sample_text
    assert "потреби в інтерв’ю немає" in sample_text
    # A planned step, never "approved" unless a schedule was (the sample has no interviews).
    assert "затвердження графіку проведення інтерв’ю – 30.09.2024" in sample_text
    assert "Графік проведення інтерв’ю затверджено" not in sample_text
    assert "КНП «Калуська міська лікарня Калуської міської ради»" in sample_text


def test_main_part_counts(sample_text: str) -> None:
    """Computed counts appear in the main part with Ukrainian plural forms."""
    for heading in (
        "Основна частина",
        "Результати консультацій з громадськістю",
        "Результати віддаленого інформаційного аудиту (анкетування)",
        "Набори відкритих даних",
        "Висновки",
        "Рекомендації",
    ):
        assert heading in sample_text
    assert "Кількість учасників опитування: 38" in sample_text
    assert "пропозицій (відповідей у довільній формі): 13" in sample_text
    assert "працівники 3 з 4 підрозділів" in sample_text
    assert "подано 17 анкет" in sample_text
    assert "42 записи щодо інформаційних систем" in sample_text
    assert "29 записів щодо публічної інформації" in sample_text
    assert "внесено 3 записи" in sample_text


def test_annexes(sample_text: str) -> None:
    """All four annexes are present with their tables and computed percentages."""
    for n in range(1, 5):
        assert f"Додаток {n}." in sample_text
    assert "Перелік наборів даних, які підлягають оприлюдненню" in sample_text
    assert "Найменування набору даних" in sample_text
    assert "Перелік об’єктів комунальної власності, частина 3" in sample_text
    assert "(СЕД)" in sample_text
    assert "https://" in sample_text
    assert "відповіли 13 з 38" in sample_text
    assert "84,6 %" in sample_text
    assert "30,8 %" in sample_text
    assert "Оприлюднити розклад руху автобусів" in sample_text
    assert "Електронна база реєстрації вхідних/вихідних документів" in sample_text


def test_empty_annexes_say_no_data() -> None:
    """An empty annex renders «Даних немає.» instead of an empty table."""
    context = sample_context(annex1_rows=0)
    context["annex2"] = []
    context["annex4"] = []
    text = squash(pdf_text(render(context)))
    assert text.count("Даних немає.") == 3
    assert "Найменування набору даних" not in text


def test_fonts_embedded(sample_pdf: bytes) -> None:
    """The bundled DejaVu Serif (the body face, not a system fallback) is embedded as TrueType."""
    fonts = embedded_fonts(sample_pdf)
    dejavu = {name: keys for name, keys in fonts.items() if "DejaVu-Serif-Report" in name}
    assert dejavu, fonts
    assert all("/FontFile2" in keys for keys in dejavu.values()), dejavu
    assert any("Bold" in name for name in dejavu), dejavu


def test_user_text_is_escaped_and_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Markup in user text shows up literally and triggers no fetch outside the folder."""
    fetched: list[str] = []
    original_fetch = TemplateOnlyURLFetcher.fetch

    def spy_fetch(
        self: TemplateOnlyURLFetcher, url: str, headers: dict[str, str] | None = None
    ) -> Any:
        fetched.append(url)
        return original_fetch(self, url, headers)

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(TemplateOnlyURLFetcher, "fetch", spy_fetch)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)

    context = sample_context()
    context["units"][0]["name"] = f"Відділ {HOSTILE_IMG}"
    context["annex4"][0]["description"] = f"Опис {HOSTILE_SCRIPT} & «лапки»"
    context["annex2"][0]["description"] = HOSTILE_SCRIPT
    context["annex2"][1]["url"] = "javascript:alert(1)"
    context["cycle"]["order_title"] = '"><link rel="stylesheet" href="http://127.0.0.1:1/x.css">'
    text = squash(pdf_text(render_single(context)))

    assert HOSTILE_IMG in text
    assert HOSTILE_SCRIPT in text
    assert "& «лапки»" in text
    assert "javascript:alert(1)" in text
    assert 'href="http://127.0.0.1:1/x.css">' in text
    assert fetched, "the stylesheet and fonts should go through the fetcher"
    for url in fetched:
        path = TemplateOnlyURLFetcher().resolve(url)
        assert path.is_relative_to(TEMPLATES_DIR)


def test_hostile_markup_not_in_html() -> None:
    """The intermediate HTML holds only escaped user markup."""
    context = sample_context()
    context["units"][0]["name"] = HOSTILE_IMG
    html = environment.render_html(context)
    assert HOSTILE_IMG not in html
    assert "&lt;img src=&#34;http://127.0.0.1:1/x.png&#34;&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/x.png",
        "https://example.org/font.ttf",
        "ftp://example.org/x",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://remotehost" + str(TEMPLATES_DIR / "report.css"),
        (TEMPLATES_DIR / ".." / "pyproject.toml").resolve().as_uri(),
        TEMPLATES_DIR.as_uri() + "/../render.py/../../pyproject.toml",
        TEMPLATES_DIR.as_uri() + "/fonts/missing.ttf",
        TEMPLATES_DIR.as_uri() + "/fonts",
    ],
)
def test_fetcher_refuses_outside_urls(url: str) -> None:
    """The fetcher refuses network, data and out-of-folder file URLs."""
    fetcher = TemplateOnlyURLFetcher()
    with pytest.raises(ResourceRefusedError):
        fetcher.fetch(url)
    with pytest.raises(ResourceRefusedError):
        fetcher(url)


def test_fetcher_refuses_symlink_escape(tmp_path: Path) -> None:
    """A symlink inside the root that points outside it is refused."""
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.css").symlink_to(outside)
    with pytest.raises(ResourceRefusedError):
        TemplateOnlyURLFetcher(root).fetch((root / "link.css").as_uri())


def test_fetcher_serves_template_files() -> None:
    """Fonts and CSS inside the folder are served with a content type."""
    fetcher = TemplateOnlyURLFetcher()
    css = fetcher.fetch((TEMPLATES_DIR / "report.css").as_uri())
    assert css.content_type == "text/css"
    assert b"@font-face" in css.read()
    font = fetcher.fetch((TEMPLATES_DIR / "fonts" / "DejaVuSans.ttf").as_uri())
    assert len(font.read()) > 100_000


def test_long_annex1_repeats_header() -> None:
    """A 300-row annex 1 spans several pages and repeats its header row."""
    pdf = render(sample_context(annex1_rows=300))
    reader = PdfReader(io.BytesIO(pdf))
    annex_pages = [
        squash(page_text(page)) for page in reader.pages if "власності, частина" in page_text(page)
    ]
    assert len(annex_pages) >= 5
    assert all("Найменування набору даних" in page for page in annex_pages)
    text = squash(pdf_text(pdf))
    assert text.count("Найменування набору даних") >= len(annex_pages) >= 5
    assert "частина 300" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (84.615, "84,6 %"),
        (15.385, "15,4 %"),
        (0, "0,0 %"),
        (100, "100,0 %"),
        (0.05, "0,1 %"),
        (33.35, "33,4 %"),
    ],
)
def test_percent_ua(value: float, expected: str) -> None:
    """Percentages use a decimal comma, one digit and half-up rounding."""
    assert percent_ua(value) == expected


def test_date_filters() -> None:
    """Dates render as dd.mm.yyyy and with genitive month names."""
    assert date_ua(date(2024, 9, 3)) == "03.09.2024"
    assert date_long(date(2024, 9, 23)) == "23 вересня 2024 року"
    assert date_long(date(2024, 10, 6)) == "6 жовтня 2024 року"
    assert date_long(datetime(2025, 1, 1, 12, 0)) == "1 січня 2025 року"
    assert date_ua(None) == ""


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "запис"), (2, "записи"), (5, "записів"), (11, "записів"), (21, "запис"), (42, "записи")],
)
def test_plural_ua(count: int, expected: str) -> None:
    """Ukrainian noun forms follow the count."""
    assert plural_ua(count, "запис", "записи", "записів") == expected


def test_strict_undefined() -> None:
    """A missing context key fails loudly instead of rendering blank."""
    context = sample_context()
    del context["counts"]
    with pytest.raises(UndefinedError, match="counts"):
        environment.render_html(context)


def _outline_titles(items: list[Any], depth: int = 0) -> list[tuple[int, str, Any]]:
    """Outline items as (depth, title, item), children after their parent."""
    flat: list[tuple[int, str, Any]] = []
    for item in items:
        if isinstance(item, list):
            flat.extend(_outline_titles(item, depth + 1))
        else:
            flat.append((depth, str(item.title), item))
    return flat


def test_parts_merge_into_one_pdfa_with_linked_contents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendered in eight parts and merged: every row once, continuous numbers, TOC entries
    that link to their headings, an outline, and the PDF/A-3 structures of the catalog."""
    monkeypatch.setattr(parallel, "MIN_PART_WEIGHT", 1_000)  # many parts from a small report
    context = sample_context(annex1_rows=300)
    # The working group's text links to an annex, which lands in another part.
    context["narrative"] = {
        key.value: {"label": label, "html": markdown_to_html("")}
        for key, label in SECTION_LABELS.items()
    }
    context["narrative"]["legal_base"]["html"] = markdown_to_html(
        "Перелік публічної інформації наведено в [Додатку 4](#annex-4)."
    )
    pdf = render(context, workers=2)
    reader = PdfReader(io.BytesIO(pdf))
    pages = [squash(page_text(page)) for page in reader.pages]
    text = " ".join(pages)
    for row in range(1, 301):
        assert len(re.findall(rf"власності, частина {row}\b", text)) == 1, row
    for number, page in enumerate(pages[1:], start=2):
        assert page.endswith(str(number)), (number, page[-60:])

    # The table of contents: every entry a link (printable, PDF/A) to its heading's page.
    headings = [
        "Вступ",
        "Основна частина",
        "Результати консультацій з громадськістю",
        "Висновки",
        "Рекомендації",
        "Додаток 1. Перелік наборів даних",
        "Додаток 2. Перелік інформаційних сервісів",
        "Додаток 4. Перелік публічної інформації",
    ]
    toc = pages[1]
    assert "Зміст" in toc
    listed = {h: int(m.group(1)) for h in headings if (m := re.search(rf"{h}[^0-9]* (\d+)", toc))}
    assert set(listed) == set(headings)
    annotations: Any = reader.pages[1]["/Annots"]
    links = [a.get_object() for a in annotations]
    assert all(a["/Subtype"] == "/Link" and a["/F"] == 4 for a in links)
    targets = [(reader.get_page_number(a["/Dest"][0].get_object()) or 0) + 1 for a in links]
    numbers = [int(n) for n in re.findall(r" (\d+)(?= |$)", toc.split("Зміст", 1)[1])]
    assert targets == numbers[: len(targets)]
    assert len(targets) >= len(headings)
    for heading, number in listed.items():
        assert number in targets, heading
        assert heading in pages[number - 1], (heading, number)
    top = sorted(a["/Dest"][3] for a in links)
    assert all(0 < float(y) <= float(reader.pages[0].mediabox.top) for y in top)

    # The link in the text goes to the annex too.
    (linking,) = [n for n, p in enumerate(pages) if "наведено в Додатку 4" in p]
    in_page: Any = reader.pages[linking]["/Annots"]
    (in_text,) = [a.get_object() for a in in_page]
    target = reader.get_page_number(in_text["/Dest"][0].get_object())
    assert target == listed["Додаток 4. Перелік публічної інформації"] - 1
    assert target is not None
    assert linking < target

    # The outline: the contents, then the chapters with their sections nested.
    outline = _outline_titles(reader.outline)
    assert outline[0][:2] == (0, "Зміст")
    assert reader.get_destination_page_number(outline[0][2]) == 1
    titles = {title: (depth, item) for depth, title, item in outline}
    assert titles["Вступ"][0] == 0
    assert titles["Результати консультацій з громадськістю"][0] == 1
    for heading, number in listed.items():
        title = next(t for t in titles if t.startswith(heading))
        assert reader.get_destination_page_number(titles[title][1]) == number - 1, heading
    root: Any = reader.trailer["/Root"]
    assert root["/PageMode"] == "/UseOutlines"


def test_merged_report_keeps_pdfa3_structures(monkeypatch: pytest.MonkeyPatch) -> None:
    """What PDF/A-3u asks of the catalog survives the merge: XMP identification, the output
    intent with its ICC profile, the annexes' files associated once each, the document
    information matching the XMP, the file identifier."""
    monkeypatch.setattr(parallel, "MIN_PART_WEIGHT", 1_000)
    pdf = render(sample_context(annex1_rows=120), workers=2)
    assert pdf.startswith(b"%PDF-1.7\n")
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object()
    assert xmp["/Subtype"] == "/XML"
    metadata = xmp.get_data().decode()
    assert re.search(r'pdfaid:part(="|>)3', metadata)
    assert re.search(r'pdfaid:conformance(="|>)U', metadata)
    producer = re.search(r'pdf:Producer(?:="|>)([^"<]+)', metadata)
    assert producer
    assert reader.metadata
    assert reader.metadata["/Producer"] == producer.group(1)
    assert str(reader.metadata["/Title"]).startswith("Звіт за результатами інформаційного аудиту")

    (intent,) = [i.get_object() for i in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.get_data()[36:40] == b"acsp"  # an ICC profile's signature

    tree = root["/Names"]["/EmbeddedFiles"].get_object()
    names = tree["/Names"]
    specs = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
    assert {"annex1.csv", "annex1.json", "annex2.csv", "annex3.json", "annex4.csv"} <= set(specs)
    for name, ref in specs.items():
        spec = ref.get_object()
        assert spec["/AFRelationship"] == "/Data", name
        assert spec["/UF"] == name
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] in ("/text/csv", "/application/json"), name
        assert "/ModDate" in stream["/Params"], name
    associated = [ref.idnum for ref in root["/AF"]]
    assert sorted(associated) == sorted(ref.idnum for ref in specs.values())
    assert "/Dests" not in root["/Names"]  # the front part's own anchors are gone

    file_id: Any = reader.trailer["/ID"]
    assert len(file_id) == 2
    assert len(file_id[0]) >= 16
    assert root["/Lang"] == "uk"
    assert "annex1.csv" in reader.attachments
    annex1 = reader.attachments["annex1.csv"][0].decode("utf-8-sig")
    assert len(annex1.strip().splitlines()) == 121
