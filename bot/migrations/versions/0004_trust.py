"""Trust boundaries: failure counters with lockouts (guest verification, staff login) that
replace guest_lookups, the signed help-desk requests already served, and the seller's
window of a ticket (first/last message id), filled in for existing tickets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limits'))
    )
    op.create_index(op.f('ix_rate_limits_updated_at'), 'rate_limits', ['updated_at'], unique=False)
    op.create_table('hook_requests',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_hook_requests'))
    )
    op.create_index(op.f('ix_hook_requests_expires_at'), 'hook_requests', ['expires_at'], unique=False)
    op.drop_table('guest_lookups')
    op.add_column('tickets', sa.Column('first_message_id', sa.Integer(), nullable=True))
    op.add_column('tickets', sa.Column('last_message_id', sa.Integer(), nullable=True))
    # Existing tickets: the window starts at the customer's last message before the ticket and,
    # for finished or escalated ones, ends at the last message before their latest change.
    op.execute("""
        UPDATE tickets SET first_message_id = COALESCE((
            SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = tickets.conversation_id
            AND m.sender = 'customer' AND m.created_at <= tickets.created_at), 0)
    """)
    op.execute("""
        UPDATE tickets SET last_message_id = COALESCE((
            SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = tickets.conversation_id
            AND m.created_at <= tickets.updated_at), 0)
        WHERE status IN ('resolved', 'closed') OR escalated_at IS NOT NULL
    """)


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('last_message_id')
        batch.drop_column('first_message_id')
    op.create_table('guest_lookups',
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_guest_lookups'))
    )
    op.drop_index(op.f('ix_hook_requests_expires_at'), table_name='hook_requests')
    op.drop_table('hook_requests')
    op.drop_index(op.f('ix_rate_limits_updated_at'), table_name='rate_limits')
    op.drop_table('rate_limits')
