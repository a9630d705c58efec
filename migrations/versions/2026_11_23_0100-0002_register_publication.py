"""The dataset register's publication state and portal snapshots (issue 5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('portal_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('portal_url', sa.String(length=500), nullable=False),
    sa.Column('portal_organization', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('ok', 'failed', name='snapshotstatus', native_enum=False, length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('private_included', sa.Boolean(), nullable=False),
    sa.Column('dataset_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_portal_snapshot_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_snapshot'))
    )
    with op.batch_alter_table('portal_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_snapshot_organization_id'), ['organization_id'], unique=False)

    op.create_table('portal_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('portal_url', sa.String(length=500), nullable=False),
    sa.Column('portal_organization', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_portal_source_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_source')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_portal_source_organization_id'))
    )
    op.create_table('published_dataset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('metadata_modified', sa.DateTime(timezone=True), nullable=True),
    sa.Column('update_frequency', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['portal_snapshot.id'], name=op.f('fk_published_dataset_snapshot_id_portal_snapshot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_dataset'))
    )
    with op.batch_alter_table('published_dataset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_dataset_snapshot_id'), ['snapshot_id'], unique=False)

    op.create_table('published_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=50), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('last_modified', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['published_dataset.id'], name=op.f('fk_published_resource_dataset_id_published_dataset'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_resource'))
    )
    with op.batch_alter_table('published_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_resource_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('dataset_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_entry_id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.String(length=100), nullable=False),
    sa.Column('method', sa.Enum('link', 'name', 'manual', name='matchmethod', native_enum=False, length=32), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('confirmed_by', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['register_entry_id'], ['register_entry.id'], name=op.f('fk_dataset_match_register_entry_id_register_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_match')),
    sa.UniqueConstraint('register_entry_id', name=op.f('uq_dataset_match_register_entry_id'))
    )
    op.create_table('manual_publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_entry_id', sa.Integer(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('published', 'private', 'missing', name='publicationstate', native_enum=False, length=32), nullable=False),
    sa.Column('last_updated_on', sa.Date(), nullable=True),
    sa.Column('formats', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('source_changed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['register_entry_id'], ['register_entry.id'], name=op.f('fk_manual_publication_register_entry_id_register_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_publication'))
    )
    with op.batch_alter_table('manual_publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_publication_register_entry_id'), ['register_entry_id'], unique=False)


def downgrade() -> None:
    for table, index in (
        ("manual_publication", "ix_manual_publication_register_entry_id"),
        ("published_resource", "ix_published_resource_dataset_id"),
        ("published_dataset", "ix_published_dataset_snapshot_id"),
        ("portal_snapshot", "ix_portal_snapshot_organization_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
    for table in (
        "manual_publication",
        "dataset_match",
        "published_resource",
        "published_dataset",
        "portal_source",
        "portal_snapshot",
    ):
        op.drop_table(table)
