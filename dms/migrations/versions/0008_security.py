"""security: the access log (reads of records and files) and per-register lists of accepted file types (issue 11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 11:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('actor_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('file_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.create_index('ix_access_events_tenant_record_at', ['tenant_id', 'record_id', 'at'], unique=False)

    op.create_table('register_mime_policies',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('register_code', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('mime_types', sa.JSON(), nullable=False),
    sa.Column('updated_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'register_code')
    )


def downgrade() -> None:
    op.drop_table('register_mime_policies')
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.drop_index('ix_access_events_tenant_record_at')
    op.drop_table('access_events')
