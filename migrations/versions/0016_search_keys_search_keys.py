"""search_keys: serial numbers and manufacturers as the search compares them, in one case

The regulators' search compared serial numbers and manufacturers exactly: a stamped
"LC2024A001" typed in lower case, or a manufacturer typed in part, found nothing. Each
cylinder now keeps `serial_key` and `manufacturer_key` (app/traceability/names.search_key:
NFKC, no invisible characters, casefolded in Python so that SQLite and PostgreSQL compare the
same text); `serial_key` is indexed. The exact `serial_no` and its index are kept.

Revision ID: 0016_search_keys
Revises: 0015_due_index
Create Date: 2026-11-30 02:50:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_search_keys'
down_revision = '0015_due_index'
branch_labels = None
depends_on = None
CHUNK = 5000


def _key(text):
    """names.search_key as of this revision (a migration does not import the app)."""
    folded = unicodedata.normalize("NFKC", text or "")
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split()).casefold()


def _backfill():
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, serial_no, manufacturer FROM cylinders WHERE id > :last "
            "ORDER BY id LIMIT :n"), {"last": last, "n": CHUNK}).all()
        if not rows:
            return
        conn.execute(sa.text("UPDATE cylinders SET serial_key = :s, manufacturer_key = :m "
                             "WHERE id = :id"),
                     [{"id": r[0], "s": _key(r[1]), "m": _key(r[2])} for r in rows])
        last = rows[-1][0]


def upgrade():
    # NOT NULL with a server default: SQLite adds such a column in place, where making it
    # NOT NULL afterwards would rebuild `cylinders`, which many tables reference. The app
    # always writes the keys (a column default); the server default only fills old rows
    # until the backfill below.
    for name in ('serial_key', 'manufacturer_key'):
        op.add_column('cylinders', sa.Column(name, sa.Text(), nullable=False,
                                             server_default=''))
    _backfill()
    op.create_index('ix_cylinders_serial_key', 'cylinders', ['serial_key'], unique=False)


def downgrade():
    op.drop_index('ix_cylinders_serial_key', table_name='cylinders')
    for name in ('manufacturer_key', 'serial_key'):
        op.drop_column('cylinders', name)  # SQLite 3.35+ drops a column in place
