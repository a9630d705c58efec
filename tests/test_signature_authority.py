"""Who signs the report and which signature counts (issue 16): only the coordinator signs; a
second signature — even with a self-made PKCS#12 naming someone else — is added on top of the
signed PDF (the first stays present and valid, pyHanko and pdfsig say so), the first valid one
stays authoritative and is what the mayor's office downloads, and the signer's name is the
certificate's, never typed."""

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.demo.pki import TestPki, make_pki
from flows.report import render_version
from models.clock import FixedClock
from models.services.report.pades import pades_statuses
from tests.console_pages import add_login, console_login
from tests.doubles.html import csrf_of
from tests.factories import at, create_organization, launch, login, plan
from tests.pdftext import pdftotext_lines


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def _sign(client: TestClient, base: str, headers: dict[str, str], pki: TestPki, **form: str) -> Any:
    return client.post(
        f"{base}/versions/1/sign",
        headers=headers,
        files={"pkcs12": ("key.p12", pki.pkcs12, "application/x-pkcs12")},
        data={"password": pki.password, **form},
    )


@pytest.fixture
def approved(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    org = create_organization(client)
    cycle_id = launch(client, org["coordinator"], plan())["id"]
    clock.set(at("2024-10-07"))
    assert render_version(cycle_id, clock.now()) == 1
    base = f"/api/cycles/{cycle_id}/report"
    org["coordinator"] = login(client, org["coordinator_email"])  # the clock moved days on
    assert client.post(f"{base}/versions/1/approve", headers=org["coordinator"]).status_code == 200
    return {"org": org, "cycle_id": cycle_id, "base": base}


def test_only_the_coordinator_signs(
    client: TestClient, approved: dict[str, Any], pki: TestPki
) -> None:
    org, base = approved["org"], approved["base"]
    member_email = add_login(client, org, "working_group")
    member = login(client, member_email)
    refused = _sign(client, base, member, pki)
    assert refused.status_code == 403
    p7s = client.post(
        f"{base}/versions/1/p7s",
        headers=member,
        files={"p7s": ("r.p7s", b"x", "application/pkcs7-signature")},
    )
    assert p7s.status_code == 403
    # The console: no signing form for a member, and a forged post is refused.
    console_login(client, member_email)
    url = f"/console/cycles/{approved['cycle_id']}/report"
    page = client.get(url).text
    assert "може лише координатор робочої групи" in page
    assert 'name="pkcs12"' not in page
    forged = client.post(
        f"{url}/versions/1/sign",
        data={"csrf_token": csrf_of(page), "password": pki.password},
        files={"pkcs12": ("key.p12", pki.pkcs12, "application/x-pkcs12")},
    )
    assert forged.status_code == 403
    client.cookies.clear()
    assert client.get(base, headers=member).json()["versions"][0]["signatures"] == []


def test_a_second_signature_is_added_and_never_replaces_the_first(
    client: TestClient, approved: dict[str, Any], pki: TestPki, tmp_path: Path
) -> None:
    org, base = approved["org"], approved["base"]
    coordinator, mayor = org["coordinator"], login(client, org["mayor_email"])
    first = _sign(client, base, coordinator, pki)
    assert first.status_code == 200, first.text
    assert first.json()["signer_name"] == "Тестенко Марія Іванівна"  # the certificate's CN
    assert first.json()["signer_position"] == "секретар міської ради"  # its title
    official = client.get(f"{base}/download", headers=mayor).content

    # Someone with the coordinator's login signs again with a self-made key, typing a name.
    impostor = make_pki(signer_name="Самозванець Петро", title="міський голова")
    second = _sign(client, base, coordinator, impostor, signer_name="Міський голова")
    assert second.status_code == 200, second.text
    assert second.json()["signer_name"] == "Самозванець Петро"  # never the typed text
    assert second.json()["authoritative"] is False

    version = client.get(base, headers=mayor).json()["versions"][0]
    signatures = version["signatures"]
    assert [s["authoritative"] for s in signatures] == [True, False]
    assert version["authoritative_signature_id"] == signatures[0]["id"]
    # The mayor's office still gets the first signature's PDF, byte for byte.
    download = client.get(f"{base}/download", headers=mayor)
    assert download.content == official
    assert hashlib.sha256(download.content).hexdigest() == signatures[0]["sha256"]
    assert version["download_sha256"] == signatures[0]["sha256"]

    # The later file is an incremental update on top of the signed one: it holds both
    # signatures, the first intact and valid, the second covering the whole file.
    from models.db import session_scope
    from models.services.report.signoff import load_signature_data

    with session_scope() as session:
        later = load_signature_data(session, signature_id=signatures[1]["id"])
    assert later.startswith(official)  # the first signed file, untouched, then the update
    statuses = pades_statuses(later, trust_roots=[pki.root_der, impostor.root_der])
    assert len(statuses) == 2
    assert all(s.intact and s.valid for s in statuses)
    assert statuses[0].coverage.name == "ENTIRE_REVISION"
    assert statuses[1].coverage.name == "ENTIRE_FILE"
    report = _pdfsig(later, tmp_path)
    assert report.count("Signature is Valid") == 2, report
    assert "Тестенко Марія Іванівна" in report
    assert "Самозванець Петро" in report
    assert "Total document signed" in report  # the second, over the whole file
    # Each visible block names its certificate's subject, read back from the PDF's text.
    signed_path = tmp_path / "later.pdf"
    signed_path.write_bytes(later)
    text = " ".join(pdftotext_lines(signed_path))
    assert text.count("Підписано електронним підписом (PAdES)") == 2
    assert "Самозванець Петро міський голова" in text
    assert "Тестенко Марія Іванівна секретар міської ради" in text
    assert "Міський голова" not in text  # the typed text is nowhere

    # The console shows both and says which is official.
    console_login(client, org["mayor_email"])
    page = client.get(f"/console/cycles/{approved['cycle_id']}/report").text
    assert page.count("— офіційний") == 1
    assert "додатковий, не замінює офіційного" in page
    assert page.index("Тестенко Марія Іванівна") < page.index("Самозванець Петро")
    assert page.index("— офіційний") < page.index("Самозванець Петро")
