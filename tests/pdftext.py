"""Text of the report's PDF as a reader searches it: the hyphens the renderer inserts at line
ends (U+2010, report.css hyphenation) are joined back, whitespace is collapsed."""

import re
from typing import Any

_SOFT_BREAK = re.compile("\u2010\\s+")


def unhyphenate(text: str) -> str:
    """Join the words the layout hyphenated at a line end."""
    return _SOFT_BREAK.sub("", text)


def page_text(page: Any) -> str:
    """A pypdf page's text, hyphenated words joined (lines kept)."""
    return unhyphenate(page.extract_text() or "")


_WORD = re.compile(r"[^\W\d_][\w’'\-\u2010]*", re.UNICODE)
_LETTER_END = re.compile(r"([^\W\d_]+)$")
_LOWER_START = re.compile(r"^([a-zа-яіїєґ][^\W\d_]*)")


def pdftotext_lines(pdf: Any) -> list[str]:
    """The lines of ``pdftotext`` (reading order, not layout: a cell's lines stay together)."""
    import subprocess

    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return [line.strip() for line in result.stdout.splitlines()]


def broken_words(lines: list[str]) -> list[str]:
    """Words the layout broke across lines without a hyphen.

    A line ending in a letter followed by a line starting in lowercase is a break; it is an
    ordinary break between words unless the two pieces joined make a word the text has
    elsewhere whole while the first piece is no word of the text (pdftotext keeps no trailing
    space, so the pieces alone cannot tell).
    """
    vocabulary = {w.lower() for line in lines for w in _WORD.findall(line)[1:-1]}
    found: list[str] = []
    for line, following in zip(lines, lines[1:], strict=False):
        end, start = _LETTER_END.search(line), _LOWER_START.search(following)
        if end is None or start is None:
            continue
        head, tail = end.group(1).lower(), start.group(1).lower()
        if head + tail in vocabulary and head not in vocabulary:
            found.append(f"{head}|{tail}")
    return found


def short_hyphen_fragments(lines: list[str], shortest: int = 3) -> list[str]:
    """Automatic hyphenations (U+2010 at a line end) leaving fewer than ``shortest`` letters
    on either side."""
    found: list[str] = []
    for line, following in zip(lines, lines[1:], strict=False):
        if not line.endswith("\u2010"):
            continue
        end = _LETTER_END.search(line[:-1])
        start = re.match(r"[^\W\d_]+", following)
        if start is None:
            continue  # pdftotext went on to another table cell: the rest is further on
        head = end.group(1) if end else ""
        tail = start.group(0)
        if len(head) < shortest or len(tail) < shortest:
            found.append(f"{head}‐|{tail}")
    return found
