"""user_status: who deactivated or reactivated a user, and when

Users are deactivated and reactivated through the API now (PATCH /api/v1/users/<id>); each
change is one row here, never edited, so the history survives a reactivation.

Revision ID: 0013_user_status
Revises: 0012_seen_on
Create Date: 2026-11-30 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_user_status'
down_revision = '0012_seen_on'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'],
                                name=op.f('fk_user_status_changes_changed_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_status_changes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_status_changes')),
    )
    with op.batch_alter_table('user_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_status_changes_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('user_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_status_changes_user_id'))
    op.drop_table('user_status_changes')
