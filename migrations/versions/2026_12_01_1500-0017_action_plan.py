"""The action plan made from an approved report's recommendations, with dated notes (issue 18)

Revision ID: 0017
Revises: 0019
Create Date: 2026-12-01 15:10:30.806015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "action_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("report_version_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["audit_cycle.id"],
            name=op.f("fk_action_plan_cycle_id_audit_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_version_id"],
            ["report_version.id"],
            name=op.f("fk_action_plan_report_version_id_report_version"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan")),
        sa.UniqueConstraint("cycle_id", name=op.f("uq_action_plan_cycle_id")),
    )
    op.create_table(
        "action_plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=True),
        sa.Column("responsible_person", sa.String(length=300), nullable=False),
        sa.Column("responsible_email", sa.String(length=254), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column(
            "metric",
            sa.Enum(
                "",
                "share_meeting_all",
                "private_total",
                "units_without_questionnaire",
                "unit_problems",
                name="metric",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("baseline", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "done",
                "not_done",
                name="itemstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["action_plan.id"],
            name=op.f("fk_action_plan_item_plan_id_action_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["report_recommendation.id"],
            name=op.f("fk_action_plan_item_recommendation_id_report_recommendation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"],
            ["unit.id"],
            name=op.f("fk_action_plan_item_responsible_unit_id_unit"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_item")),
    )
    with op.batch_alter_table("action_plan_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_item_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "action_plan_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("noted_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "done",
                "not_done",
                name="itemstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["action_plan_item.id"],
            name=op.f("fk_action_plan_note_item_id_action_plan_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_note")),
    )
    with op.batch_alter_table("action_plan_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_note_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_plan_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_plan_note_item_id"))

    op.drop_table("action_plan_note")
    with op.batch_alter_table("action_plan_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_plan_item_plan_id"))

    op.drop_table("action_plan_item")
    op.drop_table("action_plan")
