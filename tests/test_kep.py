"""КЕП: detached CAdES signatures with DSTU 4145 / GOST 34.311 (tests/data/kep, made by jkurwa),
every signer with its details, the chain to a trusted list (CACertificates.p7b), the refusals,
the command line, and a report version's .p7s through the API and the console."""

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from models.clock import FixedClock
from models.errors import Invalid
from models.kep import (
    ChainStatus,
    KepError,
    KepUnavailable,
    node_problem,
    parse_trust_list,
    signers_from_json,
    verify_detached,
)
from models.kep.certificates import Cert
from models.kep.chain import cert_link_request
from models.kep.node import run_node
from models.report import SignatureCheck
from models.services.report.cades import inspect_p7s
from tests.factories import at, create_admin, create_organization, launch, login, plan

DATA = Path(__file__).parent / "data" / "kep"
PDF = (DATA / "report.pdf").read_bytes()
P7S = (DATA / "report.pdf.p7s").read_bytes()
OUTSIDER = (DATA / "outsider.pdf.p7s").read_bytes()
TRUSTED = parse_trust_list((DATA / "ca.p7b").read_bytes())

# CI installs the Node modules (.ci/run): there these tests must run, never be skipped.
needs_node = pytest.mark.skipif(
    node_problem() is not None and not os.environ.get("CI"),
    reason="Node.js or models/kep/node/node_modules missing (npm ci --prefix models/kep/node)",
)


def _changed(data: bytes, at_byte: int | None = None) -> bytes:
    index = len(data) // 2 if at_byte is None else at_byte
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.fixture
def no_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Node.js."""
    monkeypatch.setenv("INFOAUDIT_NODE", "/nonexistent/node")


@needs_node
@pytest.mark.sqlite_only
def test_both_signers_valid_with_their_details_and_chain() -> None:
    result = verify_detached(P7S, PDF, trusted=TRUSTED)
    assert result.valid
    assert result.trusted
    mayor, secretary = result.signers
    assert mayor.name == "Тестенко Марія Іванівна"
    assert mayor.position == "Міський голова"
    assert mayor.organization == "Тестівська міська рада"
    assert (mayor.edrpou, mayor.rnokpp) == ("12345678", "1234567890")
    assert mayor.signed_at is not None
    assert mayor.signed_at.isoformat() == "2025-06-16T09:30:00+00:00"
    assert mayor.hash_algorithm == "ГОСТ 34.311-95"
    assert mayor.signature_algorithm == "ДСТУ 4145-2002"
    assert mayor.valid is True
    assert mayor.chain == ChainStatus.TRUSTED
    assert mayor.verdict == "підпис дійсний"
    assert secretary.name == "Петренко Олег Васильович"
    assert secretary.position == "Секретар міської ради"
    assert secretary.rnokpp == "2345678901"
    assert secretary.valid is True
    assert secretary.chain == ChainStatus.TRUSTED
    assert "jkurwa 1.17.0" in result.tool
    # Stored as JSON and read back the same.
    stored = signers_from_json(__import__("json").dumps([s.to_dict() for s in result.signers]))
    assert tuple(stored) == result.signers


@needs_node
@pytest.mark.sqlite_only
def test_without_the_list_only_mathematically_valid() -> None:
    result = verify_detached(P7S, PDF, trusted=None)
    assert result.valid
    assert not result.trusted
    assert {s.chain for s in result.signers} == {ChainStatus.NOT_CHECKED}
    assert result.signers[0].verdict == "математично дійсний, ланцюжок не перевірено"


@needs_node
@pytest.mark.sqlite_only
def test_one_byte_of_the_pdf_changed_is_invalid() -> None:
    result = verify_detached(P7S, _changed(PDF), trusted=TRUSTED)
    assert not result.valid
    assert all(s.valid is False for s in result.signers)
    assert "Геш документа не збігається" in result.signers[0].problem


@needs_node
@pytest.mark.sqlite_only
def test_a_changed_signature_is_invalid() -> None:
    # The last bytes of the file are the secretary's DSTU 4145 signature value.
    result = verify_detached(_changed(P7S, len(P7S) - 5), PDF, trusted=TRUSTED)
    mayor, secretary = result.signers
    assert mayor.valid is True
    assert secretary.valid is False
    assert "не відповідає ключу" in secretary.problem


@needs_node
@pytest.mark.sqlite_only
def test_a_certificate_outside_the_list_is_untrusted() -> None:
    result = verify_detached(OUTSIDER, PDF, trusted=TRUSTED)
    assert result.valid
    assert not result.trusted
    [signer] = result.signers
    assert signer.chain == ChainStatus.UNTRUSTED
    assert "Сторонній центр сертифікації" in signer.chain_note
    assert signer.verdict == "математично дійсний, але сертифікат не довірений"


@pytest.mark.sqlite_only
def test_a_truncated_p7s_is_refused_in_ukrainian() -> None:
    with pytest.raises(KepError, match="пошкоджено або обрізано"):
        verify_detached(P7S[: len(P7S) // 2], PDF, trusted=TRUSTED)
    with pytest.raises(Invalid, match="пошкоджено або обрізано"):
        inspect_p7s(P7S[:-10], pdf=PDF)
    with pytest.raises(KepError, match="не є списком сертифікатів"):
        parse_trust_list(b"\x30\x03garbage")


@needs_node
@pytest.mark.sqlite_only
def test_real_national_certificates_jkurwa_test_vectors() -> None:
    """The central certification authority's root signed the Ministry of Justice CA's
    certificate (DSTU 4145, GOST 34.311): checked here, and a changed byte is caught."""
    root = Cert.load((DATA / "jkurwa" / "CZOROOT.cer").read_bytes())
    justice = Cert.load((DATA / "jkurwa" / "CA-Justice.cer").read_bytes())
    assert justice.issuer == root.subject
    good = cert_link_request(justice, root)
    self_signed = cert_link_request(root, root)
    assert good is not None
    assert self_signed is not None
    bad = dict(good, data=base64.b64encode(_changed(justice.tbs.dump())).decode())
    answers, _ = run_node([good, self_signed, bad])
    assert [a["valid"] for a in answers] == [True, True, False]


@needs_node
@pytest.mark.sqlite_only
def test_jkurwa_signed_message_test_vector() -> None:
    """jkurwa's own CMS (test/data/message.p7, content attached) reads and checks here."""
    from asn1crypto import cms

    message = (DATA / "jkurwa" / "message.p7").read_bytes()
    content = cms.ContentInfo.load(message)["content"]["encap_content_info"]["content"].native
    [signer] = verify_detached(message, content).signers
    assert signer.valid is True
    assert signer.signed_at is not None
    assert signer.signed_at.year == 2018
    with pytest.raises(KepError, match="інший документ"):
        verify_detached(message, content + b"!")


