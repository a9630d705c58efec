"""The proposed matches between the register and the portal's datasets: see them with both
titles, both units and the similarity, decide one or all shown, and tie an unmatched entry to
a portal dataset by hand. Auditors and the coordinator decide (as in the JSON API); the working
group reads."""

from typing import Annotated

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, BrowserForm, Now
from api.routes.console.common import FormText, done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleWorkingGroup,
    console_roles,
    console_router,
)
from models.account import Account, Role
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid
from models.publication import MatchMethod
from models.services.match_review import decide_all, decide_match, match_by_hand, review_matches

router = console_router()
DECIDERS = frozenset({Role.COORDINATOR, Role.AUDITOR})
ConsoleDecider = Annotated[Account, console_roles(DECIDERS)]
MAX_NUMBERS = 5_000
METHOD_LABELS = {
    MatchMethod.LINK: "за посиланням у реєстрі",
    MatchMethod.NAME: "за схожістю назв",
    MatchMethod.MANUAL: "обрано вручну",
}


def matches_url(cycle: AuditCycle) -> str:
    """Where the matches page of a cycle is."""
    return f"/console/cycles/{cycle.id}/open-data/matches"


def _matches(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    review = review_matches(session, organization_id=cycle.organization_id)
    return page(
        request,
        session,
        account,
        "console/open_data_matches.html",
        {
            "cycle": cycle,
            "review": review,
            "method_labels": METHOD_LABELS,
            "can_decide": account.role in DECIDERS,
            "error": error or {},
            "values": values or {},
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/open-data/matches")
def matches_page(
    request: Request, session: DB, account: ConsoleWorkingGroup, cycle: ConsoleCycle
) -> Response:
    """Proposed and confirmed matches, and what is unmatched on either side."""
    return _matches(request, session, account, cycle)


def _numbers(form: BrowserForm) -> list[int]:
    values = [str(n) for n in form.getlist("numbers")[:MAX_NUMBERS]]
    return [int(n) for n in values if n.isdigit()]


@router.post("/console/cycles/{cycle_id}/open-data/matches/{decision}-all")
def decide_shown(
    decision: str,
    request: Request,
    session: DB,
    now: Now,
    form: BrowserForm,
    account: ConsoleDecider,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Confirm or reject every proposal the page showed."""
    if decision not in ("confirm", "reject"):
        return _matches(request, session, account, cycle, status_code=404)
    accept = decision == "confirm"
    count = decide_all(
        session,
        organization_id=cycle.organization_id,
        numbers=_numbers(form),
        accept=accept,
        actor=actor,
        now=now,
        cycle_id=cycle.id,
    )
    text = "Підтверджено пропозицій: {}." if accept else "Відхилено пропозицій: {}."
    return done(request, matches_url(cycle), text.format(count))


@router.post("/console/cycles/{cycle_id}/open-data/matches/{number}/{decision}")
def decide_one(
    number: int,
    decision: str,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleDecider,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Confirm or reject one proposal."""
    if decision not in ("confirm", "reject"):
        return _matches(request, session, account, cycle, status_code=404)
    accept = decision == "confirm"
    try:
        decide_match(
            session,
            organization_id=cycle.organization_id,
            number=number,
            accept=accept,
            actor=actor,
            now=now,
            cycle_id=cycle.id,
        )
    except DomainError as exc:
        return refused(_matches, request, session, account, cycle, f"proposal-{number}", exc)
    text = (
        "Відповідність рядка № {} підтверджено."
        if accept
        else "Пропозицію для рядка № {} відхилено."
    )
    return done(request, matches_url(cycle), text.format(number))


@router.post("/console/cycles/{cycle_id}/open-data/matches/manual")
def manual_match(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleDecider,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    number: FormText = "",
    portal_id: FormText = "",
) -> Response:
    """Tie an unmatched entry to the portal dataset the auditor picked."""
    form = f"manual-{number}"
    try:
        if not portal_id.strip():
            raise Invalid("Оберіть набір даних на порталі.", field="portal_id")
        match_by_hand(
            session,
            organization_id=cycle.organization_id,
            number=int(number) if number.isdigit() else 0,
            portal_id=portal_id.strip(),
            actor=actor,
            now=now,
            cycle_id=cycle.id,
        )
    except DomainError as exc:
        values = {"portal_id": portal_id}
        return refused(_matches, request, session, account, cycle, form, exc, values)
    return done(request, matches_url(cycle), f"Рядок № {number} зіставлено з набором порталу.")
