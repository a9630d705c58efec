"""A request from the console to publish a cycle's package or to take the quarterly monitoring
card: recorded by the request, run by the sweep (never inside a web request)."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.organization import enum_column


class PortalJobKind(enum.StrEnum):
    """What is asked for."""

    PUBLISH = "publish"  # the approved report's open-data package to the portal
    MONITORING = "monitoring"  # a fresh snapshot and the quarter's monitoring card


class PortalJobStatus(enum.StrEnum):
    """Where the request stands."""

    REQUESTED = "requested"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


PORTAL_JOB_STATUS_LABELS = {
    PortalJobStatus.REQUESTED: "заплановано",
    PortalJobStatus.RUNNING: "виконується",
    PortalJobStatus.DONE: "виконано",
    PortalJobStatus.FAILED: "не вдалося",
}


class PortalJob(Base):
    """One request and its outcome (a message in Ukrainian, and the links or files it made)."""

    __tablename__ = "portal_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PortalJobKind] = mapped_column(enum_column(PortalJobKind))
    status: Mapped[PortalJobStatus] = mapped_column(enum_column(PortalJobStatus))
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # While running, the runner renews this claim (real time, not the app's clock); a run that
    # was killed stops renewing it, and once it lapses the sweep takes the request up again.
    lease_until: Mapped[datetime | None]
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
