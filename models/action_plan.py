"""The action plan made from an approved report's recommendations (seed 002's columns: task,
deadline, key performance indicator, responsible) and the dated notes on how it goes."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, utcnow
from models.organization import enum_column


class ItemStatus(enum.StrEnum):
    """Where an item stands; "overdue" is not stored: it follows from the deadline."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_DONE = "not_done"  # the working group decided it will not be done


ITEM_STATUS_LABELS = {
    ItemStatus.PLANNED: "заплановано",
    ItemStatus.IN_PROGRESS: "виконується",
    ItemStatus.DONE: "виконано",
    ItemStatus.NOT_DONE: "не виконано",
}
OVERDUE_LABEL = "прострочено"
# Closed items are neither reminded of nor overdue.
CLOSED = frozenset({ItemStatus.DONE, ItemStatus.NOT_DONE})


class Metric(enum.StrEnum):
    """An indicator the next audit measures itself, from its own figures."""

    NONE = ""
    SHARE_MEETING_ALL = "share_meeting_all"  # % of the register meeting all criteria
    PRIVATE_TOTAL = "private_total"  # datasets in private mode
    UNITS_WITHOUT_QUESTIONNAIRE = "units_without_questionnaire"
    UNIT_PROBLEMS = "unit_problems"  # what the responsible unit has to put right


METRIC_LABELS = {
    Metric.NONE: "вимірюється вручну (значення в нотатках)",
    Metric.SHARE_MEETING_ALL: "частка наборів, що відповідають усім критеріям",
    Metric.PRIVATE_TOTAL: "наборів у приватному режимі",
    Metric.UNITS_WITHOUT_QUESTIONNAIRE: "підрозділів, що не подали анкет",
    Metric.UNIT_PROBLEMS: "невиконаних вимог підрозділу (не оприлюднено, прострочено, "
    "не машиночитані)",
}


class ActionPlan(Timestamped, Base):
    """The plan that follows one cycle's approved report."""

    __tablename__ = "action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), unique=True
    )
    report_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_version.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(100))

    items: Mapped[list["ActionPlanItem"]] = relationship(
        lazy="raise", order_by="ActionPlanItem.position"
    )


class ActionPlanItem(Timestamped, Base):
    """One task: what, who (unit and person), by when, how its success is measured."""

    __tablename__ = "action_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_recommendation.id", ondelete="SET NULL")
    )
    task: Mapped[str] = mapped_column(Text)
    responsible_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="SET NULL")
    )
    responsible_person: Mapped[str] = mapped_column(String(300), default="")
    responsible_email: Mapped[str] = mapped_column(String(254), default="")
    due_on: Mapped[date]
    indicator: Mapped[str] = mapped_column(Text, default="")
    metric: Mapped[Metric] = mapped_column(enum_column(Metric, 40), default=Metric.NONE)
    # The indicator's value when the plan was made, for an indicator measured by hand.
    baseline: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), default=ItemStatus.PLANNED)

    notes: Mapped[list["ActionPlanNote"]] = relationship(
        lazy="raise", order_by="(ActionPlanNote.noted_on, ActionPlanNote.id)"
    )


class ActionPlanNote(Base):
    """A dated note on an item: the status it set, the evidence, the indicator's value then."""

    __tablename__ = "action_plan_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan_item.id", ondelete="CASCADE"), index=True
    )
    noted_on: Mapped[date]
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus))
    text: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[str] = mapped_column(String(300), default="")
    author: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
