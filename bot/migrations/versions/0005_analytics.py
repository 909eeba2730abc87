"""Analytics: the event store (Rasa's broker events and the gateway's and desk's own), the facts
derived from it per conversation and per ticket, their sums per day, and the consumers' cursors.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('intent', sa.String(length=60), nullable=True),
    sa.Column('topic', sa.String(length=60), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_events')),
    sa.UniqueConstraint('key', name=op.f('uq_analytics_events_key'))
    )
    op.create_index(op.f('ix_analytics_events_conversation_id'), 'analytics_events', ['conversation_id'], unique=False)
    op.create_index('ix_analytics_events_kind_at', 'analytics_events', ['kind', 'at', 'intent', 'topic'], unique=False)
    op.create_table('analytics_conversations',
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('asked', sa.Boolean(), nullable=False),
    sa.Column('user_messages', sa.Integer(), nullable=False),
    sa.Column('fallback_messages', sa.Integer(), nullable=False),
    sa.Column('first_intent', sa.String(length=60), nullable=True),
    sa.Column('faq_topic', sa.String(length=60), nullable=True),
    sa.Column('handoff_reason', sa.String(length=40), nullable=True),
    sa.Column('handoff_target', sa.String(length=10), nullable=True),
    sa.Column('question_pending_at', sa.DateTime(), nullable=True),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('csat_shown', sa.Boolean(), nullable=False),
    sa.Column('csat_score', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_analytics_conversations'))
    )
    op.create_index(op.f('ix_analytics_conversations_started_at'), 'analytics_conversations', ['started_at'], unique=False)
    op.create_index(op.f('ix_analytics_conversations_day'), 'analytics_conversations', ['day'], unique=False)
    op.create_index(op.f('ix_analytics_conversations_question_pending_at'), 'analytics_conversations',
                    ['question_pending_at'], unique=False)
    op.create_table('analytics_day_counts',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'key', name=op.f('pk_analytics_day_counts'))
    )
    op.create_table('analytics_tickets',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('target', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('seller_answered_at', sa.DateTime(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('agent_from', sa.DateTime(), nullable=True),
    sa.Column('agent_first_response_at', sa.DateTime(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_analytics_tickets'))
    )
    op.create_index(op.f('ix_analytics_tickets_conversation_id'), 'analytics_tickets', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_analytics_tickets_day'), 'analytics_tickets', ['day'], unique=False)
    op.create_index(op.f('ix_analytics_tickets_seller_id'), 'analytics_tickets', ['seller_id'], unique=False)
    op.create_index(op.f('ix_analytics_tickets_agent_id'), 'analytics_tickets', ['agent_id'], unique=False)
    op.create_table('analytics_cursors',
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_analytics_cursors'))
    )


def downgrade() -> None:
    op.drop_table('analytics_cursors')
    op.drop_index(op.f('ix_analytics_tickets_agent_id'), table_name='analytics_tickets')
    op.drop_index(op.f('ix_analytics_tickets_seller_id'), table_name='analytics_tickets')
    op.drop_index(op.f('ix_analytics_tickets_day'), table_name='analytics_tickets')
    op.drop_index(op.f('ix_analytics_tickets_conversation_id'), table_name='analytics_tickets')
    op.drop_table('analytics_tickets')
    op.drop_table('analytics_day_counts')
    op.drop_index(op.f('ix_analytics_conversations_question_pending_at'), table_name='analytics_conversations')
    op.drop_index(op.f('ix_analytics_conversations_day'), table_name='analytics_conversations')
    op.drop_index(op.f('ix_analytics_conversations_started_at'), table_name='analytics_conversations')
    op.drop_table('analytics_conversations')
    op.drop_index('ix_analytics_events_kind_at', table_name='analytics_events')
    op.drop_index(op.f('ix_analytics_events_conversation_id'), table_name='analytics_events')
    op.drop_table('analytics_events')
