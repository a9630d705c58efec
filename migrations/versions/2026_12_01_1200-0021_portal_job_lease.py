"""A running portal job holds a lease its runner renews, so a killed run is resumed
(issue 16: nothing acknowledged is ever lost)

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_job", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
