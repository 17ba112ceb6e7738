"""due_index: index (owner_org_id, service_life_ends) for a company's expiry alerts

A gas company's alerts ask for its cylinders whose inspection falls due (the existing
index ix_cylinders_owner_due) or whose service life ends within the window. Without this
index both databases read every cylinder of the owner for the second half (PostgreSQL: a
bitmap of the owner index; SQLite: the owner-and-due index over all later due dates);
with it each half is one index range, and the two are OR-ed.

Revision ID: 0015_due_index
Revises: 0014_token_expiry
Create Date: 2026-11-30 05:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015_due_index'
down_revision = '0014_token_expiry'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cylinders', schema=None) as batch_op:
        batch_op.create_index('ix_cylinders_owner_life', ['owner_org_id', 'service_life_ends'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('cylinders', schema=None) as batch_op:
        batch_op.drop_index('ix_cylinders_owner_life')
