"""Run prepared Core write statements straight on the driver's cursor: the interlock's hot path.

An allowed fill writes five rows (chain head, event, custody, trace, fill). Through
`Connection.execute` each statement costs about 25 microseconds of SQLAlchemy bookkeeping
around a 3 microsecond SQLite call; on a 2-core server that bookkeeping is a tenth of the
interlock's CPU. A `Prepared` statement is compiled once per dialect and set of columns by
SQLAlchemy itself (so the SQL, the bind types and their processors stay SQLAlchemy's), then
each call only binds values and calls the driver, inside the session's transaction.

`PreparedQuery` does the same for the interlock's one read: its first row comes back as a dict
through SQLAlchemy's own result processors, without Result and Row objects, and without the
cursor description that psycopg builds afresh, column by column, for each execution.
Listeners of `before_cursor_execute` (the statement-count tests) still see every statement,
and driver errors come out as SQLAlchemy's exceptions, as from `Connection.execute`.

`Prepared.defer` is for the writes whose result nobody reads (the trace, the custody move,
the fill). On PostgreSQL, where every statement is a round trip that costs
about 60 microseconds of the worker's CPU and 40 of the server's, the writes deferred in a row
go to the server as one statement (each a data-modifying `WITH` part), just before the
connection's next statement or its commit; with a next write that needs its answer (a guarded
UPDATE's row count, an INSERT's RETURNING), they ride along in front of it. On SQLite a
statement costs a few microseconds: `defer` runs it at once.
"""
from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # bind order for positional drivers (SQLite), else None
    processors: Mapping[str, Any]
    compiled: Any


