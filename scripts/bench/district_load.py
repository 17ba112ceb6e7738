"""Write generated chunks fast: COPY on PostgreSQL, executemany on SQLite."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, Table

from app.extensions import db

ORDER = ("codes", "cylinders", "events", "cylinder_traces", "cylinder_parties", "flags")


def _table(name: str) -> Table:
    return db.metadata.tables[name]


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
    with engine.begin() as conn:
        for name in ORDER:
            if rows[name]:
                conn.execute(_table(name).insert(), rows[name])
