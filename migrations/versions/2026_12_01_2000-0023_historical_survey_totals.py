"""A historical cycle's survey totals entered by hand: participants, each question's answered
count and each option's chosen count (its survey ran offline, no responses to count)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "survey_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("participants >= 0", name=op.f("ck_survey_totals_participants")),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["audit_cycle.id"],
            name=op.f("fk_survey_totals_cycle_id_audit_cycle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_totals")),
        sa.UniqueConstraint("cycle_id", name=op.f("uq_survey_totals_cycle_id")),
    )
    op.create_table(
        "question_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.CheckConstraint("answered >= 0", name=op.f("ck_question_total_answered")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_total_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_total")),
        sa.UniqueConstraint("question_id", name=op.f("uq_question_total_question_id")),
    )
    op.create_table(
        "option_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Integer(), nullable=False),
        sa.CheckConstraint("chosen >= 0", name=op.f("ck_option_total_chosen")),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["option.id"],
            name=op.f("fk_option_total_option_id_option"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_total")),
        sa.UniqueConstraint("option_id", name=op.f("uq_option_total_option_id")),
    )


def downgrade() -> None:
    op.drop_table("option_total")
    op.drop_table("question_total")
    op.drop_table("survey_totals")
