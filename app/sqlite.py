"""SQLite tuning: WAL, and a queue that hands the one write lock from request to request.

SQLite lets one connection write at a time. Left to itself, a waiting writer polls with
growing sleeps (1 ms ... 100 ms, `busy_timeout`), so under load the lock sits idle while
writers sleep and the slowest wait seconds. Here each connection first waits on an OS file
lock (`flock`) next to the database: the kernel wakes the next writer the moment the last
one commits, across threads and worker processes alike.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from app.fastsql import run_sql
from app.sqlite_checkpoint import BACKSTOP_PAGES, Checkpointer, checkpointer


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection that holds its turn in the writer queue until commit or rollback."""

    queue_fd: int | None = None
    holds_turn = False
    checkpoints: Checkpointer | None = None

    def open_queue(self, path: str, database: str | None = None) -> None:
        """Open this connection's own handle on the queue file (flock is per open file).

        With `database`, its commits have the log copied in the background (app/sqlite_checkpoint).
        """
        self.queue_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if database is not None:
            self.checkpoints = checkpointer(database)

    def wait_for_turn(self) -> None:
        """Block until no other connection of this database is writing."""
        if self.queue_fd is not None and not self.holds_turn:
            fcntl.flock(self.queue_fd, fcntl.LOCK_EX)
            self.holds_turn = True

    def end_turn(self) -> None:
        """Let the next writer in."""
        if self.holds_turn and self.queue_fd is not None:
            self.holds_turn = False
            fcntl.flock(self.queue_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        wrote = self.holds_turn  # a writer's commit (readers never queue)
        try:
            super().commit()
        finally:
            self.end_turn()
        if wrote and self.checkpoints is not None:
            self.checkpoints.nudge()  # the log is copied beside the next writers, not before

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()
            if self.queue_fd is not None:
                os.close(self.queue_fd)
                self.queue_fd = None


def queue_path(database: str | None) -> str | None:
    """The queue file of a file database; in-memory databases have one connection anyway."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}.writers"


UNREADABLE_JSON = "unreadable_json"


def tolerant_json_loads(text: str) -> Any:
    """Stored JSON as Python. SQLite keeps JSON as text that anyone with the file can edit:
    text that no longer parses comes back as {UNREADABLE_JSON: text}, so a page can still show
    the row (and the event chain reports it altered) instead of failing to read it."""
    try:
        return json.loads(text)
    except ValueError:
        return {UNREADABLE_JSON: text}


def engine_options(url: Any) -> dict[str, Any]:
    """Engine options: tolerant JSON reads, and every connection of a SQLite file database
    queues its writes."""
    options: dict[str, Any] = {"json_deserializer": tolerant_json_loads}
    if queue_path(url.database):
        options["connect_args"] = {"factory": QueuedConnection}
    return options


def configure_sqlite(engine: Engine, begin_mode: Callable[[], str]) -> None:
    """WAL for concurrent readers; writers take the write lock at BEGIN, in queue order.

    A deferred transaction that reads and then writes fails at once if another writer
    committed in between; taking the write lock at BEGIN makes concurrent writing requests
    wait their turn instead and keeps each request's reads consistent. `begin_mode` says
    what a new transaction of the current request begins with: "write" (BEGIN IMMEDIATE, in
    queue order), "read" (BEGIN), or "none": statements run on their own until
    `begin_writing` turns the same connection into the writer (a reads-first request).
    """
    path = queue_path(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")  # writers outside the queue (CLI, scripts)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        if path and isinstance(dbapi_conn, QueuedConnection):
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            dbapi_conn.open_queue(path, engine.url.database)

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        mode = begin_mode()
        if mode == "write":
            begin_writing(conn)
        elif mode == "read":
            conn.exec_driver_sql("BEGIN")


def begin_writing(conn: Any) -> bool:
    """Wait for this connection's turn, then BEGIN IMMEDIATE; False if it is in a transaction.

    A reads-first request calls this on the connection its reads ran on (each statement on
    its own, no transaction open), so the write phase needs no second connection.
    """
    raw = conn.connection.dbapi_connection
    if raw.in_transaction:
        return False
    queued = isinstance(raw, QueuedConnection)
    if queued:
        raw.wait_for_turn()
    try:
        run_sql(conn, "BEGIN IMMEDIATE").close()  # no SQLAlchemy bookkeeping in the turn
    except Exception:
        if queued:
            raw.end_turn()
        raise
    return True
