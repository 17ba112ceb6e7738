"""seen_on: index the district day a cylinder was last seen, not the time

The regulator's search filters by day ("seen from / to"). The index on
`cylinder_traces.last_event_at` moved its entry on every event (two written pages per
event on SQLite); the new `last_seen_on` (the district's day, UTC+8, of `last_event_at`)
changes only with a cylinder's first event of a day. The time stays, unindexed.

Revision ID: 0012_seen_on
Revises: 0011_refusal_indexes
Create Date: 2026-11-29 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_seen_on'
down_revision = '0011_refusal_indexes'
branch_labels = None
depends_on = None

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
BACKFILL = {
    "sqlite": "UPDATE cylinder_traces SET last_seen_on = date(last_event_at, '+8 hours')",
    "postgresql": "UPDATE cylinder_traces "
                  "SET last_seen_on = (last_event_at AT TIME ZONE 'Asia/Shanghai')::date",
}


def upgrade():
    with op.batch_alter_table('cylinder_traces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_on', sa.Date(), nullable=True))
    op.execute(BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table('cylinder_traces', schema=None) as batch_op:
        batch_op.drop_index('ix_cylinder_traces_last_event_at')
        batch_op.create_index(batch_op.f('ix_cylinder_traces_last_seen_on'), ['last_seen_on'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('cylinder_traces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cylinder_traces_last_seen_on'))
        batch_op.create_index('ix_cylinder_traces_last_event_at', ['last_event_at'], unique=False)
        batch_op.drop_column('last_seen_on')
