"""Rejected match proposals are remembered: the rejected_match table, so a later snapshot
never proposes the same entry and portal dataset again

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rejected_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("register_entry_id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.String(length=100), nullable=False),
        sa.Column("rejected_by", sa.String(length=64), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_rejected_match_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["register_entry.id"],
            name=op.f("fk_rejected_match_register_entry_id_register_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_match")),
        sa.UniqueConstraint(
            "organization_id",
            "register_entry_id",
            "portal_id",
            name=op.f("uq_rejected_match_organization_id_register_entry_id_portal_id"),
        ),
    )
    with op.batch_alter_table("rejected_match", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rejected_match_register_entry_id"), ["register_entry_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rejected_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_match_register_entry_id"))
    op.drop_table("rejected_match")
