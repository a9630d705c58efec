"""The staff questionnaire, complete (issue 3)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="outboxstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_message_dedup_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_status"), ["status"], unique=False)

    op.create_table(
        "consolidation_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("system", "item", name="consolidationkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.Enum("merge", "split", name="consolidationaction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("group_key", sa.String(length=600), nullable=False),
        sa.Column("target_key", sa.String(length=600), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["audit_cycle.id"],
            name=op.f("fk_consolidation_decision_cycle_id_audit_cycle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation_decision")),
        sa.UniqueConstraint(
            "cycle_id",
            "kind",
            "action",
            "group_key",
            "row_id",
            name=op.f("uq_consolidation_decision_cycle_id_kind_action_group_key_row_id"),
        ),
    )
    with op.batch_alter_table("consolidation_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consolidation_decision_cycle_id"), ["cycle_id"], unique=False
        )

    with op.batch_alter_table("questionnaire_submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_lookup", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_questionnaire_submission_resume_lookup"), ["resume_lookup"]
        )


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_submission", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_questionnaire_submission_resume_lookup"), type_="unique"
        )
        batch_op.drop_column("resume_lookup")
    with op.batch_alter_table("consolidation_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consolidation_decision_cycle_id"))
    op.drop_table("consolidation_decision")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_status"))
    op.drop_table("outbox_message")
