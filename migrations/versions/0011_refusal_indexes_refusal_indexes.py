"""refusal_indexes: drop the fill refusals' indexes on cylinder and code, which no query uses

Refusals are read by station and day (ix_fill_refusals_station_refused) and by event id
(the retry of an attempt); a cylinder's refused attempts are read from its `fill_refused`
events. Each of the two indexes cost every refusal a page of SQLite's write-ahead log, and
an index insertion on PostgreSQL (docs/benchmarks/interlock.md, session 9).

Revision ID: 0011_refusal_indexes
Revises: 0010_names
Create Date: 2026-11-29 23:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_refusal_indexes'
down_revision = '0010_names'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fill_refusals', schema=None) as batch_op:
        batch_op.drop_index('ix_fill_refusals_code')
        batch_op.drop_index('ix_fill_refusals_cylinder_id')


def downgrade():
    with op.batch_alter_table('fill_refusals', schema=None) as batch_op:
        batch_op.create_index('ix_fill_refusals_cylinder_id', ['cylinder_id'], unique=False)
        batch_op.create_index('ix_fill_refusals_code', ['code'], unique=False)
