"""Page texts live in gettext catalogues: the catalogues are in sync with the templates, no
template has Ukrainian text outside a gettext call, plurals follow Ukrainian rules, and the
configured language is loaded at start (an unknown one falls back to Ukrainian)."""

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from fastapi.testclient import TestClient

from api import i18n
from api.app import create_app
from api.web import TEMPLATES_DIR, templates
from models.clock import FixedClock
from models.db import get_engine
from models.settings import get_settings

pytestmark = pytest.mark.sqlite_only  # no database engine involved

POT = i18n.LOCALE_DIR / "messages.pot"
MAPPING = i18n.LOCALE_DIR / "babel.cfg"
UPDATE = "see docs/i18n.md: pybabel extract … && pybabel update …"
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
CYRILLIC = re.compile("[\u0400-\u04ff]")

MessageId = str | tuple[str, ...]


def extracted() -> dict[MessageId, set[str]]:
    """The templates' messages as babel extracts them with the project's mapping: id → files."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found: dict[MessageId, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(TEMPLATES_DIR), method_map, options_map
    ):
        found.setdefault(message, set()).add(filename)
    return found


def catalogue(path: Path) -> Catalog:
    """A .pot or .po file as babel reads it (obsolete entries are not in it)."""
    with path.open("rb") as po:
        return read_po(po)


def ids(catalog: Catalog) -> set[MessageId]:
    """The message ids of a catalogue, without the header."""
    return {
        tuple(message.id) if isinstance(message.id, list) else message.id
        for message in catalog
        if message.id
    }


def test_every_template_message_is_in_the_catalogues() -> None:
    messages = extracted()
    assert len(messages) > 150  # the extraction found the templates' texts
    template = ids(catalogue(POT))
    missing = {m: sorted(files) for m, files in messages.items() if m not in template}
    assert missing == {}, f"messages.pot is behind the templates: {UPDATE}"
    assert template - set(messages) == set(), f"messages.pot has stale messages: {UPDATE}"
    for language in i18n.available_languages():
        po = ids(catalogue(i18n.catalogue_path(language)))
        assert set(messages) - po == set(), f"{language} catalogue is behind: {UPDATE}"
        assert po - set(messages) == set(), f"{language} catalogue has stale messages: {UPDATE}"


def test_catalogues_are_well_formed_and_ukrainian_plurals_have_three_forms() -> None:
    assert "uk" in i18n.available_languages()
    for language in i18n.available_languages():
        catalog = catalogue(i18n.catalogue_path(language))
        problems = [(message.id, errors) for message, errors in catalog.check() if errors]
        assert problems == [], language  # e.g. a %(name)s placeholder lost in a translation
    uk = catalogue(i18n.catalogue_path("uk"))
    plurals = [m for m in uk if m.id and m.pluralizable]
    assert plurals, "the templates show numbers with nouns"
    assert uk.num_plurals == 3
    for message in plurals:
        assert isinstance(message.string, tuple), message.id
        assert all(message.string), message.id
    # No markup in the texts: links and emphasis stay in the templates.
    assert [m.id for m in uk if "<" in str(m.id)] == []


def test_ukrainian_plural_forms_are_chosen_by_number() -> None:
    _language, translations = i18n.load_translations("uk")
    hint = "Відповідь у довільній формі, до %(count)s символу."
    hint_plural = "Відповідь у довільній формі, до %(count)s символів."
    chosen = {n: translations.ngettext(hint, hint_plural, n) % {"count": n} for n in (1, 3, 21)}
    assert chosen[1].endswith("до 1 символу.")
    assert chosen[3].endswith("до 3 символів.")
    assert chosen[21].endswith("до 21 символу.")  # not English "one/other"
    assert translations.plural(5) == 2  # the rule comes from the catalogue's header
    # The cycle page's progress line, through the gettext installed in the templates.
    line = "Анкети подали %(submitted)s з %(num)d підрозділу"
    plural = "Анкети подали %(submitted)s з %(num)d підрозділів"
    rendered = templates.env.from_string("{{ ngettext(line, plural, n, submitted=3) }}")
    assert rendered.render(line=line, plural=plural, n=8) == "Анкети подали 3 з 8 підрозділів"
    assert rendered.render(line=line, plural=plural, n=31) == "Анкети подали 3 з 31 підрозділу"


def untranslated(source: str) -> list[tuple[int, str]]:
    """Ukrainian text of a template outside gettext: data outside {% trans %} blocks, and
    string literals that are not the text of a `_()`/`ngettext()` call."""
    found: list[tuple[int, str]] = []
    in_trans = False
    tag_next = False  # the next name is a block tag's name
    depth = 0
    calls: list[int] = []  # paren depths of the open gettext calls
    previous: tuple[str, str] = ("", "")
    for line, kind, value in templates.env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            tag_next = True
        elif tag_next and kind == "name":
            tag_next = False
            in_trans = {"trans": True, "endtrans": False}.get(value, in_trans)
        elif kind == "operator" and value == "(":
            depth += 1
            if previous[0] == "name" and previous[1] in GETTEXT_CALLS:
                calls.append(depth)
        elif kind == "operator" and value == ")":
            if calls and calls[-1] == depth:
                calls.pop()
            depth -= 1
        elif kind == "data" and not in_trans and CYRILLIC.search(value):
            found.append((line, value.strip()))
        elif kind == "string" and CYRILLIC.search(value):
            # The text of a gettext call, not a value for its placeholders (name="…").
            if not calls or calls[-1] != depth or previous == ("operator", "="):
                found.append((line, value))
        previous = (kind, value)
    return found


def test_no_template_has_ukrainian_text_outside_gettext() -> None:
    templates_found = sorted(TEMPLATES_DIR.rglob("*.html"))
    assert len(templates_found) >= 15
    left = {
        str(path.relative_to(TEMPLATES_DIR)): untranslated(path.read_text(encoding="utf-8"))
        for path in templates_found
    }
    assert {name: texts for name, texts in left.items() if texts} == {}


def test_the_check_itself_finds_text_outside_gettext() -> None:
    source = (
        '{# коментар #}<p>{{ _("Текст") }}</p>{% trans n=1 %}Блок {{ n }}{% endtrans %}'
        '<p>Забутий текст</p>{{ "завершено" if done }}{{ _("Стан: %(s)s", s="триває") }}'
        '{{ ngettext("%(num)d рядок", "%(num)d рядки", 2) }}'
    )
    assert [text for _line, text in untranslated(source)] == [
        "<p>Забутий текст</p>",
        '"завершено"',
        '"триває"',
    ]


@pytest.fixture
def locale_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the catalogues to add a language to; the Ukrainian pages come back after."""
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy)
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    i18n.load_translations.cache_clear()
    yield copy
    monkeypatch.undo()
    i18n.load_translations.cache_clear()
    i18n.install_translations(templates.env, i18n.SOURCE_LANGUAGE)


