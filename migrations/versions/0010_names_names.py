"""names: stored manufacturers and serial numbers in one spelling (NFKC, no invisible characters)

Registration and the blacklist now fold full-width forms and drop zero-width characters
(app/traceability/names.py); rows stored before keep matching only if they are folded too.
Events are not touched: each keeps the text it was hashed with.

Revision ID: 0010_names
Revises: 0009_events_index
Create Date: 2026-11-29 22:10:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_names'
down_revision = '0009_events_index'
branch_labels = None
depends_on = None


def _fold(text):
    if text is None:
        return None
    folded = unicodedata.normalize("NFKC", text)
    return " ".join("".join(ch for ch in folded if unicodedata.category(ch) != "Cf").split())


def _fold_columns(table, columns):
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
    for row in rows:
        values = dict(zip(columns, row[1:], strict=True))
        changed = {c: _fold(v) for c, v in values.items() if _fold(v) != v}
        if changed:
            sets = ", ".join(f"{c} = :{c}" for c in changed)
            conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                         {**changed, "id": row[0]})


def upgrade():
    _fold_columns("cylinders", ["manufacturer", "serial_no"])
    _fold_columns("blacklist_entries", ["manufacturer"])


def downgrade():
    pass  # the original spellings are kept in each cylinder's registration event
