"""Customer messages carry the client's id for them (a retry is stored once) and when their
turn was answered (a failed or cut-off turn can be run again).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch.create_unique_constraint('uq_messages_client_id', ['conversation_id', 'client_id'])


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint('uq_messages_client_id', type_='unique')
        batch.drop_column('answered_at')
        batch.drop_column('client_id')
