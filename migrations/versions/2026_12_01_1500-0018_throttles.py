"""Throttles in the database (logins per account at an address and per address, resume-link
e-mails), replacing the per-account counter columns (issue 16)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle")),
        sa.UniqueConstraint("key", name=op.f("uq_throttle_key")),
    )
    with op.batch_alter_table("throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_throttle_blocked_until"), ["blocked_until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_throttle_subject"), ["subject"], unique=False)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_subject"))
        batch_op.drop_index(batch_op.f("ix_throttle_blocked_until"))
    op.drop_table("throttle")
