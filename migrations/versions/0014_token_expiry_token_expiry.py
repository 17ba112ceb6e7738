"""token_expiry: API tokens expire (api_tokens.expires_at)

Tokens issued before this revision get the default lifetime counted from the upgrade
(API_TOKEN_DAYS from the environment, 365 days unless set), so no station's token stops
working at the upgrade; they expire as a token issued that day would.

Revision ID: 0014_token_expiry
Revises: 0013_user_status
Create Date: 2026-11-30 03:10:00.000000

"""
import datetime as dt
import os

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_token_expiry'
down_revision = '0013_user_status'
branch_labels = None
depends_on = None


def _default_days():
    raw = os.environ.get('API_TOKEN_DAYS') or '365'
    return max(int(raw), 1) if raw.lstrip('-').isdigit() else 365


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=_default_days())
    if op.get_bind().dialect.name == 'sqlite':  # stored as naive UTC, as app.database does
        expires = expires.replace(tzinfo=None)
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=expires))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
