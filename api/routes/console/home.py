"""The console's home page: the organization's cycles and units."""

from fastapi import Request
from fastapi.responses import Response

from api.deps import DB, Now
from api.routes.console.common import page
from api.routes.console.deps import ConsoleReader, console_router
from api.routes.console.presenters import cycle_summary
from models.services.cycles import list_cycles
from models.services.organizations import list_units

router = console_router()


@router.get("/console")
def dashboard(request: Request, session: DB, now: Now, account: ConsoleReader) -> Response:
    """The organization's cycles and units."""
    assert account.organization_id is not None
    cycles = list_cycles(session, organization_id=account.organization_id)
    units = list_units(session, organization_id=account.organization_id)
    return page(
        request,
        session,
        account,
        "console/index.html",
        {"cycles": [cycle_summary(c, now) for c in cycles], "units": units},
    )
