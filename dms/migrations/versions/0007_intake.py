"""intake channels: e-mail messages, scan ids and separator sheets (issue 4)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:40:00.000000
"""

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
