"""The scheduled sweep: advance every active cycle (served on an interval by `infoaudit serve`)."""

from datetime import datetime

from prefect import flow

from flows.audit_cycle import audit_cycle
from models.db import session_scope
from models.services.cycles import active_cycle_ids


@flow(name="advance_active_cycles")
def advance_active_cycles(now: datetime | None = None) -> dict[int, dict[str, str]]:
    """Run `audit_cycle` for each active cycle; one failing cycle does not stop the others."""
    with session_scope() as session:
        cycle_ids = active_cycle_ids(session)
    results: dict[int, dict[str, str]] = {}
    for cycle_id in cycle_ids:
        state = audit_cycle(cycle_id, now, return_state=True)
        results[cycle_id] = state.result() if state.is_completed() else {"error": state.name or ""}
    return results
