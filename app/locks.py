"""Named locks held until the transaction ends, for writers that race on one name."""
from __future__ import annotations

import hashlib

from sqlalchemy import text

from app.extensions import db


def lock_name(name: str) -> None:
    """Serialise writers that work on one name (an idempotency key, a flag) until commit.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite writers already hold the
    database lock from BEGIN IMMEDIATE, so nothing more is needed there.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