class Prepared:
    """A Core INSERT/UPDATE/DELETE compiled once per dialect and per set of value columns."""

    def __init__(self, statement: UpdateBase, *, named: bool = False) -> None:
        """`named`: the statement names all its parameters (an INSERT from a SELECT of
        bind parameters); the values' keys then do not pick the columns to write."""
        self.statement = statement
        self.table: str = statement.table.name  # type: ignore[attr-defined]
        self._named = named
        self._cache: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def _compile(self, dialect: Dialect, columns: frozenset[str]) -> _Compiled:
        keys = {} if self._named else {"column_keys": sorted(columns)}
        found = _compile(self.statement, dialect, **keys)
        compiled = found.compiled
        if compiled.insert_prefetch or compiled.update_prefetch:
            missing = [c.key for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
            raise ValueError(f"give every column a value (Python defaults not run): {missing}")
        self._cache[(dialect.name, columns)] = found
        return found

    def _found(self, dialect: Dialect, values: Mapping[str, Any]) -> _Compiled:
        columns = frozenset(values)
        return self._cache.get((dialect.name, columns)) or self._compile(dialect, columns)

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """Run with these values in the connection's transaction; return the driver cursor."""
        found = self._found(conn.dialect, values)
        queued = _QUEUES.get(conn) if _QUEUES else None
        if queued:  # deferred writes go first, in the same statement unless they share a table
            if any(write.table == self.table for write in queued):
                _flush(conn)
            else:
                return _flush(conn, _Write(self.table, found, _bind(found, values)))
        return _run(conn, found, values)

    def defer(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """Run with these values before the connection's next statement or commit.

        For writes whose row count and result nobody reads. Where the engine batches
        (`batch_writes`, PostgreSQL) they join the connection's queue; elsewhere they run now.
        """
        if conn.engine not in _BATCHING:
            _run(conn, self._found(conn.dialect, values), values)
            return
        found = self._found(conn.dialect, values)
        if found.sql.startswith("WITH "):  # its parts must stay at the top level: not a part
            self.execute(conn, values)
            return
        queued = _QUEUES.setdefault(conn, [])
        if any(write.table == self.table for write in queued):
            _flush(conn)  # one statement changes a table once: its parts see the same snapshot
            queued = _QUEUES.setdefault(conn, [])
        queued.append(_Write(self.table, found, _bind(found, values)))


class PreparedQuery:
    """A Core SELECT compiled once per dialect; its first row read straight from the driver."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._cache: dict[str, _Compiled] = {}
        # Per dialect: the row's labels and result processors, made from the first execution's
        # column types (SQLAlchemy's PostgreSQL numbers need the type the server reports).
        self._results: dict[str, tuple[tuple[str, ...], tuple[Any, ...]]] = {}

    def _result_shape(self, dialect: Dialect, found: _Compiled,
                      cursor: Any) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        columns = found.compiled._result_columns
        keys = tuple(column.keyname for column in columns)
        processors = tuple(column.type._cached_result_processor(dialect, described[1])
                           for column, described in zip(columns, cursor.description,
                                                        strict=True))
        self._results[dialect.name] = (keys, processors)
        return keys, processors

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row as {label: value}, values as SQLAlchemy would return them; or None."""
        dialect = conn.dialect
        found = self._cache.get(dialect.name)
        if found is None:
            found = self._cache[dialect.name] = _compile(self.statement, dialect)
        cursor = _run(conn, found, values)
        try:
            keys, processors = (self._results.get(dialect.name)
                                or self._result_shape(dialect, found, cursor))
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return {key: process(value) if process is not None and value is not None else value
                for key, process, value in zip(keys, processors, row, strict=True)}


def _compile(statement: Any, dialect: Dialect, **kw: Any) -> _Compiled:
    """Compile with SQLAlchemy; keep the SQL, the bind order and the bind processors."""
    compiled = statement.compile(dialect=dialect, **kw)
    if compiled.post_compile_params:
        raise ValueError("expanding parameters are not supported")
    names = tuple(compiled.positiontup or ()) if compiled.positional else None
    return _Compiled(compiled.string, names, dict(compiled._bind_processors), compiled)


def _bind(found: _Compiled, values: Mapping[str, Any]) -> Any:
    """The driver's parameters: values through SQLAlchemy's bind processors, in its order."""
    params = found.compiled.construct_params(values, _check=False)
    for name, process in found.processors.items():
        if name in params:
            params[name] = process(params[name])
    return tuple(params[n] for n in found.names) if found.names is not None else params


def _run(conn: Connection, found: _Compiled, values: Mapping[str, Any]) -> Any:
    """Bind the values through SQLAlchemy's processors and execute on the driver's cursor."""
    if _QUEUES and _QUEUES.get(conn):
        _flush(conn)  # a read (or a write that cannot ride along) sees the deferred writes
    return _execute(conn, found.sql, _bind(found, values))


def _execute(conn: Connection, sql: str, bound: Any) -> Any:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for listener in _listeners(conn):
        listener(conn, cursor, sql, bound, None, False)
    try:
        cursor.execute(sql, bound)
    except Exception as exc:
        # As Connection.execute would: raise sqlalchemy.exc.IntegrityError and kin (the
        # request's commit turns them into 409/503), invalidate a lost connection.
        conn._handle_dbapi_exception(exc, sql, bound, cursor, None)
    return cursor


# --- deferred writes (PostgreSQL) ----------------------------------------------------------

@dataclass(frozen=True)
class _Write:
    table: str
    found: _Compiled
    params: dict[str, Any]


# Per SQLAlchemy Connection (one per session transaction): writes not yet sent.
_QUEUES: weakref.WeakKeyDictionary[Connection, list[_Write]] = weakref.WeakKeyDictionary()
_BATCHING: weakref.WeakSet[Engine] = weakref.WeakSet()
_COMBINED: dict[tuple[int, ...], str] = {}
_PARAM = re.compile(r"%%|%\(([^)]+)\)s")  # an escaped percent, or a named parameter


def batch_writes(engine: Engine) -> None:
    """Let `Prepared.defer` queue on this engine's connections (pyformat drivers: psycopg)."""
    if engine.dialect.paramstyle != "pyformat" or engine in _BATCHING:
        return
    _BATCHING.add(engine)
    event.listen(engine, "before_cursor_execute", _send_queued)
    event.listen(engine, "commit", _send_queued)
    event.listen(engine, "rollback", _discard)


def _send_queued(conn: Connection, *_args: Any) -> None:
    if _QUEUES and _QUEUES.get(conn):
        _flush(conn)


def _discard(conn: Connection) -> None:
    _QUEUES.pop(conn, None)  # the transaction's writes are rolled back: nothing to send


def _flush(conn: Connection, primary: _Write | None = None) -> Any:
    """Send the queued writes, and `primary` last, as one statement; return its cursor."""
    writes = _QUEUES.pop(conn, None) or []
    if primary is not None:
        writes.append(primary)
    if not writes:
        return None
    if len(writes) == 1:
        return _execute(conn, writes[0].found.sql, writes[0].params)
    key = tuple(write.found.sql for write in writes)
    sql = _COMBINED.get(key) or _combine(key, writes)
    params = {f"w{n}_{name}": value for n, write in enumerate(writes)
              for name, value in write.params.items()}
    return _execute(conn, sql, params)


def _renamed(sql: str, prefix: str) -> str:
    return _PARAM.sub(lambda m: f"%({prefix}{m.group(1)})s" if m.group(1) else "%%", sql)


def _combine(key: tuple[str, ...], writes: list[_Write]) -> str:
    """WITH w0 AS (write), w1 AS (write) ... last write: each part's parameters renamed."""
    parts = [_renamed(write.found.sql, f"w{n}_") for n, write in enumerate(writes)]
    sql = "WITH " + ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts[:-1]))
    last = parts[-1]
    # a last write with its own WITH (the chain append) joins its parts to ours
    sql += ", " + last[5:] if last.startswith("WITH ") else " " + last
    if len(_COMBINED) > 256:  # a handful of shapes in practice; bounded all the same
        _COMBINED.clear()
    _COMBINED[key] = sql
    return sql


def run_sql(conn: Connection, sql: str) -> Any:
    """Run a statement without parameters (BEGIN IMMEDIATE) on the driver's cursor."""
    if _QUEUES and _QUEUES.get(conn):
        _flush(conn)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for listener in _listeners(conn):
        listener(conn, cursor, sql, (), None, False)
    try:
        cursor.execute(sql)
    except Exception as exc:
        conn._handle_dbapi_exception(exc, sql, (), cursor, None)
    return cursor


def _listeners(conn: Connection) -> Iterable[Any]:
    if not (conn._has_events or conn.engine._has_events):
        return ()
    return conn.dispatch.before_cursor_execute
