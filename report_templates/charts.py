"""Pure-Python SVG bar charts of survey questions (the report's Annex 3, the working group's view).

The SVG is inline markup: WeasyPrint draws it without fetching anything, so the report's
fetcher keeps refusing every URL outside the templates folder. Every label is escaped.
"""

import textwrap
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 270
BAR_X = LABEL_WIDTH + 10
BAR_MAX = 250  # room for the value text after the longest bar
FONT_SIZE = 11
LINE_HEIGHT = 13
# DejaVu Sans averages ~0.58 em per character of Ukrainian text.
CHARS_PER_LINE = int(LABEL_WIDTH / (FONT_SIZE * 0.58))
MAX_LINES = 3
BAR_COLOUR = "#2f5d8a"
TEXT_COLOUR = "#1a1a1a"
FONT_FAMILY = "DejaVu Sans Report, DejaVu Sans, sans-serif"


class OptionLike(Protocol):
    """An option's result: a label, a count and a percent."""

    label: str
    count: int
    percent: float


class QuestionLike(Protocol):
    """A question's result, as models.services.surveys.QuestionResult has it."""

    position: int
    text: str
    answered: int
    participants: int

    @property
    def options(self) -> Sequence[OptionLike]: ...


def percent_text(value: float) -> str:
    """84.615 -> «84,6 %» (half up, as in the report's tables)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".replace(".", ",") + "\u00a0%"


def wrap_label(label: str) -> list[str]:
    """A label cut into at most MAX_LINES lines that fit the label column."""
    lines = textwrap.wrap(label, CHARS_PER_LINE, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: CHARS_PER_LINE - 1].rstrip() + "…"
    return lines


def _attrs(**values: Any) -> str:
    return " ".join(f'{name.replace("_", "-")}="{escape(str(v))}"' for name, v in values.items())


def bar_chart(
    options: Iterable[tuple[str, int, float]], *, title: str, answered: int, participants: int
) -> Markup:
    """A horizontal bar chart: one bar per option, its count and percent of those who answered."""
    rows = list(options)
    top = 8
    parts: list[str] = []
    for label, count, percent in rows:
        lines = wrap_label(label)
        height = max(len(lines) * LINE_HEIGHT + 8, 22)
        text_y = top + (height - len(lines) * LINE_HEIGHT) / 2 + FONT_SIZE - 1
        tspans = "".join(
            f"<tspan {_attrs(x=LABEL_WIDTH, dy=LINE_HEIGHT if i else 0)}>{escape(line)}</tspan>"
            for i, line in enumerate(lines)
        )
        parts.append(f"<text {_attrs(y=f'{text_y:.1f}', text_anchor='end')}>{tspans}</text>")
        bar = BAR_MAX * max(0.0, min(percent, 100.0)) / 100
        bar_y = top + (height - 14) / 2
        parts.append(
            f"<rect {_attrs(x=BAR_X, y=f'{bar_y:.1f}', width=f'{bar:.1f}', height=14)} "
            f'fill="{BAR_COLOUR}"/>'
        )
        value = f"{count} ({percent_text(percent)})"
        parts.append(
            f"<text {_attrs(x=f'{BAR_X + bar + 5:.1f}', y=f'{bar_y + 11:.1f}')}>"
            f"{escape(value)}</text>"
        )
        top += height
    note = f"n = {answered} з {participants}: частки від тих, хто відповів на питання"
    parts.append(f'<text {_attrs(x=BAR_X, y=top + 14)} fill="#4a4a4a">{escape(note)}</text>')
    height = top + 22
    axis = f'<line x1="{BAR_X}" y1="4" x2="{BAR_X}" y2="{top}" stroke="#767676" stroke-width="1"/>'
    # The tagged PDF's /Alt of the figure: what a screen reader says instead of the bars.
    values = "; ".join(
        f"{label} – {count} ({percent_text(percent)})" for label, count, percent in rows
    )
    alternative = f"Діаграма: {title} Відповіді: {values}; {note}."
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f"{_attrs(width=WIDTH, height=height, viewBox=f'0 0 {WIDTH} {height}')} "
        f'{_attrs(aria_label=alternative)} font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" '
        f'fill="{TEXT_COLOUR}"><title>{escape(title)}</title>{axis}{"".join(parts)}</svg>'
    )


def bar_chart_svg(result: QuestionLike) -> Markup:
    """The chart of one question's result."""
    return bar_chart(
        ((o.label, o.count, o.percent) for o in result.options),
        title=f"{result.position}. {result.text}",
        answered=result.answered,
        participants=result.participants,
    )
