"""Interviews, report versions, approval and signatures, complete (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("render_requested_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("report_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("signature", schema=None) as batch_op:
        # Server defaults fill rows that already exist; the ORM always sets the values.
        batch_op.add_column(
            sa.Column("document_sha256", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("algorithm", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("certificate", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("timestamped_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "verification",
                sa.Enum(
                    "valid", "invalid", "not_verified",
                    name="signaturecheck", native_enum=False, length=32,
                ),
                nullable=False,
                server_default="not_verified",
            )
        )
        batch_op.add_column(
            sa.Column("verification_note", sa.Text(), nullable=False, server_default="")
        )

    op.create_table(
        "report_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column(
            "key",
            sa.Enum(
                "legal_base", "open_data", "services", "consultation", "remote_audit",
                "conclusions",
                name="sectionkey", native_enum=False, length=32,
            ),
            nullable=False,
        ),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"],
            name=op.f("fk_report_section_report_id_report"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_section")),
        sa.UniqueConstraint("report_id", "key", name=op.f("uq_report_section_report_id_key")),
    )
    with op.batch_alter_table("report_section", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_section_report_id"), ["report_id"])

    op.create_table(
        "report_recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("proposed_text", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed", "kept", "edited", "dropped",
                name="recommendationstatus", native_enum=False, length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"],
            name=op.f("fk_report_recommendation_report_id_report"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_recommendation")),
        sa.UniqueConstraint(
            "report_id", "key", name=op.f("uq_report_recommendation_report_id_key")
        ),
    )
    with op.batch_alter_table("report_recommendation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_recommendation_report_id"), ["report_id"])


def downgrade() -> None:
    with op.batch_alter_table("report_recommendation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_recommendation_report_id"))
    op.drop_table("report_recommendation")
    with op.batch_alter_table("report_section", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_section_report_id"))
    op.drop_table("report_section")
    with op.batch_alter_table("signature", schema=None) as batch_op:
        for column in (
            "verification_note", "verification", "timestamped_at", "certificate", "algorithm",
            "document_sha256",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("report_version", schema=None) as batch_op:
        batch_op.drop_column("signed_at")
        batch_op.drop_column("approved_by")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("render_requested_at")
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_column("held_at")
        batch_op.drop_column("approved_by")
