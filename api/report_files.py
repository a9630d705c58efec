"""A report version's PDF as a download (the JSON API's two download addresses share it)."""

from fastapi import Response
from sqlalchemy.orm import Session

from models.cycle import AuditCycle
from models.report import ReportVersion
from models.services.report.downloads import report_file, report_file_bytes


def pdf_response(content: bytes, filename: str) -> Response:
    """A PDF as a download."""
    return Response(
        content=content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def version_download(session: Session, *, cycle: AuditCycle, version: ReportVersion) -> Response:
    """The version's file: signed (PAdES) when it is; its SHA-256 is the one the pages show."""
    file = report_file(session, version=version, year=cycle.year)
    content = report_file_bytes(session, version=version, file=file)
    response = pdf_response(content, file.filename)
    response.headers["X-Content-SHA256"] = file.sha256
    return response
