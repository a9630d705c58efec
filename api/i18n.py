"""Page texts from gettext catalogues (api/locale/<language>/LC_MESSAGES/messages.po).

Ukrainian is the source language: the msgids are the Ukrainian texts of the templates, so the
Ukrainian catalogue only carries the plural forms (Ukrainian has three, a msgid has two). The .po
is compiled in memory at start, so no binary .mo file is kept in the repository. How to update a
catalogue or add a language: docs/i18n.md.
"""

import logging
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "uk"

log = logging.getLogger(__name__)


def catalogue_path(language: str) -> Path:
    """Where a language's .po file lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> list[str]:
    """Languages with a catalogue, sorted."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@lru_cache
def load_translations(language: str) -> tuple[str, Translations]:
    """The compiled catalogue for a language; an unknown one falls back to Ukrainian."""
    if not catalogue_path(language).is_file():
        log.warning(
            "No page catalogue for language %r (have: %s); pages are in Ukrainian",
            language,
            ", ".join(available_languages()),
        )
        language = SOURCE_LANGUAGE
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return language, Translations(compiled, domain=DOMAIN)


def install_translations(env: Environment, language: str) -> str:
    """Make the templates' `_`/`ngettext` use the language's catalogue; the language used."""
    language, translations = load_translations(language)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["page_language"] = language
    return language
