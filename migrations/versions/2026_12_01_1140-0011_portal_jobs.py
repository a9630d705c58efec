"""Publishing and the quarterly monitoring card requested from the console: the portal_job
table the sweep works through (issue 14)

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("publish", "monitoring", name="portaljobkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "running",
                "done",
                "failed",
                name="portaljobstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["audit_cycle.id"],
            name=op.f("fk_portal_job_cycle_id_audit_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_portal_job_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_job")),
    )
    with op.batch_alter_table("portal_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_job_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_portal_job_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_job_organization_id"))
        batch_op.drop_index(batch_op.f("ix_portal_job_cycle_id"))

    op.drop_table("portal_job")
