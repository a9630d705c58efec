"""The questionnaire collects every field of the Ministry's "results of the information audit"
structure (infoAudit): the respondent's phone and the item's remaining columns

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, type, nullable); text columns default to "" so existing rows stay valid.
_ITEM_COLUMNS: list[tuple[str, sa.types.TypeEngine[object], bool]] = [
    ("data_type", sa.String(500), False),
    ("data_creator", sa.String(500), False),
    ("data_transfer", sa.String(500), False),
    ("date_created", sa.Date(), True),
    ("source", sa.Text(), False),
    ("usage_frequency", sa.String(200), False),
    ("public_interest", sa.String(200), False),
    ("government_interest", sa.String(200), False),
    ("relation", sa.Text(), False),
    ("structure", sa.Text(), False),
    ("documentation", sa.Text(), False),
    ("developer_name", sa.String(500), False),
    ("developer_id", sa.String(20), False),
    ("dictionary", sa.Text(), False),
    ("size", sa.String(100), False),
    ("resource_url", sa.String(500), True),
]


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_submission") as batch:
        batch.add_column(
            sa.Column("respondent_phone", sa.String(200), nullable=False, server_default="")
        )
    with op.batch_alter_table("information_item") as batch:
        for name, kind, nullable in _ITEM_COLUMNS:
            batch.add_column(
                sa.Column(name, kind, nullable=nullable, server_default=None if nullable else "")
            )


def downgrade() -> None:
    with op.batch_alter_table("information_item") as batch:
        for name, _, _ in reversed(_ITEM_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("questionnaire_submission") as batch:
        batch.drop_column("respondent_phone")
