"""rep targets: a rep's monthly new-customer, won and collected targets

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-05 02:00:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0014'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rep_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('new_customers', sa.Integer(), nullable=True),
    sa.Column('won_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('collected_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['staff.id'], name=op.f('fk_rep_target_set_by_staff')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_rep_target_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rep_target')),
    sa.UniqueConstraint('staff_id', 'month', name=op.f('uq_rep_target_staff_id')),
    )


def downgrade() -> None:
    op.drop_table('rep_target')
