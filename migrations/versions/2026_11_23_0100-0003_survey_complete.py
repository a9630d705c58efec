"""The consultation survey, complete (issue 4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["audit_cycle.id"],
            name=op.f("fk_survey_invitation_cycle_id_audit_cycle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitation")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_survey_invitation_code_hash")),
    )
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_cycle_id"), ["cycle_id"], unique=False
        )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_response_cycle_ip_hash", ["cycle_id", "ip_hash", "submitted_at"], unique=False
        )
        batch_op.create_index(
            "ix_response_cycle_browser_hash", ["cycle_id", "browser_hash"], unique=False
        )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_answer_question_response", ["question_id", "response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_question_response")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_cycle_browser_hash")
        batch_op.drop_index("ix_response_cycle_ip_hash")
        batch_op.drop_column("browser_hash")
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitation_cycle_id"))
    op.drop_table("survey_invitation")
