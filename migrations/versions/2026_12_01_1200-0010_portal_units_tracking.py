"""Portal organizations per unit, snapshot progress, moderation and tracking figures (issue 14)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_portal_organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("portal_organization", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_unit_portal_organization_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_portal_organization")),
        sa.UniqueConstraint(
            "unit_id",
            "portal_organization",
            name=op.f("uq_unit_portal_organization_unit_id_portal_organization"),
        ),
    )
    with op.batch_alter_table("unit_portal_organization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unit_portal_organization_unit_id"), ["unit_id"], unique=False
        )
    # Plain ADD COLUMN (no table rebuild): existing rows get the defaults.
    with op.batch_alter_table("portal_snapshot", schema=None) as batch_op:
        for name in ("progress_done", "progress_total", "proposed", "waiting"):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            )
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("published_dataset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("portal_organization", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("moderation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in ("views_total", "views_recent", "downloads_total"):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("published_dataset", schema=None) as batch_op:
        for name in (
            "downloads_total",
            "views_recent",
            "views_total",
            "moderation",
            "portal_organization",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("portal_snapshot", schema=None) as batch_op:
        for name in ("finished_at", "waiting", "proposed", "progress_total", "progress_done"):
            batch_op.drop_column(name)
    with op.batch_alter_table("unit_portal_organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_portal_organization_unit_id"))
    op.drop_table("unit_portal_organization")