@pytest.mark.sqlite_only
def test_without_node_dstu_is_refused_clearly_or_recorded_not_verified(no_node: None) -> None:
    assert node_problem() is not None
    with pytest.raises(KepUnavailable, match="не встановлено Node.js"):
        verify_detached(P7S, PDF, trusted=TRUSTED)
    facts = inspect_p7s(P7S, pdf=PDF)
    assert facts.check == SignatureCheck.NOT_VERIFIED
    assert "Тестенко Марія Іванівна" in facts.signer_name
    assert "не встановлено Node.js" in facts.note
    assert "id.gov.ua/verify" in facts.note


@needs_node
@pytest.mark.sqlite_only
def test_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trusted = str(DATA / "ca.p7b")
    pdf, p7s = str(DATA / "report.pdf"), str(DATA / "report.pdf.p7s")
    assert main(["signature", "verify", pdf, p7s, "--trusted", trusted]) == 0
    out = capsys.readouterr().out
    assert "Підпис 1 з 2: підпис дійсний" in out
    assert "Алгоритм: ДСТУ 4145-2002, геш ГОСТ 34.311-95" in out
    assert "ЄДРПОУ: 12345678" in out
    assert "Результат: підпис дійсний, ланцюжок до довіреного списку перевірено." in out

    assert main(["signature", "verify", pdf, p7s]) == 0  # valid; no list asked for
    assert "ланцюжок не перевірено" in capsys.readouterr().out

    tampered = tmp_path / "report.pdf"
    tampered.write_bytes(_changed(PDF))
    assert main(["signature", "verify", str(tampered), p7s, "--trusted", trusted]) == 1
    assert "Результат: підпис недійсний." in capsys.readouterr().out

    outsider = str(DATA / "outsider.pdf.p7s")
    assert main(["signature", "verify", pdf, outsider, "--trusted", trusted]) == 1
    assert "не доходить до списку" in capsys.readouterr().out

    truncated = tmp_path / "cut.p7s"
    truncated.write_bytes(P7S[:100])
    assert main(["signature", "verify", pdf, str(truncated)]) == 2
    assert "пошкоджено або обрізано" in capsys.readouterr().err


@pytest.mark.sqlite_only
def test_command_line_without_node(no_node: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["signature", "verify", str(DATA / "report.pdf"), str(DATA / "report.pdf.p7s")]) == 2
    )
    assert "не встановлено Node.js" in capsys.readouterr().err


