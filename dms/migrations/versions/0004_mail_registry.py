"""mail registry: contacts, mail types, notes, workflow history, agents' services, number formats, and the
record's mail fields (sender, recipients, services, assignee, dates, mail type, send modes, links)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dms.models.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('organisation_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('role_title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('postal_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('search_key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_search_key'), ['search_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('mail_types',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'code')
    )
    with op.batch_alter_table('mail_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_types_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('register_settings',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('register_code', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('number_format', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'register_code')
    )
    op.create_table('user_services',
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('service_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'service_id')
    )
    op.create_table('record_notes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('author_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_notes_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_notes_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('record_transitions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', dms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_transitions_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_transitions_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_reference', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sent_at', dms.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sender_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('recipient_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('treating_service_id', sqlmodel.sql.sqltypes.AutoString(length=36),
                                      nullable=True))
        batch_op.add_column(sa.Column('copy_service_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('assignee_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('mail_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('send_modes', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('reply_to_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('related_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_foreign_key('fk_records_assignee_id_users', 'users', ['assignee_id'], ['id'])
        batch_op.create_foreign_key('fk_records_sender_id_contacts', 'contacts', ['sender_id'], ['id'])
        batch_op.create_foreign_key('fk_records_treating_service_id_services', 'services', ['treating_service_id'],
                                    ['id'])



def downgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_constraint('fk_records_assignee_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_records_sender_id_contacts', type_='foreignkey')
        batch_op.drop_constraint('fk_records_treating_service_id_services', type_='foreignkey')
        batch_op.drop_column('related_ids')
        batch_op.drop_column('reply_to_id')
        batch_op.drop_column('send_modes')
        batch_op.drop_column('mail_type')
        batch_op.drop_column('due_date')
        batch_op.drop_column('assignee_id')
        batch_op.drop_column('copy_service_ids')
        batch_op.drop_column('treating_service_id')
        batch_op.drop_column('recipient_ids')
        batch_op.drop_column('sender_id')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('external_reference')

    with op.batch_alter_table('record_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_transitions_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_record_transitions_record_id'))

    op.drop_table('record_transitions')
    with op.batch_alter_table('record_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_notes_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_record_notes_record_id'))

    op.drop_table('record_notes')
    op.drop_table('user_services')
    op.drop_table('register_settings')
    with op.batch_alter_table('mail_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_types_tenant_id'))

    op.drop_table('mail_types')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_search_key'))

    op.drop_table('contacts')
