"""Ukrainian text rules the report and the pages share: alphabetical order and typography.

Python compares strings by code point, which puts «і» (U+0456), «ї», «є» and «ґ» after «я»:
"Департамент культури" would come before "Департамент інфраструктури". The collation key
follows the Ukrainian alphabet (ДСТУ/Правопис 2019, § 4); the apostrophe and soft sign's
neighbours sort as if the apostrophe were absent, as dictionaries do.
"""

import re
from collections.abc import Iterable
from typing import TypeVar

ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
# Every apostrophe form users type: the typographic one, the modifier letter, ASCII, grave.
APOSTROPHES = "’ʼ'`´"
_RANK = {letter: index for index, letter in enumerate(ALPHABET)}
_AFTER_CYRILLIC = len(ALPHABET)  # Latin letters and digits come after the Ukrainian ones
_LETTER = "а-яА-ЯіІїЇєЄґҐ"

T = TypeVar("T")


def collation_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key for Ukrainian alphabetical order, case-insensitive, apostrophes ignored.

    Each character maps to (group, rank, char): Ukrainian letters by their alphabet position
    (group 1), other letters and digits after them by code point (group 2); spaces and
    punctuation first (group 0) so that "Відділ кадрів" precedes "Відділення".
    """
    key: list[tuple[int, int, str]] = []
    for char in text.casefold():
        if char in APOSTROPHES:
            continue
        rank = _RANK.get(char)
        if rank is not None:
            key.append((1, rank, char))
        elif char.isalnum():
            key.append((2, _AFTER_CYRILLIC + ord(char), char))
        else:
            key.append((0, 0, " "))
    # Equal ignoring case and apostrophes: the original decides, so the order is total.
    return (*key, (3, 0, text))


def sort_names(names: Iterable[str]) -> list[str]:
    """Names in Ukrainian alphabetical order."""
    return sorted(names, key=collation_key)


_APOSTROPHE = re.compile(rf"(?<=[{_LETTER}])['ʼ`´](?=[{_LETTER}])")
_OPEN_QUOTE = re.compile(r"(^|[\s(\[—–-])[\"“„](?=\S)")
_CLOSE_QUOTE = re.compile(r"(?<=\S)[\"”“](?=$|[\s.,;:!?)\]…—–-])")
_DOUBLED_STOP = re.compile(r"(?<!\.)\.\s*([.;])(?!\.)")


def typographic(text: str) -> str:
    """Ukrainian typography for user text: «ялинки» for straight or English quotes, ’ for
    the apostrophe inside a word, and no stop doubled by a following mark (".;" "..", but an
    ellipsis "..." is kept)."""
    text = _APOSTROPHE.sub("’", text)
    text = _OPEN_QUOTE.sub(r"\1«", text)
    text = _CLOSE_QUOTE.sub("»", text)
    return _DOUBLED_STOP.sub(r"\1", text)


def clause(text: str) -> str:
    """Text that a template follows with its own punctuation: trailing stops and spaces cut."""
    return text.rstrip().rstrip(".;,:").rstrip()
