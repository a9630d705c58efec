"""A questionnaire draft keeps the form as typed while some of its fields are still invalid
(issue 15: a draft can always be saved)

Revision ID: 0016
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_form", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_submission", schema=None) as batch_op:
        batch_op.drop_column("draft_form")
