"""thesaurus: concept schemes, their versions, resources, labels, relations and proposals; record
classification and keywords

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('thesaurus_schemes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('released_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'uri')
    )
    with op.batch_alter_table('thesaurus_schemes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thesaurus_schemes_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('thesaurus_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('released_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['thesaurus_schemes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scheme_id', 'version')
    )
    with op.batch_alter_table('thesaurus_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thesaurus_versions_scheme_id'), ['scheme_id'], unique=False)

    op.create_table('thesaurus_resources',
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('notation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('deprecated', sa.Boolean(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['thesaurus_schemes.id'], ),
    sa.PrimaryKeyConstraint('scheme_id', 'uri')
    )
    with op.batch_alter_table('thesaurus_resources', schema=None) as batch_op:
        batch_op.create_index('ix_thesaurus_resources_uri', ['uri'], unique=False)

    op.create_table('thesaurus_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['thesaurus_schemes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('thesaurus_labels', schema=None) as batch_op:
        batch_op.create_index('ix_thesaurus_labels_scheme', ['scheme_id'], unique=False)

    op.create_table('thesaurus_relations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['thesaurus_schemes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('thesaurus_relations', schema=None) as batch_op:
        batch_op.create_index('ix_thesaurus_relations_scheme', ['scheme_id'], unique=False)

    op.create_table('thesaurus_proposals',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('concept_uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('proposed_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('decided_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['scheme_id'], ['thesaurus_schemes.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('thesaurus_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thesaurus_proposals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_thesaurus_proposals_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_thesaurus_proposals_scheme_id'), ['scheme_id'], unique=False)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classification', sqlmodel.sql.sqltypes.AutoString(length=1000),
                                      nullable=True))
        batch_op.add_column(sa.Column('keywords', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('keywords')
        batch_op.drop_column('classification')

    with op.batch_alter_table('thesaurus_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thesaurus_proposals_scheme_id'))
        batch_op.drop_index(batch_op.f('ix_thesaurus_proposals_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_thesaurus_proposals_status'))

    op.drop_table('thesaurus_proposals')
    with op.batch_alter_table('thesaurus_relations', schema=None) as batch_op:
        batch_op.drop_index('ix_thesaurus_relations_scheme')

    op.drop_table('thesaurus_relations')
    with op.batch_alter_table('thesaurus_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_thesaurus_labels_scheme')

    op.drop_table('thesaurus_labels')
    with op.batch_alter_table('thesaurus_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_thesaurus_resources_uri')

    op.drop_table('thesaurus_resources')
    with op.batch_alter_table('thesaurus_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thesaurus_versions_scheme_id'))

    op.drop_table('thesaurus_versions')
    with op.batch_alter_table('thesaurus_schemes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thesaurus_schemes_tenant_id'))

    op.drop_table('thesaurus_schemes')