def _home(language: str, monkeypatch: pytest.MonkeyPatch, clock: FixedClock) -> str:
    monkeypatch.setenv("INFOAUDIT_LANGUAGE", language)
    get_settings.cache_clear()
    with TestClient(create_app(clock=clock, engine=get_engine())) as client:
        page = client.get("/")
    assert page.status_code == 200
    return page.text


def test_an_english_catalogue_is_loaded_at_start(
    locale_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    english = Catalog(locale="en", domain="messages")
    english.add("Перейти до змісту", "Skip to content")
    english.add("Інформаційний аудит", "Information audit")
    english.add(
        "Робоча група та апарат міського голови: %(link)s.",
        "The working group and the mayor's office: %(link)s.",
        flags=["python-format"],
    )
    english.add("вхід до системи", "log in")
    target = locale_dir / "en" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    with target.open("wb") as po:
        write_po(po, english)
    assert "en" in i18n.available_languages()

    page = _home("en", monkeypatch, clock)
    assert '<html lang="en">' in page
    assert "Skip to content" in page
    assert 'mayor\'s office: <a href="/login">log in</a>.' in page.replace("&#39;", "'")
    # A text the catalogue does not have yet stays in the source language.
    assert "Мешканці беруть участь в опитуванні" in page


def test_an_unknown_language_falls_back_to_ukrainian_with_a_warning(
    locale_dir: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="api.i18n"):
        page = _home("xx", monkeypatch, clock)
    assert '<html lang="uk">' in page
    assert "Перейти до змісту" in page
    warnings = [r.getMessage() for r in caplog.records if r.name == "api.i18n"]
    assert warnings == ["No page catalogue for language 'xx' (have: uk); pages are in Ukrainian"]
