"""Datasets the staff proposed in the questionnaire ("worth publishing as open data"): the
working group accepts one (a register entry is made) or rejects it (recorded, not proposed
again)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditedUnit
from models.errors import Invalid, NotFound
from models.organization import Unit
from models.questionnaire import (
    AccessCategory,
    InformationItem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.register import ProposalDecision, RegisterEntry, RegisterProposal
from models.schemas import OfficialRef
from models.services.cycles import get_cycle
from models.services.events import record_cycle_event
from models.services.register_entries import REGISTER_EVENT_LABELS, EntryInput, add_entry


@dataclass(frozen=True)
class Proposal:
    """An undecided information item marked as a dataset candidate, with its unit."""

    item_id: int
    name: str
    description: str
    unit_id: int
    unit: str
    update_frequency: str
    legal_basis: str
    respondent: str
    respondent_position: str


def _candidates(session: Session, cycle_id: int) -> list[tuple[InformationItem, Unit, str, str]]:
    return [
        (item, unit, name, position)
        for item, unit, name, position in session.execute(
            select(
                InformationItem,
                Unit,
                QuestionnaireSubmission.respondent_name,
                QuestionnaireSubmission.respondent_position,
            )
            .join(
                QuestionnaireSubmission,
                QuestionnaireSubmission.id == InformationItem.submission_id,
            )
            .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
            .join(Unit, Unit.id == AuditedUnit.unit_id)
            .outerjoin(RegisterProposal, RegisterProposal.information_item_id == InformationItem.id)
            .where(
                AuditedUnit.cycle_id == cycle_id,
                QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
                InformationItem.is_dataset_candidate.is_(True),
                # A secret item is outside the audit, never a dataset.
                InformationItem.access_category != AccessCategory.SECRET,
                RegisterProposal.id.is_(None),
            )
            .order_by(AuditedUnit.position, InformationItem.submission_id, InformationItem.position)
        ).tuples()
    ]


def list_proposals(session: Session, *, cycle_id: int) -> list[Proposal]:
    """The cycle's undecided proposals, by unit in the cycle's order."""
    return [
        Proposal(
            item_id=item.id,
            name=item.name,
            description=item.description,
            unit_id=unit.id,
            unit=unit.name,
            update_frequency=item.update_frequency,
            legal_basis=item.legal_basis,
            respondent=name,
            respondent_position=position,
        )
        for item, unit, name, position in _candidates(session, cycle_id)
    ]


def _proposal(session: Session, cycle_id: int, item_id: int) -> Proposal:
    found = next(
        (p for p in list_proposals(session, cycle_id=cycle_id) if p.item_id == item_id), None
    )
    if found is None:
        raise NotFound("Пропозицію не знайдено або рішення щодо неї вже ухвалено.")
    return found


def accept_proposal(
    session: Session,
    *,
    cycle_id: int,
    item_id: int,
    periodicity: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    officials: list[OfficialRef] | None = None,
) -> RegisterEntry:
    """Make the proposed item a register entry of its unit (a local addition)."""
    proposal = _proposal(session, cycle_id, item_id)
    entry = add_entry(
        session,
        cycle_id=cycle_id,
        data=EntryInput(
            name=name if name is not None else proposal.name,
            periodicity=periodicity,
            unit_ids=[proposal.unit_id],
            officials=officials or [],
            legal_basis=proposal.legal_basis,
        ),
        actor=actor,
        now=now,
    )
    _decide(session, cycle_id, proposal, ProposalDecision.ACCEPTED, actor, now, entry)
    return entry


def reject_proposal(
    session: Session, *, cycle_id: int, item_id: int, actor: Actor, now: datetime
) -> RegisterProposal:
    """Record that the item is not to be a register entry; it is not proposed again."""
    proposal = _proposal(session, cycle_id, item_id)
    return _decide(session, cycle_id, proposal, ProposalDecision.REJECTED, actor, now, None)


def _decide(
    session: Session,
    cycle_id: int,
    proposal: Proposal,
    decision: ProposalDecision,
    actor: Actor,
    now: datetime,
    entry: RegisterEntry | None,
) -> RegisterProposal:
    get_cycle(session, cycle_id=cycle_id)
    if decision == ProposalDecision.ACCEPTED and entry is None:
        raise Invalid("Прийнята пропозиція потребує запису реєстру.")
    record = RegisterProposal(
        cycle_id=cycle_id,
        information_item_id=proposal.item_id,
        decision=decision,
        register_entry_id=entry.id if entry else None,
        decided_at=now,
        actor=actor.label,
    )
    session.add(record)
    session.flush()
    action = (
        "register.proposal_accepted"
        if decision == ProposalDecision.ACCEPTED
        else "register.proposal_rejected"
    )
    details: dict[str, object] = {
        "подія": REGISTER_EVENT_LABELS[action],
        "набір": proposal.name,
        "підрозділ": proposal.unit,
    }
    if entry is not None:
        details["номер"] = entry.number
    record_cycle_event(
        session, cycle_id=cycle_id, action=action, at=now, actor=actor, details=details
    )
    return record
