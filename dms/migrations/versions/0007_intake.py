"""intake channels: e-mail messages, scan ids and separator sheets (issue 4)

``mail_messages`` remembers each registered e-mail by its Message-ID (one record per message, never two);
``files.superseded_by`` and ``files.scanned_at`` let a re-scan replace a record's file while the older file
is kept as its previous version.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_messages',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'key')
    )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_messages_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_messages_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('scanned_at', dms.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_column('scanned_at')
        batch_op.drop_column('superseded_by')
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_messages_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_mail_messages_record_id'))
    op.drop_table('mail_messages')
