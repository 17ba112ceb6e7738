"""Copy SQLite's write-ahead log into the database outside the writers' queue.

SQLite checkpoints inside the commit that takes the log past `wal_autocheckpoint` pages:
that commit copies every page written since the last checkpoint and syncs two files, while
its connection still holds its turn in the writer queue (app/sqlite.py), so every other
writer waits for the disk. Measured on the interlock's write mix, 1.5 % of commits were
checkpoints and they took 57 % of all commit time (1-8 ms each).

Here a thread in each process copies the log in PASSIVE mode, which runs beside the
writers instead of in front of them, shortly after each write turn. SQLite's own
checkpoint stays on at a higher mark as a backstop: it lets the log start over from the
beginning, and finds almost everything already copied.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

log = logging.getLogger(__name__)

# SQLite's own checkpoint inside the commit: only when the background one fell behind.
BACKSTOP_PAGES = 4000
# How long after a write the background copy starts: writes arriving meanwhile share it.
DELAY_SECONDS = 0.2


class Checkpointer:
    """One database's background checkpoint thread in this process (started after a fork)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.wake = threading.Event()
        self.pid: int | None = None
        self.runs = 0  # completed checkpoints, for tests and diagnostics

    def nudge(self) -> None:
        """Say that a write was committed: the thread copies the log a moment later."""
        if self.pid != os.getpid():  # a forked worker has no copy of its parent's threads
            with _LOCK:  # one thread per process, however many request threads get here
                if self.pid != os.getpid():
                    self.wake = threading.Event()
                    threading.Thread(target=self._run, name="sqlite-checkpoint",
                                     daemon=True).start()
                    self.pid = os.getpid()
        self.wake.set()

    def checkpoint(self, conn: sqlite3.Connection) -> tuple[int, int, int]:
        """Copy what no reader still needs; (busy, pages in the log, pages copied)."""
        busy, pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.runs += 1
        return busy, pages, copied

    def _run(self) -> None:
        wake = self.wake
        conn = sqlite3.connect(self.database, isolation_level=None, check_same_thread=False)
        try:
            while True:
                wake.wait()
                time.sleep(DELAY_SECONDS)
                wake.clear()
                try:
                    self.checkpoint(conn)
                except sqlite3.Error as exc:  # a busy or missing file: the backstop remains
                    log.warning("background checkpoint of %s failed: %s", self.database, exc)
        finally:
            conn.close()


_CHECKPOINTERS: dict[str, Checkpointer] = {}
_LOCK = threading.Lock()


def checkpointer(database: str) -> Checkpointer:
    """The process's checkpointer of a database file (one per file, shared by connections)."""
    with _LOCK:
        found = _CHECKPOINTERS.get(database)
        if found is None:
            found = _CHECKPOINTERS[database] = Checkpointer(database)
        return found
