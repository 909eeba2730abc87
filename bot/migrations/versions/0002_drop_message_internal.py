"""Drop messages.internal: never set (internal notes live in ticket_notes).

SQLite cannot drop a column in place on every version: batch mode recreates the table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('internal')


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('internal', sa.Boolean(), nullable=False, server_default=sa.false()))
