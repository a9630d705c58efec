"""The README's main job, as a user runs it: `infoaudit demo --out DIR` on a fresh directory."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.pdftext import broken_words, page_text, pdftotext_lines, short_hyphen_fragments

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


def test_demo_runs_a_whole_cycle_and_writes_the_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOAUDIT_", "PREFECT_"))}
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--out", str(out)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "prefect").is_dir()  # Prefect's files stay under --out, not in ~/.prefect
    report = out / "report.pdf"
    assert f"Звіт: {report.resolve()}" in result.stdout
    assert "HTTP 409" in result.stdout  # the late questionnaire was refused
    text = re.sub(r"\s+", " ", "\n".join(page_text(p) for p in PdfReader(report).pages))
    for stage_dates in (
        "23.09.2024 – 27.09.2024",
        "23.09.2024 – 06.10.2024",
        "30.09.2024",
        "07.10.2024 – 14.10.2024",
    ):
        assert stage_dates in text
    for annex in ("Додаток 1", "Додаток 2", "Додаток 3", "Додаток 4"):
        assert annex in text
    assert "Калуська міська рада" in text
    # Annex 1 names every responsible official of an entry, in the register's order: two
    # for row 13, one per municipal enterprise for the shared row 61.
    annex1 = PdfReader(report).attachments["annex1.csv"][0].decode("utf-8-sig")
    assert (
        "Кушнір Наталя Василівна – головний спеціаліст управління економічного розвитку " in annex1
    )
    assert "Калуської міської ради; Попович Іванна Романівна – головний спеціаліст" in annex1
    shared = next(line for line in annex1.splitlines() if "медичне обладнання" in line)
    surnames = ("Головата", "Дмитрук", "Білинський", "Качмар")
    assert [shared.index(name) for name in surnames] == sorted(shared.index(n) for n in surnames)
    assert "Попович Іванна" in text
    # The seed's real cycle: its figures where the seed states them.
    for fact in (
        "м. Калуш – 2024",
        "у 17 підрозділах",
        "В опитуванні взяли участь 38 осіб",
        "84,6 % учасників обрали відповідь «Так»",
        "з 24.09.2024 по 05.10.2024 у 13 підрозділах",
        "27.09.2024, продовжено до 05.10.2024",
        "отримано 42 записи щодо інформаційних систем",
        "станом на 23.09.2024",
        "Управління архітектури та містобудування – 8 з 8 наборів даних, з них 6",
        "Управління житлово-комунального господарства – 11 з 12 наборів даних, з них 1",
        "вирішено не проводити інтерв’ю посадових осіб",
        "Порядок оприлюднення інформації про діяльність комунальних підприємств",
    ):
        assert fact in text, fact
    assert "Графік проведення інтерв’ю затверджено" not in text  # it never was
    assert "Версія звіту" not in text  # the version is in the file name, not on the cover

    # Issue 13's "done when", on the demo's own report: tagged, no word broken without a
    # hyphen, and Annex 2 beginning on a page that holds its first row.
    info = subprocess.run(["pdfinfo", str(report)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), info.stdout
    lines = pdftotext_lines(report)
    assert broken_words(lines) == []
    assert short_hyphen_fragments(lines) == []
    pages = [re.sub(r"\s+", " ", page_text(p)) for p in PdfReader(report).pages]
    annex2 = next(p for n, p in enumerate(pages) if n > 1 and "Додаток 2. Перелік" in p)
    header_end = annex2.index("використовують") + len("використовують")
    assert re.match(r" 1 \S", annex2[header_end:]), annex2[header_end : header_end + 80]

    # Issue 18: the 2024 report's action plan, followed through 2025 and checked by the short
    # 2025 cycle's report (both sections, figures for both years).
    later = out / "report-2025.pdf"
    assert "report-2025.pdf" in result.stdout
    text = re.sub(r"\s+", " ", "\n".join(page_text(p) for p in PdfReader(later).pages))
    assert "Стан виконання рекомендацій попереднього аудиту" in text
    assert "Порівняння з попередніми аудитами" in text
    assert "2025 (цей аудит)" in text
    assert "Підтвердження виконання" in text
    assert re.search(r"виконано – 3, прострочено – 9\b", text)  # in progress but late counts
    lines = pdftotext_lines(later)
    assert broken_words(lines) == []
    assert short_hyphen_fragments(lines) == []
