"""The cycle's contact for units (named in overdue letters) and a unit's accepted late
questionnaire (who accepted it, when, why)

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_cycle") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("contact_email", sa.String(254), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("contact_phone", sa.String(50), nullable=False, server_default=""))
    with op.batch_alter_table("audited_unit") as batch:
        batch.add_column(sa.Column("late_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("late_accepted_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("late_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audited_unit") as batch:
        batch.drop_column("late_reason")
        batch.drop_column("late_accepted_by")
        batch.drop_column("late_accepted_at")
    with op.batch_alter_table("audit_cycle") as batch:
        batch.drop_column("contact_phone")
        batch.drop_column("contact_email")
        batch.drop_column("contact_name")
