"""delivery status and unreachable chats

Existing rows get server defaults, so the upgrade runs on a populated database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:31:37.190995+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unreachable_chat',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('since', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_unreachable_chat'))
    )
    with op.batch_alter_table('care_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='queued'))
        batch_op.add_column(sa.Column('updated_at', crm.db.UTCDateTime(timezone=True), nullable=False, server_default=sa.func.now()))
        batch_op.create_index(batch_op.f('ix_care_delivery_status'), ['status'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retaken', sa.Boolean(), nullable=False, server_default=sa.false()))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('retaken')

    with op.batch_alter_table('care_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_delivery_status'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('status')

    op.drop_table('unreachable_chat')
    # ### end Alembic commands ###
