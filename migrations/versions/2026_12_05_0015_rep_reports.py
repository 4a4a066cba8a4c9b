"""reps' daily and weekly reports, and managers' comments on them

Revision ID: 0015
Revises: 0017
Create Date: 2026-12-05 02:00:00+00:00
"""

from alembic import op
import sqlalchemy as sa
import crm.db


revision = '0015'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rep_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('lines', sa.String(length=2000), nullable=True),
    sa.Column('plan', sa.String(length=2000), nullable=True),
    sa.Column('sent_at', crm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_rep_report_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rep_report')),
    sa.UniqueConstraint('staff_id', 'kind', 'period', name=op.f('uq_rep_report_staff_id')),
    )
    op.create_index(op.f('ix_rep_report_staff_id'), 'rep_report', ['staff_id'], unique=False)
    op.create_table('report_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('at', crm.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff.id'], name=op.f('fk_report_comment_author_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['rep_report.id'], name=op.f('fk_report_comment_report_id_rep_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_comment')),
    )
    op.create_index(op.f('ix_report_comment_report_id'), 'report_comment', ['report_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_comment_report_id'), table_name='report_comment')
    op.drop_table('report_comment')
    op.drop_index(op.f('ix_rep_report_staff_id'), table_name='rep_report')
    op.drop_table('rep_report')
