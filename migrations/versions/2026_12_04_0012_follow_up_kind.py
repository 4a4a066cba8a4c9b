"""follow-up kind

A follow-up made from a message that only announces a contact (明天给东方钢铁打电话) keeps how the
contact is to be made: on site, phone, online or a message. Earlier follow-ups have none.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-04 23:00:00+00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('follow_up') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('follow_up') as batch:
        batch.drop_column('kind')
