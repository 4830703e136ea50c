"""retention schedules, holds, disposition batches, tombstones (issue 7)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ('retention_tombstones', 'retention_events', 'record_retention', 'hold_records', 'retention_schedules',
          'holds', 'disposition_batches')


def upgrade() -> None:
    op.create_table('disposition_batches',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('proposed_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('approved_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('request_message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('requested_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('authorization_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('authorized_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('executed_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('executed_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('certificate_record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('transfer_message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('accession_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('restored_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'number')
    )
    op.create_index(op.f('ix_disposition_batches_tenant_id'), 'disposition_batches', ['tenant_id'], unique=False)
    op.create_table('holds',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('mandate', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('class_uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('query', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('placed_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('placed_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('lifted_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_holds_tenant_id'), 'holds', ['tenant_id'], unique=False)
    op.create_table('retention_schedules',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('class_uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('trigger_event', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('final_action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('legal_reference', sa.Text(), nullable=False),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'class_uri')
    )
    op.create_index(op.f('ix_retention_schedules_tenant_id'), 'retention_schedules', ['tenant_id'], unique=False)
    op.create_table('hold_records',
    sa.Column('hold_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('added_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('hold_id', 'record_id')
    )
    op.create_index(op.f('ix_hold_records_record_id'), 'hold_records', ['record_id'], unique=False)
    op.create_table('record_retention',
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('closed_at', sa.Date(), nullable=True),
    sa.Column('schedule_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('updated_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('record_id')
    )
    op.create_index('ix_record_retention_batch', 'record_retention', ['batch_id'], unique=False)
    op.create_index('ix_record_retention_sweep', 'record_retention', ['tenant_id', 'state', 'due_date'], unique=False)
    op.create_table('retention_events',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('recorded_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'name')
    )
    op.create_index(op.f('ix_retention_events_record_id'), 'retention_events', ['record_id'], unique=False)
    op.create_index(op.f('ix_retention_events_tenant_id'), 'retention_events', ['tenant_id'], unique=False)
    op.create_table('retention_tombstones',
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('classification', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('registered_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', dms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('destroyed_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('destroyed_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('authorization_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('metadata_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('record_id')
    )
    op.create_index(op.f('ix_retention_tombstones_batch_id'), 'retention_tombstones', ['batch_id'], unique=False)
    op.create_index(op.f('ix_retention_tombstones_tenant_id'), 'retention_tombstones', ['tenant_id'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
