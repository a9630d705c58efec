"""What the report's download links give: every link says which version and whether it is signed,
the SHA-256 beside it is the downloaded file's, and the mayor's office gets a signed report only
(told so while there is none)."""

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.demo.pki import TestPki
from models.clock import FixedClock
from models.db import session_scope
from models.security import sha256_hex
from models.services.report.versions import store_version
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import csrf_of

PDF = (Path(__file__).parent / "data" / "kep" / "report.pdf").read_bytes()
LINK = re.compile(
    r'<a href="(/api/cycles/\d+/report/download[^"]*)" download>([^<]+)</a><br>\s*'
    r'<span class="hint">SHA-256 цього файлу:</span> <code>([0-9a-f]{64})</code>'
)


def _links(html: str) -> list[tuple[str, str, str]]:
    return [(href.replace("&amp;", "&"), label, sha) for href, label, sha in LINK.findall(html)]


def test_links_say_version_and_signature_and_hash_their_file(
    client: TestClient, clock: FixedClock, pki: TestPki
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    cycle_url, report_url = f"/console/cycles/{cycle_id}", f"/console/cycles/{cycle_id}/report"
    with session_scope() as session:
        store_version(session, cycle_id=cycle_id, pdf=PDF, number=1, now=clock.now())
    size = f"{round(len(PDF) / 1024)} КБ"

    # The mayor's office is told there is no signed report yet, and gets no file.
    console_login(client, org["mayor_email"])
    page = client.get(cycle_url).text
    assert "Підписаного звіту ще немає: звіт ще не затверджено й не підписано." in page
    assert _links(page) == []
    assert client.get(f"/api/cycles/{cycle_id}/report.pdf").status_code == 404

    console_login(client, org["coordinator_email"])
    page = client.get(report_url).text
    unsigned = f"Звіт, версія 1, не підписаний (PDF, {size})"
    assert (f"/api/cycles/{cycle_id}/report/download", unsigned, sha256_hex(PDF)) in _links(page)
    assert 'data-confirm="Затвердити версію 1?' in page
    approved = client.post(f"{report_url}/versions/1/approve", data={"csrf_token": csrf_of(page)})
    assert "Версію 1 затверджено." in approved.text

    console_login(client, org["mayor_email"])
    page = client.get(cycle_url).text
    assert "Підписаного звіту ще немає: звіт затверджено" in page
    assert _links(page) == []
    assert client.get(f"/api/cycles/{cycle_id}/report/download").status_code == 404

    console_login(client, org["coordinator_email"])
    page = client.get(report_url).text
    signed = client.post(
        f"{report_url}/versions/1/sign",
        data={
            "csrf_token": csrf_of(page),
            "password": pki.password,
        },
        files={"pkcs12": ("org.p12", pki.pkcs12, "application/x-pkcs12")},
    )
    assert "Версію 1 підписано." in signed.text
    for href, label, sha in _links(signed.text):
        assert label.startswith("Звіт, версія 1, підписаний КЕП (PDF, ")
        assert sha256_hex(client.get(href).content) == sha

    # The mayor's office: the cycle page's link and the report page's give the signed file,
    # and the hash beside each is that file's.
    console_login(client, org["mayor_email"])
    for url in (cycle_url, report_url):
        links = _links(client.get(url).text)
        assert len(links) == 1, url
        href, label, sha = links[0]
        assert re.fullmatch(r"Звіт, версія 1, підписаний КЕП \(PDF, \d+ КБ\)", label)
        content = client.get(href).content
        assert content != PDF  # the signed PDF, not the one rendered
        assert content.startswith(PDF[:8])
        assert sha256_hex(content) == sha
    assert client.get(f"/api/cycles/{cycle_id}/report.pdf").content == content
