"""conversation state without expiry

`conversation_state.expires_at` was written on every update and read by nothing since the
conversation layer parks a flow by `updated_at` (`[drafts] idle_park_hours`): derivable state,
so it goes.

Revision ID: 0017
Revises: 0010
Create Date: 2026-12-05 02:00:00+00:00
"""

import sqlalchemy as sa

import crm.db
from alembic import op


revision = '0017'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation_state') as batch:
        batch.drop_column('expires_at')


def downgrade() -> None:
    with op.batch_alter_table('conversation_state') as batch:
        batch.add_column(sa.Column('expires_at', crm.db.UTCDateTime(timezone=True), nullable=True))
