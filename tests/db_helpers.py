"""Helpers for tests that watch the statements sent or need tables of their own."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

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


def race_to_insert(app, table: str, requests: list) -> list:
    """Run requests in threads at once, each pausing just before its INSERT INTO `table` until
    all the others reach theirs too (or 3 s pass): a check-then-insert that is not serialised
    lets every one of them insert, one that takes its lock before the check lets one through.
    Each request is a callable taking a test client; their answers come back in order.
    """
    prefix = f"INSERT INTO {table.upper()} "
    return race(app, requests, lambda sql: sql.lstrip().upper().startswith(prefix))


def race(app, requests: list, at) -> list:
    """Run requests in threads at once, each pausing before its first statement for which
    `at(sql)` is true until all the others reach one too (or 3 s pass); see race_to_insert."""
    import threading

    barrier = threading.Barrier(len(requests))

    def pause(_conn, _cursor, statement, *_args) -> None:
        if at(statement):
            # broken: the others are held up before their check, so carry on alone
            with suppress(threading.BrokenBarrierError):
                barrier.wait(3)

    answers: list = [None] * len(requests)

    def run(i: int) -> None:
        with app.app_context():
            answers[i] = requests[i](app.test_client())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", pause)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", pause)
    return answers
