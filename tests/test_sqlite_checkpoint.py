"""SQLite's log is copied into the database beside the writers, not inside their turn."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app.sqlite import QueuedConnection, configure_sqlite, engine_options, queue_path
from app.sqlite_checkpoint import BACKSTOP_PAGES, DELAY_SECONDS, Checkpointer, checkpointer


def engine_for(path: Path):
    url = make_url(f"sqlite:///{path}")
    engine = create_engine(url, **engine_options(url))
    configure_sqlite(engine, lambda: "write")
    return engine


def rows_in_database_file(path: Path, tmp_path: Path) -> int:
    """Rows of t in the database file alone: what was copied out of the log."""
    alone = tmp_path / "alone.sqlite3"
    alone.write_bytes(path.read_bytes())  # without the -wal file beside it
    probe = sqlite3.connect(alone)
    try:
        return probe.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        probe.close()


def wait_for_runs(worker: Checkpointer, runs: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while worker.runs < runs and time.monotonic() < deadline:
        time.sleep(0.01)


def test_commits_leave_the_copy_to_the_background_thread(tmp_path):
    path = tmp_path / "log.sqlite3"
    engine = engine_for(path)
    worker = checkpointer(str(path))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, QueuedConnection) and raw.checkpoints is worker
        # SQLite's own copy inside a commit only as a backstop, far above these writes
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
        conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
        conn.commit()
        wait_for_runs(worker, 1)
        time.sleep(DELAY_SECONDS + 0.2)
        before = worker.runs
        for n in range(40):
            conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 3000 + str(n)})
            conn.commit()
        wait_for_runs(worker, before + 1)
        time.sleep(DELAY_SECONDS + 0.5)
        assert worker.runs > before
        assert rows_in_database_file(path, tmp_path) == 40  # copied, with the log still open
    engine.dispose()


def test_a_read_does_not_wake_the_checkpoint(tmp_path):
    path = tmp_path / "read.sqlite3"
    engine = engine_for(path)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    worker = checkpointer(str(path))
    wait_for_runs(worker, 1)
    time.sleep(DELAY_SECONDS + 0.2)
    runs = worker.runs
    raw = sqlite3.connect(path, factory=QueuedConnection, isolation_level=None)
    raw.open_queue(queue_path(str(path)), str(path))
    raw.execute("BEGIN")  # a reader: it never takes a turn in the writer queue
    raw.execute("SELECT count(*) FROM t").fetchone()
    raw.commit()
    raw.close()
    time.sleep(DELAY_SECONDS + 0.3)
    assert worker.runs == runs
    engine.dispose()


def test_one_checkpointer_per_database_file(tmp_path):
    assert checkpointer(str(tmp_path / "a.sqlite3")) is checkpointer(str(tmp_path / "a.sqlite3"))
    assert checkpointer(str(tmp_path / "a.sqlite3")) is not checkpointer(
        str(tmp_path / "b.sqlite3"))
