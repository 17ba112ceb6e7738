"""events_index: drop ix_events_type_received, which no query uses

Every query that filters events by type also bounds occurred_at (ix_events_type_occurred
serves it); none reads received_at. The index cost a page of the write-ahead log on every
event (docs/benchmarks/interlock.md, session 5).

Revision ID: 0009_events_index
Revises: 0008_assignment_end
Create Date: 2026-11-29 15:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_events_index'
down_revision = '0008_assignment_end'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_type_received')


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_type_received', ['type', 'received_at'], unique=False)
