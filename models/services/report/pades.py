"""PAdES at the byte level: the PDF signed inside (pyHanko, a PKCS#12 file, a visible block
with the signer's name and position, an RFC 3161 timestamp when a TSA is configured) and the
signature checked. No session here."""

import io
import logging
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from asn1crypto import x509
from markupsafe import escape

from models.clock import KYIV
from models.errors import Invalid, Unavailable
from models.report import SignatureCheck

FIELD_NAME = "ReportSignature"
# The visible block: on the title page, below the order line (points from the bottom-left).
STAMP_BOX = (71, 60, 400, 140)
# Later signatures' blocks go where the title page is empty (report_templates' title page:
# between the order line and the year, then between the holder's name and the title); beyond
# these a signature has no visible block (it is still in the PDF and listed everywhere).
LATER_STAMP_BOXES = ((71, 196, 400, 276), (71, 620, 400, 700), (71, 530, 400, 610))


def field_name(index: int) -> str:
    """The signature field of a version's index-th PAdES signature (0: the first)."""
    return FIELD_NAME if index == 0 else f"{FIELD_NAME}{index + 1}"


def stamp_box(index: int) -> tuple[int, int, int, int] | None:
    """Where the index-th signature's visible block goes on the title page (None: nowhere)."""
    if index == 0:
        return STAMP_BOX
    return LATER_STAMP_BOXES[index - 1] if index <= len(LATER_STAMP_BOXES) else None


# pyHanko logs a traceback for every untrusted chain; the result says so already.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)


def stamp_pdf(signer_name: str, signer_position: str, when: datetime) -> bytes:
    """The visible signature block, laid out by WeasyPrint in the report's font (Cyrillic)."""
    from weasyprint import HTML

    from report_templates.environment import TEMPLATES_DIR, TemplateOnlyURLFetcher

    width, height = STAMP_BOX[2] - STAMP_BOX[0], STAMP_BOX[3] - STAMP_BOX[1]
    html = (
        '<html><head><link rel="stylesheet" href="report.css"><style>'
        f"@page{{size:{width}pt {height}pt;margin:0}}"
        "body{margin:0;font-size:8pt;line-height:1.35}"
        "div.box{border:0.8pt solid #1f3f66;padding:4pt 6pt;height:100%;box-sizing:border-box}"
        "p{margin:0;text-indent:0;text-align:left}p.head{font-weight:700;color:#1f3f66}"
        "</style></head><body><div class='box'>"
        "<p class='head'>Підписано електронним підписом (PAdES)</p>"
        f"<p>{escape(signer_name)}</p><p>{escape(signer_position)}</p>"
        f"<p>{when:%d.%m.%Y %H:%M} (Київ)</p></div></body></html>"
    )
    pdf = HTML(
        string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher()
    ).write_pdf()
    assert pdf is not None
    return pdf


def certificate_signer(cert: x509.Certificate) -> tuple[str, str]:
    """The signer's name and position as the certificate's subject states them (never typed
    by whoever uploads the key): the common name (else given name and surname), the title
    (else the organization)."""
    subject = cert.subject.native
    name = subject.get("common_name") or " ".join(
        part for part in (subject.get("surname"), subject.get("given_name")) if part
    )
    position = subject.get("title") or subject.get("organization_name") or ""
    return str(name).strip(), str(position).strip()


