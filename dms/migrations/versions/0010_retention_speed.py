"""retention sweep speed (issue 10): record_retention without foreign keys, its batch index partial

The first sweep of a commune writes one ``record_retention`` row per record (a million in one statement). On
PostgreSQL each row's two foreign-key checks are row triggers that also lock the referenced ``records`` row
(``FOR KEY SHARE``, a write to every record): they were most of the first sweep's time. The rows are only ever
written by dms.retention from existing records (``INSERT … SELECT … FROM records``, or ``row_of`` after
reading the record), and records are never deleted (docs/retention.md), so the constraints guard nothing the
code does not. ``ix_record_retention_batch`` only serves ``batch_id = …``: it need not hold the NULL of every
record outside a batch (docs/decisions/0003-retention-rows-without-foreign-keys.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 14:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# names for the unnamed foreign keys of 0005, so that SQLite's batch mode (which rebuilds the table) finds them
NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}
IN_A_BATCH = sa.text("batch_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_record_retention_batch', table_name='record_retention')
    with op.batch_alter_table('record_retention', naming_convention=NAMING) as batch:
        batch.drop_constraint('record_retention_record_id_fkey', type_='foreignkey')
        batch.drop_constraint('record_retention_tenant_id_fkey', type_='foreignkey')
    op.create_index('ix_record_retention_batch', 'record_retention', ['batch_id'], unique=False,
                    sqlite_where=IN_A_BATCH, postgresql_where=IN_A_BATCH)


def downgrade() -> None:
    op.drop_index('ix_record_retention_batch', table_name='record_retention')
    with op.batch_alter_table('record_retention', naming_convention=NAMING) as batch:
        batch.create_foreign_key('record_retention_record_id_fkey', 'records', ['record_id'], ['id'])
        batch.create_foreign_key('record_retention_tenant_id_fkey', 'tenants', ['tenant_id'], ['id'])
    op.create_index('ix_record_retention_batch', 'record_retention', ['batch_id'], unique=False)
