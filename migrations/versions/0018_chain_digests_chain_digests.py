"""chain_digests: a digest of every cylinder's chain head as of a moment, to keep outside

The hash chain shows an edited event inside the database, but someone who can rewrite the
whole database can rebuild the chains as well. A digest of every chain head as of a cutoff,
written down outside the database (the monthly report, a regulator's notes), lets the history
up to that cutoff be recomputed and compared with it later.

Revision ID: 0018_chain_digests
Revises: 0017_rule_changes
Create Date: 2026-11-30 08:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_chain_digests'
down_revision = '0017_rule_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'chain_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cutoff', sa.DateTime(timezone=True), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('taken_by_id', sa.Integer(), nullable=True),
        sa.Column('cylinders', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['taken_by_id'], ['users.id'],
                                name=op.f('fk_chain_digests_taken_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_digests')),
    )
    with op.batch_alter_table('chain_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_digests_cutoff'), ['cutoff'], unique=False)


def downgrade():
    with op.batch_alter_table('chain_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_digests_cutoff'))
    op.drop_table('chain_digests')
