"""Units can be deactivated (unit.is_active); a past year's audit can be entered afterwards
(audit_cycle.is_historical)

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("audit_cycle") as batch:
        batch.add_column(
            sa.Column("is_historical", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_cycle") as batch:
        batch.drop_column("is_historical")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("is_active")
