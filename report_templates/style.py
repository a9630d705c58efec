"""A council's house style for the report: body font, size, page margins and a logo.

The defaults follow ДСТУ 4163-2020 (a serif face, 12–14 pt, margins of at least 30 mm left,
10 mm right, 20 mm top and bottom). A council that has a style of its own sets
INFOAUDIT_REPORT_FONT, _REPORT_FONT_SIZE_PT, _REPORT_MARGINS_MM and _REPORT_LOGO
(README, "House style"). The style becomes a <style> block after report.css, so it overrides
only these properties.
"""

import base64
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

# Families with their TTF files under report_templates/fonts (report.css @font-face): the
# renderer's URL fetcher serves nothing else, so a font must be one of these.
FONTS: dict[str, str] = {
    "serif": '"DejaVu Serif Report", serif',
    "sans": '"DejaVu Sans Report", sans-serif',
}
MIN_SIZE_PT, MAX_SIZE_PT = 10.0, 14.0
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
MAX_LOGO_BYTES = 1_000_000


@dataclass(frozen=True)
class Margins:
    """Page margins in millimetres, in CSS order."""

    top: float = 20.0
    right: float = 10.0
    bottom: float = 20.0
    left: float = 30.0

    @classmethod
    def parse(cls, text: str) -> "Margins":
        """ "20 10 20 30" (top right bottom left, mm) as margins; ValueError when malformed."""
        values = [float(v) for v in text.replace(",", " ").split()]
        if len(values) != 4 or not all(5 <= v <= 60 for v in values):
            raise ValueError("поля сторінки: чотири числа від 5 до 60 мм (верхнє праве нижнє ліве)")
        return cls(*values)


@dataclass(frozen=True)
class HouseStyle:
    """How the report looks: font family key, body size, margins, optional logo file."""

    font: str = "serif"
    size_pt: float = 12.0
    margins: Margins = Margins()
    logo: Path | None = None

    def __post_init__(self) -> None:
        if self.font not in FONTS:
            raise ValueError(f"шрифт звіту: один із {', '.join(FONTS)}")
        if not MIN_SIZE_PT <= self.size_pt <= MAX_SIZE_PT:
            raise ValueError(f"розмір шрифту звіту: від {MIN_SIZE_PT:g} до {MAX_SIZE_PT:g} пт")

    def css(self) -> Markup:
        """The CSS overriding report.css's font, size and margins (values are validated)."""
        m = self.margins
        return Markup(  # noqa: S704 - built from validated numbers and a fixed family table
            f"@page {{ margin: {m.top:g}mm {m.right:g}mm {m.bottom:g}mm {m.left:g}mm; }}\n"
            f"html {{ font-family: {FONTS[self.font]}; font-size: {self.size_pt:g}pt; }}\n"
        )

    def logo_uri(self) -> str | None:
        """The logo as a data: URI (the fetcher serves no other file outside templates)."""
        if self.logo is None:
            return None
        media_type = LOGO_TYPES.get(self.logo.suffix.lower())
        if media_type is None:
            raise ValueError(f"логотип: файл {', '.join(LOGO_TYPES)}")
        data = self.logo.read_bytes()
        if len(data) > MAX_LOGO_BYTES:
            raise ValueError("логотип більший за 1 МБ")
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"

    def context(self) -> dict[str, object]:
        """What the template reads as ``house_style``."""
        return {"css": self.css(), "logo": self.logo_uri()}


DEFAULT_STYLE = HouseStyle()
