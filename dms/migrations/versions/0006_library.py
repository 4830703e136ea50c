"""the shared library: catalog items, versions, labels, reuse, adoption, branding (issue 8)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _id(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=36), nullable=nullable)


def _at(name: str) -> sa.Column:
    return sa.Column(name, dms.models.base.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table('library_items',
    _id('id'),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    _id('publisher_id'),
    sa.Column('maintainers', sa.JSON(), nullable=False),
    sa.Column('licence', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    _id('based_on_id', nullable=True),
    sa.Column('based_on_version', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    _id('created_by', nullable=True),
    _at('created_at'),
    _at('updated_at'),
    sa.ForeignKeyConstraint(['publisher_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_items_slug'), ['slug'], unique=True)
        batch_op.create_index(batch_op.f('ix_library_items_publisher_id'), ['publisher_id'], unique=False)

    op.create_table('library_versions',
    _id('id'),
    _id('item_id'),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('changelog', sa.Text(), nullable=False),
    sa.Column('blob_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('template_format', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('placeholders', sa.JSON(), nullable=False),
    sa.Column('publiccode', sa.Text(), nullable=True),
    sa.Column('downloads', sa.Integer(), nullable=False),
    sa.Column('label_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    _id('published_by', nullable=True),
    _at('published_at'),
    sa.ForeignKeyConstraint(['item_id'], ['library_items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'version')
    )
    with op.batch_alter_table('library_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_versions_item_id'), ['item_id'], unique=False)

    op.create_table('library_reviews',
    _id('id'),
    _id('version_id'),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    _id('actor_id', nullable=True),
    _at('at'),
    sa.ForeignKeyConstraint(['version_id'], ['library_versions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('library_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_reviews_version_id'), ['version_id'], unique=False)

    op.create_table('library_reuses',
    _id('id'),
    _id('item_id'),
    _id('tenant_id'),
    _id('version_id'),
    sa.Column('since', sa.Date(), nullable=False),
    _at('updated_at'),
    sa.ForeignKeyConstraint(['item_id'], ['library_items.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['library_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'tenant_id')
    )
    with op.batch_alter_table('library_reuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_reuses_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_reuses_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('library_adoptions',
    _id('id'),
    _id('tenant_id'),
    _id('item_id'),
    _id('version_id'),
    _id('adopted_by', nullable=True),
    _at('adopted_at'),
    _at('updated_at'),
    sa.ForeignKeyConstraint(['item_id'], ['library_items.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['library_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'item_id')
    )
    with op.batch_alter_table('library_adoptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_adoptions_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_adoptions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('library_brandings',
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    _id('tenant_id', nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('signatories', sa.JSON(), nullable=True),
    _at('updated_at'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('scope')
    )
    op.create_table('library_logos',
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    _id('tenant_id', nullable=True),
    sa.Column('blob_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    _at('updated_at'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('scope')
    )


def downgrade() -> None:
    op.drop_table('library_logos')
    op.drop_table('library_brandings')
    for table, indexes in (
        ('library_adoptions', ('tenant_id', 'item_id')),
        ('library_reuses', ('tenant_id', 'item_id')),
        ('library_reviews', ('version_id',)),
        ('library_versions', ('item_id',)),
        ('library_items', ('publisher_id', 'slug')),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
