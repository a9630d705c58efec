"""The report as an official document: Ukrainian order, typography and hyphenation, the
working group's Markdown, landscape annexes, the house style, and the tagged PDF/A-3u read
back (structure tree, language, attachments)."""

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from models.services.report.narrative import markdown_to_html
from models.ukrainian import clause, collation_key, sort_names, typographic
from report_templates.environment import render_html
from report_templates.render import render
from report_templates.style import HouseStyle, Margins
from tests.pdftext import broken_words, pdftotext_lines, short_hyphen_fragments, unhyphenate
from tests.test_report_render import sample_context

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e3a3b40000000049454e44ae426082"
)

UNITS = [
    "Управління освіти",
    "Управління земельних відносин",
    "Загальний відділ",
    "Відділ кадрової роботи і нагород",
    "Управління архітектури та містобудування",
    "Управління житлово-комунального господарства",
    "Управління з питань надзвичайних ситуацій",
    "Управління комунальної власності",
    "КНП «Калуська міська лікарня Калуської міської ради»",
    "КНП «Стоматологічна поліклініка Калуської міської ради»",
]
LONG = (
    "Ресурс розроблено на виконання Закону України «Про доступ до публічної інформації» з "
    "метою забезпечення прозорості та відкритості міської ради, її виконавчих органів, "
    "комунальних підприємств та закладів, створення механізмів реалізації права кожного на "
    "доступ до публічної інформації. Розміщення інформації на вебпорталі регламентується "
    "рішенням сесії міської ради. "
)


def typeset_context() -> dict[str, Any]:
    """The sample report with what the typography must cope with: a service every unit uses,
    long descriptions, units of both kinds, the publication analysis."""
    context = sample_context(annex1_rows=12)
    context["counts"]["units_with_questionnaire"] = len(UNITS)
    context["annex2"] = [
        {
            "name": f"Інформаційна система управління освітою, частина {n}",
            "url": "https://www.kalushcity.gov.ua/kmr/department/viddil-koordinacijnoyi-roboti",
            "basis": "Сервіс створено на основі інформації міської ради.\n" + LONG,
            "description": LONG * 2,
            "units": UNITS if n == 1 else UNITS[:3],
        }
        for n in range(1, 15)
    ]
    for row in context["annex1"]:
        enterprise = row["number"] > 9
        row["units"] = [UNITS[8]] if enterprise else ["Управління комунальної власності"]
        row["kind"] = "municipal_enterprise" if enterprise else "executive_unit"
        row["officials"] = [row["official"], "Король Тетяна Михайлівна – адміністратор ЦНАП"]
        row["state"] = {
            "label": "оприлюднено",
            "state_label": "оприлюднено",
            "overdue_days": 12 if row["number"] == 2 else 0,
            "working_days": False,
            "due_on": date(2024, 9, 30),
            "last_updated": date(2024, 3, 31),
            "formats": ["CSV", "XLSX"],
            "machine_readable": True,
        }

    def summary(name: str, kind: str, required: int, rank: int) -> dict[str, Any]:
        return {
            "name": name,
            "kind": kind,
            "rank": rank,
            "required": required,
            "published": required,
            "private": 0,
            "moderation": 0,
            "overdue": 1,
            "not_machine_readable": 0,
            "meeting_all": required - 1,
            "percent_published": 100.0,
            "share_meeting_all": 90.0,
            "score": 95.8,
        }

    context["publication"] = {
        "as_of": date(2024, 10, 14),
        "snapshot_taken_at": None,
        "units": [
            summary("Управління комунальної власності", "executive_unit", 9, 1),
            summary("Управління освіти", "executive_unit", 2, 2),
            summary(UNITS[8], "municipal_enterprise", 3, 3),
        ],
        "totals": summary("Усього", "", 12, 0),
        "target": 85.0,
        "meets_target": True,
        "weights": {"published": 0.5, "on_time": 0.25, "machine_readable": 0.25},
        "previous": None,
    }
    return context


