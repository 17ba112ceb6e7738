"""Write generated chunks fast: COPY on PostgreSQL, executemany on SQLite."""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

from sqlalchemy import Engine, text

ORDER = ("codes", "cylinders", "events", "cylinder_traces", "cylinder_parties", "flags")


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_chunk(engine: Engine, chunk: Any, attempts: int = 5) -> None:
    """Write a chunk; if the server goes away (a restart), retry it once it is back.

    A chunk is one transaction, so a failed attempt leaves nothing behind; a chunk whose
    first cylinder is already stored was committed just before the connection dropped.
    """
    for attempt in range(1, attempts + 1):
        try:
            if attempt > 1 and _stored(engine, chunk.cylinders[0]["id"]):
                return
            _write_chunk(engine, chunk)
            return
        except Exception as exc:  # psycopg/sqlite3 OperationalError alike: wait and retry
            if attempt == attempts:
                raise
            print(f"\n  write failed ({exc.__class__.__name__}); retry {attempt}", flush=True)
            engine.dispose()
            time.sleep(5 * attempt)


def _stored(engine: Engine, cylinder_id: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM cylinders WHERE id = :id"),
                            {"id": cylinder_id}).first() is not None


def _write_chunk(engine: Engine, chunk: Any) -> None:
    """Insert one chunk's rows, parents before children, in one transaction."""
    rows = {"codes": chunk.codes, "cylinders": chunk.cylinders, "events": chunk.events,
            "cylinder_traces": chunk.traces, "cylinder_parties": chunk.parties,
            "flags": chunk.flags}
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                for name in ORDER:
                    if not rows[name]:
                        continue
                    cols = list(rows[name][0])
                    with cur.copy(f'COPY "{name}" ({", ".join(cols)}) FROM STDIN') as copy:
                        for row in rows[name]:
                            copy.write_row([_pg_value(row[c]) for c in cols])
            raw.commit()
        finally:
            raw.close()
        return
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for pragma in BULK_PRAGMAS:
            cur.execute(pragma)
        cur.execute("BEGIN")
        for name in ORDER:
            if not rows[name]:
                continue
            cols = list(rows[name][0])
            marks = ", ".join("?" for _ in cols)
            cur.executemany(f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({marks})',
                            ([_sqlite_value(row[c]) for c in cols] for row in rows[name]))
        cur.execute("COMMIT")
    finally:
        raw.close()


# A generated benchmark database, not the service's: skip the fsyncs and give the random
# UUID index of `events` a page cache big enough to stay in memory (2 GB). The engine is
# disposed after loading, so the measurement runs on the service's own connection settings.
BULK_PRAGMAS = ("PRAGMA synchronous = OFF", "PRAGMA cache_size = -2000000")


def _sqlite_value(value: Any) -> Any:
    """Store values as the application's column types do on SQLite."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dt.datetime):  # UTCDateTime: naive UTC text
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):  # sqlalchemy Uuid on SQLite: 32 hex characters
        return value.hex
    return json.dumps(value, ensure_ascii=False)
