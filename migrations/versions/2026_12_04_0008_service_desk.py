"""service desk: request channel and media, earlier resolutions, return visits, on-call rota,
business calendar, company-wide sight for linked customers

Revision ID: 0008
Revises: 0011
Create Date: 2026-12-04 23:00:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0008'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(
            sa.Column('channel', sa.String(length=12), server_default='telegram', nullable=False)
        )
    with op.batch_alter_table('ticket_message') as batch:
        batch.add_column(sa.Column('media', sa.JSON(), nullable=True))
    with op.batch_alter_table('customer_user') as batch:
        batch.add_column(
            sa.Column('sees_company', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table('ticket_resolution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('resolved_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('rated_at', crm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopened_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_ticket_resolution_owner_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_resolution_ticket_id_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_resolution'))
    )
    op.create_index(op.f('ix_ticket_resolution_ticket_id'), 'ticket_resolution', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_ticket_resolution_rated_at'), 'ticket_resolution', ['rated_at'], unique=False)
    op.create_table('return_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('resolved_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('due_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', crm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_return_visit_staff_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_return_visit_ticket_id_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_visit')),
    sa.UniqueConstraint('ticket_id', 'resolved_at', name=op.f('uq_return_visit_ticket_id'))
    )
    op.create_index(op.f('ix_return_visit_ticket_id'), 'return_visit', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_return_visit_staff_id'), 'return_visit', ['staff_id'], unique=False)
    op.create_index(op.f('ix_return_visit_due_at'), 'return_visit', ['due_at'], unique=False)
    op.create_index(op.f('ix_return_visit_done_at'), 'return_visit', ['done_at'], unique=False)
    op.create_table('on_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_on_call_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_on_call')),
    sa.UniqueConstraint('day', 'staff_id', name=op.f('uq_on_call_day'))
    )
    op.create_index(op.f('ix_on_call_day'), 'on_call', ['day'], unique=False)
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    op.create_table('weekday_hours',
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=True),
    sa.Column('end', sa.String(length=5), nullable=True),
    sa.PrimaryKeyConstraint('weekday', name=op.f('pk_weekday_hours'))
    )


def downgrade() -> None:
    op.drop_table('weekday_hours')
    op.drop_table('calendar_day')
    op.drop_index(op.f('ix_on_call_day'), table_name='on_call')
    op.drop_table('on_call')
    for name in ('done_at', 'due_at', 'staff_id', 'ticket_id'):
        op.drop_index(op.f(f'ix_return_visit_{name}'), table_name='return_visit')
    op.drop_table('return_visit')
    op.drop_index(op.f('ix_ticket_resolution_rated_at'), table_name='ticket_resolution')
    op.drop_index(op.f('ix_ticket_resolution_ticket_id'), table_name='ticket_resolution')
    op.drop_table('ticket_resolution')
    with op.batch_alter_table('customer_user') as batch:
        batch.drop_column('sees_company')
    with op.batch_alter_table('ticket_message') as batch:
        batch.drop_column('media')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_column('channel')
