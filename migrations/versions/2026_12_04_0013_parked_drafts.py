"""parked drafts: what an interrupted flow had gathered, kept until resumed or discarded

Revision ID: 0013
Revises: 0006
Create Date: 2026-12-04 23:00:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0013'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('parked_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('flow', sa.String(length=40), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('parked_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', crm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('offered', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parked_draft'))
    )
    op.create_index('ix_parked_draft_user', 'parked_draft', ['channel', 'chat_id', 'user_id'])
    op.create_index('ix_parked_draft_expires', 'parked_draft', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_parked_draft_expires', table_name='parked_draft')
    op.drop_index('ix_parked_draft_user', table_name='parked_draft')
    op.drop_table('parked_draft')
