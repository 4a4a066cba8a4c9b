"""customer record: blacklist reason, notes, power-supply fields, pending duplicates, aliases

Revision ID: 0009
Revises: 0013
Create Date: 2026-12-04 23:00:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0009'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blacklist_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('power_account', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('tariff', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('voltage', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('meter_segment', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('approval', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('dup_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_approval'), ['approval'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_customer_dup_of_id_customer'), 'customer', ['dup_of_id'], ['id'],
            ondelete='SET NULL',
        )
    op.create_table('customer_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_search', sa.String(length=400), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('merged_from', sa.Integer(), nullable=False),
    sa.Column('merged_by', sa.Integer(), nullable=True),
    sa.Column('merged_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_alias_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_by'], ['staff.id'], name=op.f('fk_customer_alias_merged_by_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_alias'))
    )
    with op.batch_alter_table('customer_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_alias_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_alias_phone'), ['phone'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_alias_phone'))
        batch_op.drop_index(batch_op.f('ix_customer_alias_customer_id'))
    op.drop_table('customer_alias')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customer_dup_of_id_customer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_customer_approval'))
        for column in ('dup_of_id', 'approval', 'meter_segment', 'voltage', 'tariff',
                       'power_account', 'notes', 'blacklist_reason'):
            batch_op.drop_column(column)
