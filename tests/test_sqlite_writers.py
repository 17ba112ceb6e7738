"""The SQLite writer queue: one writer at a time, handed on at commit, rollback or close."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app.sqlite import QueuedConnection, queue_path


def connect(path: Path) -> QueuedConnection:
    conn = sqlite3.connect(path, factory=QueuedConnection, isolation_level=None,
                           check_same_thread=False)
    conn.open_queue(queue_path(str(path)))
    return conn


def test_in_memory_and_uri_databases_have_no_queue():
    assert queue_path(":memory:") is None
    assert queue_path(None) is None
    assert queue_path("file:x?mode=memory") is None
    assert queue_path("/tmp/a.sqlite3") == "/tmp/a.sqlite3.writers"


@pytest.mark.parametrize("finish", ["commit", "rollback", "close"])
def test_a_waiting_writer_goes_as_soon_as_the_first_finishes(tmp_path, finish):
    first, second = connect(tmp_path / "q.sqlite3"), connect(tmp_path / "q.sqlite3")
    first.wait_for_turn()
    first.execute("BEGIN IMMEDIATE")
    started = threading.Event()
    got_turn: list[float] = []

    def wait() -> None:
        started.set()
        second.wait_for_turn()
        got_turn.append(time.monotonic())

    waiter = threading.Thread(target=wait)
    waiter.start()
    started.wait()
    time.sleep(0.2)
    assert got_turn == []  # still queued behind the first writer
    finished = time.monotonic()
    getattr(first, finish)()
    waiter.join(5)
    assert got_turn and got_turn[0] - finished < 0.1
    second.execute("BEGIN IMMEDIATE")  # the database lock is free as well
    second.rollback()
    assert not second.holds_turn
    second.close()
    if finish != "close":
        first.close()


def test_many_threads_write_in_turn_without_busy_errors(tmp_path):
    path = tmp_path / "many.sqlite3"
    setup = connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (n INTEGER)")
    # Opening and closing connections take SQLite's own locks briefly (busy_timeout covers
    # those in the app); here they happen outside the measured writes.
    conns = [connect(path) for _ in range(8)]
    for conn in conns:
        conn.execute("PRAGMA busy_timeout=0")  # any lock wait outside the queue would fail
        conn.execute("SELECT count(*) FROM t").fetchone()
    errors: list[Exception] = []

    def writer(conn: QueuedConnection) -> None:
        try:
            for n in range(50):
                conn.wait_for_turn()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t VALUES (?)", (n,))
                conn.commit()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(conn,)) for conn in conns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for conn in conns:
        conn.close()
    assert errors == []
    assert setup.execute("SELECT count(*) FROM t").fetchone() == (400,)
    setup.close()
