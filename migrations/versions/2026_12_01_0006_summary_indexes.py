"""summary indexes

The managers' summaries count what happened in a day (customers registered by the team, stage
changes, requests opened, answered, resolved, rated or past their time limit) and the team's
claims about to lapse: indexes on those times keep each to the day's (the team's) rows instead of
a scan of every row ever written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00+00:00
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_customer_created_by_time', 'customer', ['created_by', 'created_at']),
    ('ix_customer_owner_claim', 'customer', ['owner_id', 'claim_expires_at']),
    ('ix_customer_change_time', 'customer_change', ['changed_at']),
    ('ix_ticket_created', 'ticket', ['created_at']),
    ('ix_ticket_resolved', 'ticket', ['resolved_at']),
    ('ix_ticket_rated', 'ticket', ['rated_at']),
    ('ix_ticket_first_response_due', 'ticket', ['first_response_due']),
    ('ix_ticket_resolution_due', 'ticket', ['resolution_due']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
