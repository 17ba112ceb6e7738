"""Helpers for tests that watch the statements sent or need tables of their own."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import MetaData, event

from app.extensions import db


@contextmanager
def count_statements(into: list[str]) -> Iterator[None]:
    """Collect the SQL of every statement sent meanwhile (SQLAlchemy's and app.fastsql's)."""
    def record(_conn, _cursor, statement, *_args) -> None:
        into.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def scratch_tables(meta: MetaData) -> Iterator[object]:
    """Create the tables, yield the session, roll it back and drop them (a fixture's body)."""
    with db.engine.begin() as conn:
        meta.create_all(conn)
    yield db.session
    db.session.rollback()
    with db.engine.begin() as conn:
        meta.drop_all(conn)
