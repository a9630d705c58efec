"""The register in the console: retired entries, the Resolution 835 catalogue's code of an
entry, and the working group's decisions on datasets the staff proposed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain nullable columns: SQLite adds them without rebuilding register_entry.
    op.add_column("register_entry", sa.Column("catalogue_code", sa.String(length=40)))
    op.add_column("register_entry", sa.Column("retired_at", sa.DateTime(timezone=True)))
    op.create_table(
        "register_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("information_item_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("accepted", "rejected", name="proposaldecision", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("register_entry_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["audit_cycle.id"],
            name=op.f("fk_register_proposal_cycle_id_audit_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["information_item_id"],
            ["information_item.id"],
            name=op.f("fk_register_proposal_information_item_id_information_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["register_entry.id"],
            name=op.f("fk_register_proposal_register_entry_id_register_entry"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_proposal")),
        sa.UniqueConstraint(
            "information_item_id", name=op.f("uq_register_proposal_information_item_id")
        ),
    )
    op.create_index(
        op.f("ix_register_proposal_cycle_id"), "register_proposal", ["cycle_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_register_proposal_cycle_id"), table_name="register_proposal")
    op.drop_table("register_proposal")
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("catalogue_code")
