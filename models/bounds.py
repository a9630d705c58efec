"""Limits of input values, declared so that the JSON schema says what the server checks.

Texts trimmed before they are measured: a plain `StringConstraints(strip_whitespace=True,
min_length=1)` publishes `minLength: 1`, so a client's validator passes `"   "` that the server
then refuses. `trimmed()` adds a pattern found only when the trimmed text is long enough: at
least `min_length` characters from the first to the last one that is not white space.

Integers a database column can hold: a signed 64-bit integer in SQLite and PostgreSQL alike
(beyond it SQLite's driver overflows, a 500, before any rule is checked).
"""

from typing import Annotated

from pydantic import Field, StringConstraints

MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)
# A stored integer; a row's id or number (they start at 1).
Integer = Annotated[int, Field(ge=MIN_INTEGER, le=MAX_INTEGER)]
RowId = Annotated[int, Field(ge=1, le=MAX_INTEGER)]

# What pydantic's strip removes (Rust's `str::trim`: the Unicode White_Space property) and what
# Python's `str.strip()` removes besides (\x1c-\x1f), spelled out: `\s` means one thing in
# Python, another in Rust and another in ECMAScript.
WHITE_SPACE_CLASS = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
NOT_WHITE_SPACE = f"[^{WHITE_SPACE_CLASS}]"


def trimmed_pattern(min_length: int) -> str:
    """A pattern found in a text exactly when the text, trimmed, has `min_length` characters."""
    if min_length <= 1:
        return NOT_WHITE_SPACE
    return f"{NOT_WHITE_SPACE}[\\s\\S]{{{min_length - 2},}}{NOT_WHITE_SPACE}"


def trimmed(*, min_length: int, max_length: int) -> StringConstraints:
    """A text trimmed, then at least `min_length` and at most `max_length` characters long."""
    return StringConstraints(
        strip_whitespace=True,
        min_length=min_length,
        max_length=max_length,
        pattern=trimmed_pattern(min_length),
    )