@pytest.fixture(scope="module")
def tagged_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The typeset context rendered tagged, written to a file for pdftotext."""
    path = tmp_path_factory.mktemp("typo") / "report.pdf"
    path.write_bytes(render(typeset_context(), tagged=True))
    return path


def test_ukrainian_alphabetical_order() -> None:
    """і, ї, є and ґ sort in their places, case and apostrophes aside; Latin comes after."""
    names = [
        "Департамент культури",
        "Департамент інфраструктури",
        "Ґудзик",
        "Гора",
        "Єва",
        "Життя",
        "Їжак",
        "Йод",
        "Іван",
        "ім’я",
        "Відділення",
        "Відділ кадрів",
        "Abc",
        "об'єкт",
        "обід",
    ]
    assert sort_names(names) == [
        "Відділ кадрів",
        "Відділення",
        "Гора",
        "Ґудзик",
        "Департамент інфраструктури",
        "Департамент культури",
        "Єва",
        "Життя",
        "Іван",
        "ім’я",
        "Їжак",
        "Йод",
        "об'єкт",  # є before і; the apostrophe does not count
        "обід",
        "Abc",
    ]
    assert collation_key("м’ята")[:-1] == collation_key("мята")[:-1]


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        (
            'Закон "Про доступ до публічної інформації"',
            "Закон «Про доступ до публічної інформації»",
        ),
        ("КНП “Лікарня”.", "КНП «Лікарня»."),
        ("інтерв'ю, м`ята, п’ять", "інтерв’ю, м’ята, п’ять"),
        ("кінець.;", "кінець;"),
        ("кінець..", "кінець."),
        ("і так далі...", "і так далі..."),
        ("https://a.ua/?q='x'", "https://a.ua/?q='x'"),
    ],
)
def test_typographic(typed: str, printed: str) -> None:
    """Ukrainian quotes and apostrophes, no doubled stop; an ellipsis and a URL are kept."""
    assert typographic(typed) == printed


def test_clause_and_no_doubled_stops_in_report() -> None:
    """A recommendation ending in a stop gets the list's ";" or "." only."""
    assert clause("перевірити набори. ") == "перевірити набори"
    context = sample_context()
    context["recommendations"] = ["перевірити набори.", "оновити Порядок;"]
    html = render_html(context)
    assert "перевірити набори;" in html
    assert "оновити Порядок." in html
    assert ".;" not in re.sub(r"<[^>]+>", "", html)


def test_markdown_renders_as_markdown_and_html_stays_text() -> None:
    """Blockquotes and code spans work; typed HTML is escaped once, never run."""
    html = str(
        markdown_to_html(
            "> Рекомендації Мінцифри\n\nФормат `a<b & c>` тут.\n\n<b>жирний</b> <script>x</script>"
        )
    )
    assert "<blockquote>" in html
    assert "<code>a&lt;b &amp; c&gt;</code>" in html
    assert "&amp;lt;" not in html
    assert "&lt;b&gt;жирний&lt;/b&gt;" in html
    assert "<script>" not in html
    assert "<b>" not in html
    quoted = str(markdown_to_html('Закон "Про доступ" і п\'ять `a"b` [x](https://a.ua/"q")'))
    assert 'Закон «Про доступ» і п’ять <code>a"b</code>' in quoted


def test_annex1_tables_by_kind_with_dates_and_officials() -> None:
    """Executive units and municipal enterprises in tables 1.1 and 1.2 that add up to the
    register; every official, the last update and the due date or days overdue."""
    html = unhyphenate(re.sub(r"\s+", " ", render_html(typeset_context())))
    assert "Таблиця 1.1. Виконавчі органи (9)" in html
    assert "Таблиця 1.2. Комунальні підприємства та заклади (3)" in html
    assert "Усього наборів: 12 = 9 + 3" in html
    assert "Король Тетяна Михайлівна" in html
    assert "31.03.2024" in html
    assert "до 30.09.2024" in html
    assert "прострочено на 12 дн." in html
    # The rating's formula, per-kind tables and why the rows add up to more than the register.
    assert "рейтинг = 100 × (0,5 × О + 0,25 × В + 0,25 × М) / Н" in html
    assert "Комунальні підприємства та заклади</h4>" in html
    assert "Сума рядків таблиць (14) більша за кількість наборів у реєстрі" in html


