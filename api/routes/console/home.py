"""The console's home page: the organization's cycles and units."""

from fastapi import Request
from fastapi.responses import Response

from api.deps import DB, Now
from api.routes.console.common import page
from api.routes.console.deps import ConsoleReader, console_router
from api.routes.console.presenters import cycle_summary
from models.services.cycles import count_audited_units, list_cycles
from models.services.late_units import late_unit_ids
from models.services.organizations import list_units

router = console_router()


@router.get("/console")
def dashboard(request: Request, session: DB, now: Now, account: ConsoleReader) -> Response:
    """The organization's cycles and units."""
    assert account.organization_id is not None
    cycles = list_cycles(session, organization_id=account.organization_id)
    units = list_units(session, organization_id=account.organization_id)
    rows = [
        cycle_summary(
            c,
            now,
            late_units=len(late_unit_ids(session, cycle_id=c.id, now=now, outstanding_only=True)),
            units=count_audited_units(session, cycle_id=c.id),
        )
        for c in cycles
    ]
    return page(
        request,
        session,
        account,
        "console/index.html",
        {"cycles": rows, "units": units},
    )
