"""The staff questionnaire behind a unit's secret link (JSON API; the HTML form comes later)."""

from fastapi import APIRouter

from api.deps import DB, Now
from api.schemas import QuestionnaireFormRead, SubmissionRead
from models.cycle import AuditCycle, StageKind
from models.errors import Conflict
from models.organization import Organization, Unit
from models.schemas import QuestionnaireCreate
from models.services.questionnaires import audited_unit_for_token, submit_questionnaire
from models.services.stages import ensure_accepting, get_stage

router = APIRouter(prefix="/api/questionnaire", tags=["анкетування"])


@router.get("/{token}", response_model=QuestionnaireFormRead)
def form(token: str, session: DB, now: Now) -> QuestionnaireFormRead:
    """What the unit's link is for and whether it accepts questionnaires now."""
    audited = audited_unit_for_token(session, token=token)
    cycle = session.get(AuditCycle, audited.cycle_id)
    unit = session.get(Unit, audited.unit_id)
    assert cycle is not None
    assert unit is not None
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.REMOTE_AUDIT)
    try:
        ensure_accepting(stage, now=now, what="Анкетування")
        accepting = True
    except Conflict:
        accepting = False
    return QuestionnaireFormRead(
        organization=organization.name,
        unit=unit.name,
        year=cycle.year,
        starts_on=stage.starts_on,
        due_on=stage.due_on,
        accepting=accepting,
    )


@router.post("/{token}", status_code=201, response_model=SubmissionRead)
def submit(token: str, body: QuestionnaireCreate, session: DB, now: Now) -> SubmissionRead:
    """Submit the unit's questionnaire (information systems and information items)."""
    submission = submit_questionnaire(session, token=token, data=body, now=now)
    return SubmissionRead(id=submission.id, systems=len(body.systems), items=len(body.items))