def test_tagged_pdf_has_a_structure_tree(tagged_pdf: Path) -> None:
    """Marked, in Ukrainian, with headings, tables with header cells and lists; still a
    PDF/A-3u with the annexes' data attached."""
    reader = PdfReader(tagged_pdf)
    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "uk"
    tags: set[str] = set()

    def walk(node: Any, depth: int = 0) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child, depth)
            return
        if not hasattr(node, "get"):
            return
        if "/S" in node:
            tags.add(str(node["/S"]))
        kids = node.get("/K")
        if kids is not None and depth < 60:
            walk(kids, depth + 1)

    walk(root["/StructTreeRoot"])
    assert {"/Document", "/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/L", "/LI"} <= tags, tags
    metadata = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part(="|>)3', metadata)
    assert {"annex1.csv", "annex2.csv", "annex4.csv"} <= set(reader.attachments)


def test_no_word_breaks_without_a_hyphen(tagged_pdf: Path) -> None:
    """Hyphenation is on, and bounded: every break inside a word has its hyphen and leaves
    at least three letters on each side."""
    lines = pdftotext_lines(tagged_pdf)
    assert any(line.endswith("\u2010") for line in lines)  # Ukrainian hyphenation works
    assert broken_words(lines) == []
    assert short_hyphen_fragments(lines) == []


def test_annex2_is_landscape_and_starts_with_its_first_row(tagged_pdf: Path) -> None:
    """Annex 2 begins on a landscape page that also holds its first service, and every page
    it reaches repeats the table's header."""
    reader = PdfReader(tagged_pdf)
    pages = [re.sub(r"\s+", " ", unhyphenate(p.extract_text() or "")) for p in reader.pages]
    # The first page with the annex's heading after the table of contents.
    first = next(n for n, text in enumerate(pages) if n > 1 and "Додаток 2. Перелік" in text)
    assert re.search(r"Назва сервісу.*частина 1\b", pages[first]), pages[first]
    annex3 = next(n for n, text in enumerate(pages) if n > 1 and "Додаток 3. Перелік" in text)
    for number in range(first, annex3):
        box = reader.pages[number].mediabox
        assert float(box.width) > float(box.height), number + 1
        assert "Назва сервісу" in pages[number], number + 1
    assert "усі підрозділи, які пройшли анкетування (10)" in " ".join(pages[first:annex3])


def test_house_style(tmp_path: Path) -> None:
    """Font, size, margins and logo from the settings; bad values are refused."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_1PX)
    style = HouseStyle(font="sans", size_pt=14, margins=Margins.parse("20 10 20 30"), logo=logo)
    assert "margin: 20mm 10mm 20mm 30mm" in style.css()
    assert "DejaVu Sans Report" in style.css()
    with pytest.raises(ValueError, match="шрифт"):
        HouseStyle(font="Comic Sans")
    with pytest.raises(ValueError, match="розмір"):
        HouseStyle(size_pt=20)
    with pytest.raises(ValueError, match="поля"):
        Margins.parse("20 10")
    pdf = render(sample_context(), style=style)
    reader = PdfReader(io.BytesIO(pdf))
    resources: list[Any] = [page["/Resources"] for page in reader.pages]
    fonts = " ".join(
        str(f.get_object()["/BaseFont"]) for r in resources for f in r.get("/Font", {}).values()
    )
    assert "DejaVu-Sans-Report" in fonts
    first: Any = reader.pages[0]["/Resources"]
    assert "/XObject" in first  # the logo


def test_rating_ties_in_ukrainian_order() -> None:
    """Units with the same rating are listed alphabetically: «і» in its Ukrainian place."""
    from models.periodicity import parse_periodicity
    from models.publication import PublicationState
    from models.services.analysis import Observation, assess_entry, summarise

    units = ["Департамент культури", "Департамент інфраструктури", "Відділ ґрунтів", "Відділ гри"]
    entries = [
        assess_entry(
            number=n,
            name=f"Набір {n}",
            units=(unit,),
            periodicity=parse_periodicity("щороку"),
            observation=Observation(state=PublicationState.MISSING),
            today=date(2024, 10, 14),
        )
        for n, unit in enumerate(units, start=1)
    ]
    ranked, _ = summarise(entries)
    assert [s.name for s in ranked] == [
        "Відділ гри",
        "Відділ ґрунтів",
        "Департамент інфраструктури",
        "Департамент культури",
    ]
