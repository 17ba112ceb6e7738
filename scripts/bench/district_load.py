"""Write generated chunks fast: COPY on PostgreSQL, executemany on SQLite."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import Engine

ORDER = ("codes", "cylinders", "events", "cylinder_traces", "cylinder_parties", "flags")


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_chunk(engine: Engine, chunk: Any) -> None:
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
