"""The README's main job, as a user runs it: `infoaudit demo --out DIR` on a fresh directory."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.console_pages import browser_login
from tests.factories import PASSWORD
from tests.pdftext import broken_words, page_text, pdftotext_lines, short_hyphen_fragments

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOAUDIT_", "PREFECT_"))}
    return {**env, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo run once for this module: its output directory and what it printed (stdout,
    then stderr). The user's own SMTP settings are set: the demo must not use them."""
    home = tmp_path_factory.mktemp("demo")
    out = home / "report"
    user_smtp = {
        "INFOAUDIT_SMTP_HOST": "smtp.invalid",
        "INFOAUDIT_SMTP_USER": "someone",
        "INFOAUDIT_SMTP_STARTTLS": "true",
    }
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--out", str(out)],
        cwd=home,
        env={**_clean_env(), **user_smtp},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout + result.stderr


def test_demo_runs_a_whole_cycle_and_writes_the_report(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    assert (out / "prefect").is_dir()  # Prefect's files stay under --out, not in ~/.prefect
    report = out / "report.pdf"
    assert f"Звіт: {report.resolve()}" in stdout
    assert "HTTP 409" in stdout  # the late questionnaire was refused
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
    assert "report-2025.pdf" in stdout
    text = re.sub(r"\s+", " ", "\n".join(page_text(p) for p in PdfReader(later).pages))
    assert "Стан виконання рекомендацій попереднього аудиту" in text
    assert "Порівняння з попередніми аудитами" in text
    assert "2025 (цей аудит)" in text
    assert "Підтвердження виконання" in text
    assert re.search(r"виконано – 3, прострочено – 9\b", text)  # in progress but late counts
    lines = pdftotext_lines(later)
    assert broken_words(lines) == []
    assert short_hyphen_fragments(lines) == []


def test_the_demo_writes_the_letters_it_sends_as_eml_files(demo: tuple[Path, str]) -> None:
    """No SMTP server in a demo: its own sink on loopback keeps every letter under DIR/mail."""
    out, printed = demo
    letters = sorted((out / "mail").glob("*.eml"))
    assert letters
    parsed = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in letters]
    link = next(
        m
        for m in parsed
        if m["Subject"] == "Анкета інформаційного аудиту 2024: посилання для підрозділу"
    )
    assert str(link["To"]).endswith("@kalush.example.org")
    body = link.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Шановні колеги!" in text
    assert "/q/" in text
    assert f"Листів, які система надіслала б: {len(letters)}; збережено в " in printed
    assert "Outbox:" not in printed
    assert "failed" not in printed


def test_every_console_page_of_the_demo_fits_a_phone(demo: tuple[Path, str], browser: Any) -> None:
    """The demo's real city data (long unit names, URLs, e-mails, survey texts) on every console
    page, every folded form opened: at 360 px nothing widens the page."""
    out, _stdout = demo
    database = out / "infoaudit-demo.db"
    with sqlite3.connect(database) as conn:
        org_id, unit_id = conn.execute("SELECT organization_id, id FROM unit LIMIT 1").fetchone()
        cycle_ids = [row[0] for row in conn.execute("SELECT id FROM audit_cycle ORDER BY id")]
        entry_id = conn.execute("SELECT id FROM register_entry LIMIT 1").fetchone()[0]
    env = {
        **_clean_env(),
        "INFOAUDIT_DATABASE_URL": f"sqlite:///{database}",
        "INFOAUDIT_DATA_DIR": str(out),
        "INFOAUDIT_SECRET_KEY": "demo-phone-test-secret-key-0123456789abcdef",
        "INFOAUDIT_NEW_PASSWORD": PASSWORD,
    }
    email = "phone-check@kalush.example.org"
    created = subprocess.run(
        [sys.executable, "-m", "api.cli", "account", "create", "--email", email]
        + ["--role", "coordinator", "--organization-id", str(org_id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    account_id = int(re.findall(r"\d+", created.stdout)[0])
    pages = ["/console", "/console/accounts", f"/console/accounts/{account_id}"]
    pages += ["/console/cycles/new", "/console/units", f"/console/units/{unit_id}"]
    for cycle_id in cycle_ids:
        base = f"/console/cycles/{cycle_id}"
        pages += [base] + [
            f"{base}/{tail}"
            for tail in (
                "action-plan",
                "consolidation/systems",
                "consolidation/items",
                "interviews",
                "open-data",
                "open-data/matches",
                "register",
                f"register/{entry_id}",
                "report",
                "report/text",
                "survey",
            )
        ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.cli_roles:web_app",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        live = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{live}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, "uvicorn stopped"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.3)
        context = browser.new_context(viewport={"width": 360, "height": 800})
        page = context.new_page()
        browser_login(page, live, email)
        wide = []
        for url in pages:
            response = page.goto(f"{live}{url}")
            assert response is not None, url
            assert response.status == 200, url
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide.append(f"{url}: {width}")
        context.close()
        assert wide == []
    finally:
        server.terminate()
        server.wait(timeout=20)
