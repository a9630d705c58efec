"""Each organization's own portal API key, sealed (issue 16: no installation-wide key)

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_source", schema=None) as batch_op:
        batch_op.drop_column("api_token")
