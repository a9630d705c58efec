"""The working group's text of the report: narrative sections and recommendations."""

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import DB, CurrentActor, Editor, Now, OwnCycle, WorkingGroup
from api.routes.report.schemas import (
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
    SectionRead,
    SectionsUpdate,
    SectionUpdate,
    recommendation_read,
    section_read,
)
from models.report import SectionKey
from models.services.report.context import cycle_drafts
from models.services.report.linter import LintKind, lint_report
from models.services.report.narrative import list_sections, section_markdown
from models.services.report.narrative import update_section as write_section
from models.services.report.narrative import update_sections as write_sections
from models.services.report.recommendations import (
    add_recommendation,
    decide_recommendation,
    list_recommendations,
)
from models.services.report.versions import ensure_report

router = APIRouter(prefix="/api/cycles", tags=["звіт"])


class LintFindingRead(BaseModel):
    """What a careful reader would flag in the text before approval."""

    section: SectionKey | None  # None: an Annex 2 service (named in `service`)
    where: str
    kind: LintKind
    kind_label: str
    message: str
    service: str


@router.get("/{cycle_id}/report/lint", response_model=list[LintFindingRead])
def lint(_account: WorkingGroup, cycle: OwnCycle, session: DB, now: Now) -> list[LintFindingRead]:
    """The report linter: another council's name or site, figures that disagree with the data,
    empty sections, placeholders — in the text the next version would carry."""
    return [
        LintFindingRead(
            section=f.section,
            where=f.section_label,
            kind=f.kind,
            kind_label=f.kind_label,
            message=f.message,
            service=f.service,
        )
        for f in lint_report(session, cycle_id=cycle.id, now=now)
    ]


@router.get("/{cycle_id}/report/sections", response_model=list[SectionRead])
def sections(_account: WorkingGroup, cycle: OwnCycle, session: DB, now: Now) -> list[SectionRead]:
    """The narrative sections: the working group's text, else the draft written from the data."""
    drafts = cycle_drafts(session, cycle_id=cycle.id, now=now)
    return [
        section_read(key, section_markdown(key, section, drafts[key]))
        for key, section in list_sections(session, cycle_id=cycle.id).items()
    ]


@router.put("/{cycle_id}/report/sections", response_model=list[SectionRead])
def update_sections(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: SectionsUpdate,
    session: DB,
    now: Now,
) -> list[SectionRead]:
    """Write several sections (Markdown) at once: one change, one new version to render."""
    write_sections(session, cycle_id=cycle.id, texts=body.sections, now=now, actor=actor)
    return sections(_account, cycle, session, now)


@router.put("/{cycle_id}/report/sections/{key}", response_model=SectionRead)
def update_section(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    key: SectionKey,
    body: SectionUpdate,
    session: DB,
    now: Now,
) -> SectionRead:
    """Write a narrative section (Markdown); a new version will be rendered."""
    section = write_section(
        session, cycle_id=cycle.id, key=key, text=body.markdown, now=now, actor=actor
    )
    return section_read(key, section.markdown)


@router.get("/{cycle_id}/report/recommendations", response_model=list[RecommendationRead])
def recommendations(
    _account: WorkingGroup, cycle: OwnCycle, session: DB
) -> list[RecommendationRead]:
    """The recommendations: proposed ones await the working group's decision."""
    report = ensure_report(session, cycle_id=cycle.id)
    return [recommendation_read(r) for r in list_recommendations(session, report_id=report.id)]


@router.post(
    "/{cycle_id}/report/recommendations", status_code=201, response_model=RecommendationRead
)
def create_recommendation(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: RecommendationCreate,
    session: DB,
    now: Now,
) -> RecommendationRead:
    """Add a recommendation of the working group's own."""
    created = add_recommendation(session, cycle_id=cycle.id, text=body.text, now=now, actor=actor)
    return recommendation_read(created)


@router.patch(
    "/{cycle_id}/report/recommendations/{recommendation_id}", response_model=RecommendationRead
)
def update_recommendation(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    recommendation_id: int,
    body: RecommendationUpdate,
    session: DB,
    now: Now,
) -> RecommendationRead:
    """Keep, edit or drop a recommendation."""
    decided = decide_recommendation(
        session,
        cycle_id=cycle.id,
        recommendation_id=recommendation_id,
        status=body.status,
        text=body.text,
        now=now,
        actor=actor,
    )
    return recommendation_read(decided)
