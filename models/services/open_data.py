"""The Ministry's structures as rows: `infoAudit` from the consolidated questionnaires and the
dataset `register` from the approved report's Annex 1 (read back from the PDF/A-3 it was signed
as, so that publishing later never re-evaluates a state)."""

import io
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.organization import Organization
from models.questionnaire import InformationItem, QuestionnaireSubmission
from models.services.consolidation import Group, normalize_name
from models.standards import INFO_AUDIT, REGISTER, field_names

# The register's purpose when an entry names no act: the Resolution that puts it on the list.
RESOLUTION_835 = (
    "постанова Кабінету Міністрів України від 21 жовтня 2015 р. № 835 «Про затвердження "
    "Положення про набори даних, які підлягають оприлюдненню у формі відкритих даних»"
)
_WORD = re.compile(r"[^\W\d_][\w’'-]{3,}")
_STOP = {"щодо", "його", "яких", "який", "яка", "інших", "інша", "інше", "також", "та", "або"}


def pdf_attachment(pdf: bytes, name: str) -> Any:
    """An embedded JSON file of the report (annex1.json, annex3.json), or None."""
    from pypdf import PdfReader

    try:
        files = PdfReader(io.BytesIO(pdf)).attachments
    except Exception:  # a damaged PDF has no annexes to read; the caller rebuilds them
        return None
    if name not in files:
        return None
    return json.loads(files[name][0].decode("utf-8-sig"))


def frozen_annex1(pdf: bytes) -> list[dict[str, Any]] | None:
    """Annex 1 as the approved PDF carries it; None for a PDF made before the state had its own
    columns (the caller then rebuilds it as of the version's figures date)."""
    records = pdf_attachment(pdf, "annex1.json")
    if not isinstance(records, list) or any("accrual_periodicity" not in r for r in records):
        return None
    return records


def _keywords(title: str) -> str:
    words = [w.casefold() for w in _WORD.findall(title)]
    return ", ".join(dict.fromkeys(w for w in words if w not in _STOP)) or title.casefold()


def _names(official: str) -> str:
    """«ПІБ – посада; ПІБ – посада» (Annex 1) as the register's names only."""
    return ", ".join(
        part.split(" – ", 1)[0].strip() for part in official.split(";") if part.strip()
    )


def _uid(record: dict[str, Any], holder: str) -> str:
    url = str(record.get("portal_url") or "").rstrip("/")
    if "/dataset/" in url:
        return url.rsplit("/", 1)[-1]
    return f"{holder}-{record['number']}"


def register_rows(records: Sequence[dict[str, Any]], organization: Organization) -> list[list[Any]]:
    """The register structure's rows (field order of models/standards/register.schema.json)."""
    holder = organization.edrpou or f"org{organization.id}"
    rows = []
    for record in records:
        url = str(record.get("portal_url") or "")
        units = str(record.get("units") or "")
        row = {
            "uid": _uid(record, holder),
            "title": record["name"],
            "description": f"{record['name']}. Відповідальні підрозділи: {units}. "
            f"Періодичність оприлюднення: {record['periodicity']}.",
            "accrualPeriodicity": record["accrual_periodicity"],
            "keywords": _keywords(str(record["name"])),
            "purpose": record.get("legal_basis") or RESOLUTION_835,
            "url": url if url.startswith("https://") else "",
            "distributionFormat": record.get("formats") or "",
            "publisherName": organization.name,
            "publisherId": organization.edrpou or "null",
            "contactPointName": _names(str(record.get("official") or "")),
            "contactPointEmail": record.get("emails") or "",
        }
        rows.append([row[name] for name in field_names(REGISTER)])
    return rows


def _respondents(session: Session, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    rows = session.execute(
        select(
            InformationItem.id,
            QuestionnaireSubmission.respondent_name,
            QuestionnaireSubmission.respondent_phone,
            QuestionnaireSubmission.respondent_email,
        )
        .join(QuestionnaireSubmission, QuestionnaireSubmission.id == InformationItem.submission_id)
        .where(InformationItem.id.in_(ids))
    ).tuples()
    return {item: (name, phone or "", email or "") for item, name, phone, email in rows}


def _joined(values: Sequence[str], separator: str = ", ") -> str:
    return separator.join(dict.fromkeys(v for v in values if v))


def info_audit_rows(session: Session, groups: Sequence[Group], *, year: int) -> list[list[Any]]:
    """The infoAudit structure's rows, one per consolidated information item."""
    people = _respondents(session, [r.id for g in groups for r in g.rows])
    rows = []
    for number, group in enumerate(groups, start=1):
        kept_in = group.first("kept_in") or ""
        paper = normalize_name(kept_in).startswith("папер")
        kind = "паперовий документ" if paper else f"електронна інформація ({kept_in})"
        respondents = [people.get(r.id, ("", "", "")) for r in group.rows]
        created = group.first("date_created")
        units = "; ".join(group.units)
        row = {
            "uid": f"ia-{year}-{number:03d}",
            "title": group.name,
            "type": group.first("data_type") or (kind if kept_in else ""),
            "dataUser": units,
            "dataCreator": group.first("data_creator") or units,
            "dataTransfer": group.first("data_transfer") or "null",
            "dataUserName": _joined([p[0] for p in respondents]),
            "dataUserTelephone": _joined([p[1] for p in respondents], ","),
            "dataUserEmail": _joined([p[2] for p in respondents]),
            "description": group.first("description") or "",
            "dateCreated": created.isoformat() if isinstance(created, date) else "",
            "recordsNumber": group.first("approx_records") or "",
            "purpose": group.first("legal_basis") or "",
            "source": group.first("source") or "",
            "updatingFrequency": group.first("update_frequency") or "",
            "usageFrequency": group.first("usage_frequency") or "",
            "publicInterest": group.first("public_interest") or "",
            "govermentInterest": group.first("government_interest") or "",
            "relation": group.first("relation") or "",
            "format": group.first("format") or "",
            "structure": group.first("structure") or "",
            "restrictedFields": group.first("restricted_fields") or "",
            "documentation": group.first("documentation") or "",
            "developerName": group.first("developer_name") or "",
            "developerId": group.first("developer_id") or "",
            "dictionary": group.first("dictionary") or "",
            "size": group.first("size") or "",
            "resource": group.first("resource_url") or "",
            "url": group.first("url") or "",
        }
        rows.append([row[name] for name in field_names(INFO_AUDIT)])
    return rows
