"""ticket topics: each ticket's topic in the service team's forum supergroup

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-04 23:10:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0011'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_topic',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('thread_id', sa.BigInteger(), nullable=False),
    sa.Column('shown_status', sa.String(length=12), nullable=False),
    sa.Column('copied_upto', sa.Integer(), nullable=False),
    sa.Column('from_topic', sa.JSON(), nullable=False),
    sa.Column('created_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_topic_ticket_id_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_topic')),
    sa.UniqueConstraint('chat_id', 'thread_id', name=op.f('uq_ticket_topic_chat_id'))
    )


def downgrade() -> None:
    op.drop_table('ticket_topic')
