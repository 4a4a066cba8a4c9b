"""rule overrides: business rules changed in chat (/rules)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:50:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_override',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rule_override'))
    )


def downgrade() -> None:
    op.drop_table('rule_override')