def pades_sign(
    pdf: bytes,
    *,
    pkcs12: bytes,
    password: str | None,
    reason: str,
    tsa_url: str | None = None,
) -> bytes:
    """The PDF signed (PAdES baseline, incremental update) with a visible signature block
    naming the certificate's subject. A PDF already signed keeps its signatures: the new one
    is added in a further incremental update, in a field and block of its own."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import StaticStampStyle

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            pkcs12, other_certs=[], passphrase=password.encode() if password else None
        )
    except Exception as exc:  # pyHanko raises several kinds for a bad file or password
        raise Invalid(
            "Не вдалося відкрити файл PKCS#12: перевірте файл і пароль.", field="pkcs12"
        ) from exc
    if signer is None:
        raise Invalid("Не вдалося відкрити файл PKCS#12: перевірте файл і пароль.", field="pkcs12")
    signer_name, signer_position = certificate_signer(signer.signing_cert)
    if not signer_name:
        raise Invalid(
            "У сертифікаті не зазначено ім’я власника (commonName): таким ключем звіт не "
            "підписати.",
            field="pkcs12",
        )
    index = len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name(index),
        name=signer_name,
        reason=reason,
        location="",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    with tempfile.TemporaryDirectory() as folder:
        stamp_path = Path(folder) / "stamp.pdf"
        stamp_path.write_bytes(stamp_pdf(signer_name, signer_position, datetime.now(KYIV)))
        style = StaticStampStyle.from_pdf_file(str(stamp_path), border_width=0)
        timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(
                sig_field_name=field_name(index), on_page=0, box=stamp_box(index)
            ),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        try:
            output = pdf_signer.sign_pdf(
                writer,
                appearance_text_params={"signer": signer_name, "position": signer_position or ""},
            )
        except timestamps.TimestampRequestError as exc:
            raise Unavailable(
                f"Сервіс позначок часу (TSA) {_without_credentials(tsa_url or '')} не відповів "
                "або відхилив запит, тому звіт не підписано. Спробуйте ще раз пізніше або "
                "перевірте адресу TSA (налаштування INFOAUDIT_TSA_URL)."
            ) from exc
    return bytes(output.getbuffer())


def _without_credentials(url: str) -> str:
    """The URL to show people: a user name or password in it stays out of messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def pades_check(
    signed: bytes, *, trust_roots: list[bytes] | None = None
) -> tuple[SignatureCheck, str, Any]:
    """Validate the PDF's newest signature with pyHanko (intact, valid, covering the whole
    file) and every earlier one (intact, valid, and only signatures added after it)."""
    statuses = pades_statuses(signed, trust_roots=trust_roots)
    if not statuses:
        return SignatureCheck.INVALID, "У PDF немає електронного підпису.", None
    *earlier, status = statuses
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    if not (status.intact and status.valid and whole):
        return (
            SignatureCheck.INVALID,
            "Підпис не відповідає вмісту PDF: файл змінено після підписання.",
            status,
        )
    if not all(_still_valid(before) for before in earlier):
        return (
            SignatureCheck.INVALID,
            "Попередній підпис цього PDF більше не дійсний: файл змінено не лише доданим підписом.",
            status,
        )
    trust = (
        "ланцюжок сертифікатів довірений"
        if status.trusted
        else "довіру до сертифіката підписувача тут не встановлено (сертифікат не з "
        "довірених кореневих)"
    )
    kept = f"; попередні підписи ({len(earlier)}) збережено й дійсні" if earlier else ""
    return (
        SignatureCheck.VALID,
        f"Цілісність PDF і підпис перевірено (pyHanko); {trust}{kept}.",
        status,
    )


def pades_statuses(signed: bytes, *, trust_roots: list[bytes] | None = None) -> list[Any]:
    """pyHanko's status of every signature in the PDF, oldest first."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(signed))
    roots = [x509.Certificate.load(root) for root in trust_roots or []]
    statuses = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(trust_roots=roots or None, allow_fetching=False)
        statuses.append(validate_pdf_signature(embedded, context))
    return statuses


def _still_valid(status: Any) -> bool:
    """An earlier signature: intact and valid, its revision followed only by signing."""
    from pyhanko.sign.diff_analysis import ModificationLevel

    if not (status.intact and status.valid) or status.coverage is None:
        return False
    if status.coverage.name == "ENTIRE_FILE":
        return True
    level = getattr(status.diff_result, "modification_level", None)
    return (
        status.coverage.name == "ENTIRE_REVISION"
        and level is not None
        and (level <= ModificationLevel.FORM_FILLING)
    )
