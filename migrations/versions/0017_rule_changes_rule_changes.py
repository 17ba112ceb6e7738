"""rule_changes: who changed a model's row of the rule table, when, why, from what to what

The rule table decides what the filling interlock refuses (a banned model) and every
cylinder's due dates; it was changed through the API with no record. Each change of a
model's row is now one row here, written in the change's transaction and never edited.

Revision ID: 0017_rule_changes
Revises: 0016_search_keys
Create Date: 2026-11-30 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0017_rule_changes'
down_revision = '0016_search_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rule_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model', sa.String(length=32), nullable=False),
        sa.Column('added', sa.Boolean(), nullable=False),
        sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                    'postgresql'), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'],
                                name=op.f('fk_rule_changes_changed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_changes')),
    )
    with op.batch_alter_table('rule_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_changes_model'), ['model'], unique=False)


def downgrade():
    with op.batch_alter_table('rule_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_changes_model'))
    op.drop_table('rule_changes')
