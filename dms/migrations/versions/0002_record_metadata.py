"""record metadata versions (SEDA 2.3) and transfer origins

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('record_metadata_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'version')
    )
    with op.batch_alter_table('record_metadata_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_metadata_versions_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_metadata_versions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('record_origins',
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('source_agency_identifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('source_agency_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('source_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('source_identifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('source_registered_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('transfer_identifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('source_metadata', sa.Text(), nullable=True),
    sa.Column('imported_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('record_id'),
    sa.UniqueConstraint('tenant_id', 'source_agency_identifier', 'source_reference')
    )
    with op.batch_alter_table('record_origins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_origins_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:

    with op.batch_alter_table('record_origins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_origins_tenant_id'))

    op.drop_table('record_origins')
    with op.batch_alter_table('record_metadata_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_metadata_versions_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_record_metadata_versions_record_id'))

    op.drop_table('record_metadata_versions')
