"""The publication analysis as plain data: the report's "publication" key and Annex 1's
per-entry state (docs/report_context.md), and the monitoring card's rows."""

from typing import Any

from models.clock import KYIV
from models.services.analysis import (
    WEIGHT_MACHINE_READABLE,
    WEIGHT_ON_TIME,
    WEIGHT_PUBLISHED,
    EntryAssessment,
    PublicationAnalysis,
    Summary,
    format_key,
)


def summary_row(summary: Summary) -> dict[str, Any]:
    """A summary as plain data for the report and the monitoring card."""
    return {
        "name": summary.name,
        "rank": summary.rank,
        "required": summary.required,
        "published": summary.published,
        "private": summary.private,
        "moderation": summary.moderation,
        "overdue": summary.overdue,
        "not_machine_readable": summary.not_machine_readable,
        "meeting_all": summary.meeting_all,
        "percent_published": round(summary.percent_published, 1),
        "share_meeting_all": round(summary.share_meeting_all, 1),
        "score": round(summary.score, 1),
    }


def publication_context(analysis: PublicationAnalysis) -> dict[str, Any]:
    """The report's "publication" key (docs/report_context.md)."""
    previous = analysis.previous
    return {
        "as_of": analysis.as_of,
        "snapshot_taken_at": (
            analysis.snapshot_taken_at.astimezone(KYIV) if analysis.snapshot_taken_at else None
        ),
        "units": [summary_row(s) for s in analysis.units],
        "totals": summary_row(analysis.totals),
        "target": analysis.target,
        "meets_target": analysis.meets_target,
        "weights": {
            "published": WEIGHT_PUBLISHED,
            "on_time": WEIGHT_ON_TIME,
            "machine_readable": WEIGHT_MACHINE_READABLE,
        },
        "previous": (
            {"label": analysis.previous_label, "totals": summary_row(previous.totals)}
            if previous is not None
            else None
        ),
    }


def entry_state_context(entry: EntryAssessment) -> dict[str, Any]:
    """Annex 1's per-entry "state" (docs/report_context.md)."""
    return {
        "code": entry.state.value,
        "label": entry.label(),
        "state_label": entry.state_label(),
        "pending_match": entry.pending_match,
        "timeliness": entry.timeliness.value,
        "overdue_days": entry.overdue_days,
        "due_on": entry.due_on,
        "working_days": entry.working_days,
        "formats": sorted({format_key(f) for f in entry.formats}),
        "last_updated": entry.last_updated,
        "machine_readable": entry.machine_readable,
        "meets_all": entry.meets_all,
    }