def _approved_version_of_the_test_pdf(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """A cycle whose approved version 1 is tests/data/kep/report.pdf (the PDF that was signed)."""
    from sqlalchemy import select

    from flows.report import render_version
    from models.db import session_scope
    from models.report import ReportVersion
    from models.services.report.versions import latest_version

    org = create_organization(client)
    cycle_id = launch(client, org["coordinator"], plan())["id"]
    clock.set(at("2024-10-07"))
    assert render_version(cycle_id, clock.now()) == 1
    coordinator = login(client, org["coordinator_email"])
    base = f"/api/cycles/{cycle_id}/report"
    assert client.post(f"{base}/versions/1/approve", headers=coordinator).status_code == 200
    with session_scope() as session:
        version = latest_version(session, cycle_id=cycle_id)
        assert version is not None
        row = session.scalar(select(ReportVersion).where(ReportVersion.id == version.id))
        assert row is not None
        row.pdf = PDF
        row.sha256 = hashlib.sha256(PDF).hexdigest()
        row.size = len(PDF)
    return {**org, "cycle_id": cycle_id, "base": base, "coordinator_headers": coordinator}


def _admin(client: TestClient) -> dict[str, str]:
    create_admin()
    return login(client, "admin@example.org")


def _upload(client: TestClient, org: dict[str, Any], p7s: bytes) -> Any:
    return client.post(
        f"{org['base']}/versions/1/p7s",
        headers=org["coordinator_headers"],
        files={"p7s": ("report.pdf.p7s", p7s, "application/pkcs7-signature")},
    )


@needs_node
def test_kep_through_the_api_and_the_console(client: TestClient, clock: FixedClock) -> None:
    org = _approved_version_of_the_test_pdf(client, clock)
    mayor = login(client, org["mayor_email"])

    # Without the trusted list: recorded as mathematically valid, chain not checked.
    assert client.get("/api/kep/trusted-list", headers=mayor).status_code == 404
    first = _upload(client, org, P7S)
    assert first.status_code == 200, first.text
    assert first.json()["verification"] == "chain_unchecked"
    assert first.json()["verification_label"] == (
        "підпис математично дійсний, ланцюжок не перевірено"
    )

    # A truncated .p7s: a clear Ukrainian refusal, nothing stored.
    cut = _upload(client, org, P7S[: len(P7S) // 2])
    assert cut.status_code == 422
    assert "пошкоджено або обрізано" in cut.json()["detail"]
    assert len(client.get(org["base"], headers=mayor).json()["versions"][0]["signatures"]) == 1

    # The administrator uploads the list (nobody else may); then the chain is checked.
    trusted = {"trusted": ("CACertificates.p7b", (DATA / "ca.p7b").read_bytes())}
    refused = client.post(
        "/api/kep/trusted-list", headers=org["coordinator_headers"], files=trusted
    )
    assert refused.status_code == 403
    admin = _admin(client)
    bad = client.post(
        "/api/kep/trusted-list", headers=admin, files={"trusted": ("x.p7b", b"not a list")}
    )
    assert bad.status_code == 422
    stored = client.post("/api/kep/trusted-list", headers=admin, files=trusted)
    assert stored.status_code == 201, stored.text
    assert stored.json()["certificates"] == 1
    assert client.get("/api/kep/trusted-list", headers=mayor).json()["filename"] == (
        "CACertificates.p7b"
    )

    second = _upload(client, org, P7S)
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["verification"] == "valid"
    assert [s["name"] for s in body["signers"]] == [
        "Тестенко Марія Іванівна",
        "Петренко Олег Васильович",
    ]
    assert body["signers"][0]["edrpou"] == "12345678"
    assert body["signers"][0]["chain"] == "trusted"
    assert body["signers"][1]["position"] == "Секретар міської ради"

    outsider = _upload(client, org, OUTSIDER)
    assert outsider.status_code == 200, outsider.text
    assert outsider.json()["verification"] == "untrusted"

    # A signature changed after signing is refused.
    other = _upload(client, org, OUTSIDER[:-1] + bytes([OUTSIDER[-1] ^ 1]))
    assert other.status_code == 422
    assert "недійсний" in other.json()["detail"]

    # The mayor's office sees every signer's details on the report page.
    page = client.get(f"/console/cycles/{org['cycle_id']}/report", headers=mayor)
    assert page.status_code == 200
    text = page.text
    for expected in (
        "Кваліфікований електронний підпис 1 з 2",
        "Тестенко Марія Іванівна",
        "Петренко Олег Васильович",
        "Міський голова",
        "Тестівська міська рада",
        "12345678",
        "ДСТУ 4145-2002, геш ГОСТ 34.311-95",
        "математично дійсний, ланцюжок не перевірено",
        "ланцюжок до довіреного списку надавачів перевірено",
        "підпис математично дійсний, але сертифікат не походить від надавача з довіреного",
        "Сторонній центр сертифікації",
    ):
        assert expected in text, expected
