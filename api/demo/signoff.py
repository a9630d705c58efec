"""The demo's report steps: the working group's text, approval, and a PAdES signature made with
a demo certificate generated on the fly (a throw-away PKI: valid signature, untrusted issuer)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.demo.http import checked
from api.demo.pki import make_pki

SIGNER = ("Демонстраційний Підписувач", "секретар міської ради (демонстраційний сертифікат)")


def write_narrative(
    client: httpx.Client, cycle_id: int, headers: dict[str, str], seed: dict[str, Any]
) -> None:
    """The working group edits the drafted legal-base analysis, adding the council's own acts
    from the seed: a new version will be rendered."""
    sections = checked(client.get(f"/api/cycles/{cycle_id}/report/sections", headers=headers))
    draft = next(s["markdown"] for s in sections if s["key"] == "legal_base")
    extra = "\n\n".join(p.strip() for p in seed["narrative"]["legal_base_extra"])
    checked(
        client.put(
            f"/api/cycles/{cycle_id}/report/sections/legal_base",
            headers=headers,
            json={"markdown": f"{draft.rstrip()}\n\n{extra}\n"},
        )
    )


def approve_and_sign(
    client: httpx.Client,
    cycle_id: int,
    headers: dict[str, str],
    out_dir: Path,
    progress: Callable[[str], None],
) -> Path:
    """Approve the newest version, sign it (PAdES, demo PKI) and write report-signed.pdf."""
    state = checked(client.get(f"/api/cycles/{cycle_id}/report", headers=headers))
    number = state["versions"][0]["number"]
    version_url = f"/api/cycles/{cycle_id}/report/versions/{number}"
    checked(client.post(f"{version_url}/approve", headers=headers))
    pki = make_pki(signer_name=SIGNER[0], title=SIGNER[1])
    signature = checked(
        client.post(
            f"{version_url}/sign",
            headers=headers,
            files={"pkcs12": ("demo.p12", pki.pkcs12, "application/x-pkcs12")},
            data={"password": pki.password},  # name and position: the certificate's
        )
    )
    signed = checked(client.get(f"/api/cycles/{cycle_id}/report/download", headers=headers))
    path = out_dir / "report-signed.pdf"
    path.write_bytes(signed.content)
    progress(
        f"Версію {number} затверджено і підписано (PAdES, демонстраційний сертифікат, "
        f"не довірений): {signature['verification_label']}; {path.name}"
    )
    return path
