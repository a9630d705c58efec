"""The consolidated inventory: systems and items grouped across units, merged and split by the
working group and auditors. Decisions are stored apart from the questionnaire rows, which never
change, so every merge or split can be withdrawn.
"""

from typing import Literal

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import DB, BrowserForm, Now
from api.routes.console.common import FormText, page, see_other
from api.routes.console.deps import ConsoleActor, ConsoleCycle, ConsoleWorkingGroup, console_router
from models.account import Account
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid
from models.questionnaire import CONSOLIDATION_KINDS, ConsolidationAction
from models.services.consolidation import (
    consolidate,
    key_names,
    list_decisions,
    merge_groups,
    split_row,
    undo_decision,
)

router = console_router()
Kind = Literal["systems", "items"]
KIND_TITLES = {"systems": "Інформаційні системи", "items": "Публічна інформація"}
MAX_KEYS = 200


def _consolidation(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    kind: Kind,
    *,
    error: str | None = None,
    chosen: list[str] | None = None,
    into: str = "",
    status_code: int = 200,
) -> Response:
    groups = consolidate(session, cycle_id=cycle.id, kind=CONSOLIDATION_KINDS[kind])
    names = key_names(groups)
    rows = {r.id: (r.name, r.unit) for g in groups for r in g.rows}
    decisions = [
        {
            "decision": d,
            "text": (
                f"«{rows.get(d.row_id, ('?', ''))[0]}» ({rows.get(d.row_id, ('', '?'))[1]}) окремо"
                if d.action == ConsolidationAction.SPLIT
                else f"«{names.get(d.group_key, d.group_key)}» → "
                f"«{names.get(d.target_key, d.target_key)}»"
            ),
        }
        for d in list_decisions(session, cycle_id=cycle.id, kind=CONSOLIDATION_KINDS[kind])
    ]
    return page(
        request,
        session,
        account,
        "console/consolidation.html",
        {
            "cycle": cycle,
            "kind": kind,
            "kinds": KIND_TITLES,
            "groups": groups,
            "decisions": decisions,
            "error": error,
            "chosen": set(chosen or []),
            "into": into,
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/consolidation/{kind}")
def consolidation_page(
    kind: Kind,
    request: Request,
    session: DB,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
) -> Response:
    """The consolidated systems or items with their original rows."""
    return _consolidation(request, session, account, cycle, kind)


def _keys(form: FormData) -> list[str]:
    return [str(k) for k in form.getlist("keys")][:MAX_KEYS]


@router.post("/console/cycles/{cycle_id}/consolidation/{kind}/merge")
def merge(
    kind: Kind,
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Merge the chosen groups into one of them."""
    keys, into = _keys(form), str(form.get("into") or "")
    try:
        if not into:
            raise Invalid("Оберіть запис, до якого об’єднати.", field="into")
        if len([k for k in keys if k != into]) < 1:
            raise Invalid("Позначте хоча б один інший запис для об’єднання.", field="keys")
        merge_groups(
            session,
            cycle_id=cycle.id,
            kind=CONSOLIDATION_KINDS[kind],
            keys=keys,
            into=into,
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        session.rollback()
        return _consolidation(
            request,
            session,
            account,
            cycle,
            kind,
            error=exc.message,
            chosen=keys,
            into=into,
            status_code=exc.status_code,
        )
    return see_other(f"/console/cycles/{cycle.id}/consolidation/{kind}")


@router.post("/console/cycles/{cycle_id}/consolidation/{kind}/split")
def split(
    kind: Kind,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    row_id: FormText = "",
) -> Response:
    """Take one original row out of its group."""
    if not row_id.isdigit():
        raise Invalid("Оберіть запис анкети.", field="row_id")
    split_row(
        session,
        cycle_id=cycle.id,
        kind=CONSOLIDATION_KINDS[kind],
        row_id=int(row_id),
        actor=actor,
        now=now,
    )
    return see_other(f"/console/cycles/{cycle.id}/consolidation/{kind}")


@router.post("/console/cycles/{cycle_id}/consolidation/{kind}/undo/{decision_id}")
def undo(
    kind: Kind,
    decision_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Withdraw a merge or split: the automatic grouping applies again."""
    undo_decision(session, cycle_id=cycle.id, decision_id=decision_id, actor=actor, now=now)
    return see_other(f"/console/cycles/{cycle.id}/consolidation/{kind}")
