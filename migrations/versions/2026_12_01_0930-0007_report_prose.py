"""The report's prose from the data: the figures' date, the order's open-data act and survey
unit, the holder's place and website (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("figures_as_of", sa.Date(), nullable=True))

    with op.batch_alter_table("report_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("figures_as_of", sa.Date(), nullable=True))

    with op.batch_alter_table("audit_cycle", schema=None) as batch_op:
        # Server defaults fill rows that already exist; the ORM always sets the values.
        batch_op.add_column(
            sa.Column("open_data_order", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("survey_unit", sa.String(length=300), nullable=False, server_default="")
        )

    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("website", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("website")
        batch_op.drop_column("place")

    with op.batch_alter_table("audit_cycle", schema=None) as batch_op:
        batch_op.drop_column("survey_unit")
        batch_op.drop_column("open_data_order")

    with op.batch_alter_table("report_version", schema=None) as batch_op:
        batch_op.drop_column("figures_as_of")

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("figures_as_of")
