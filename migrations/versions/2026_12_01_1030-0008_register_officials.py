"""Every responsible official of a register entry, in the register's order: the
register_entry_official table replaces register_entry.official_id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _require_sqlite_foreign_keys_off() -> None:
    # Rebuilding register_entry (batch mode) drops it: with foreign keys on, SQLite would first
    # delete its rows and cascade to its units, officials and publication records (env.py
    # turns them off before the transaction).
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("SQLite foreign keys must be off to rebuild register_entry.")


def upgrade() -> None:
    _require_sqlite_foreign_keys_off()
    op.create_table(
        "register_entry_official",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entry.id"],
            name=op.f("fk_register_entry_official_entry_id_register_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["official.id"],
            name=op.f("fk_register_entry_official_official_id_official"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "official_id", name=op.f("pk_register_entry_official")),
    )
    # The one official each entry had becomes its first.
    op.execute(
        "INSERT INTO register_entry_official (entry_id, official_id, position) "
        "SELECT id, official_id, 0 FROM register_entry WHERE official_id IS NOT NULL"
    )
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_register_entry_official_id_official"), type_="foreignkey"
        )
        batch_op.drop_column("official_id")


def downgrade() -> None:
    _require_sqlite_foreign_keys_off()
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("official_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_register_entry_official_id_official"),
            "official",
            ["official_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # Only the first official survives: the old column holds one.
    op.execute(
        "UPDATE register_entry SET official_id = ("
        "SELECT official_id FROM register_entry_official AS o "
        "WHERE o.entry_id = register_entry.id AND o.position = 0)"
    )
    op.drop_table("register_entry_official")
