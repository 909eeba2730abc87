"""The authors' studio: conversation reviews and tags, inbox decisions, the undo log of data/.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('studio_reviews',
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_studio_reviews'))
    )
    op.create_table('studio_inbox_decisions',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('intent', sa.String(length=60), nullable=True),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_studio_inbox_decisions'))
    )
    op.create_table('studio_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('file', sa.String(length=200), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reverted_at', sa.DateTime(), nullable=True),
    sa.Column('reverted_by', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_changes'))
    )


def downgrade() -> None:
    op.drop_table('studio_changes')
    op.drop_table('studio_inbox_decisions')
    op.drop_table('studio_reviews')
