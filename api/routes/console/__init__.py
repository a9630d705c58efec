"""The working group's console: log in, set up units, launch a cycle and follow it.

Plain HTML forms (no JavaScript needed), CSRF-checked by every page router's dependency; every
action lands in the audit trail. The pages live in the modules named for them; this module only
wires their routers into the app.
"""

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response

from api.routes.console import (
    accounts,
    action_plan,
    consolidation,
    cycles,
    home,
    interviews,
    launch,
    login,
    open_data,
    open_data_matches,
    register,
    report,
    report_text,
    survey,
    units,
)
from api.routes.console.common import safe_next, see_other
from api.routes.console.deps import LoginRequired

# In this order: /console/cycles/new (launch) must come before /console/cycles/{cycle_id}.
PAGES = (
    login,
    home,
    units,
    accounts,
    launch,
    cycles,
    report,
    report_text,
    action_plan,
    interviews,
    survey,
    consolidation,
    open_data,
    open_data_matches,
    register,
)


def install_console(app: FastAPI) -> None:
    """Add the console's routes and its login redirect to the app."""
    for pages in PAGES:
        app.include_router(pages.router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        # After login the person lands where they were going (a GET page; a post starts over).
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET" or safe_next(target) == "/console":
            return see_other("/login")
        return see_other("/login?" + urlencode({"next": safe_next(target)}))
