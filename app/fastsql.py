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
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
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

    def __init__(self, statement: UpdateBase) -> None:
        self.statement = statement
        self._cache: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def _compile(self, dialect: Dialect, columns: frozenset[str]) -> _Compiled:
        found = _compile(self.statement, dialect, column_keys=sorted(columns))
        compiled = found.compiled
        if compiled.insert_prefetch or compiled.update_prefetch:
            missing = [c.key for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
            raise ValueError(f"give every column a value (Python defaults not run): {missing}")
        self._cache[(dialect.name, columns)] = found
        return found

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """Run with these values in the connection's transaction; return the driver cursor."""
        dialect = conn.dialect
        columns = frozenset(values)
        found = self._cache.get((dialect.name, columns)) or self._compile(dialect, columns)
        return _run(conn, found, values)


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


def _run(conn: Connection, found: _Compiled, values: Mapping[str, Any]) -> Any:
    """Bind the values through SQLAlchemy's processors and execute on the driver's cursor."""
    params = found.compiled.construct_params(values, _check=False)
    for name, process in found.processors.items():
        if name in params:
            params[name] = process(params[name])
    bound: Any = tuple(params[n] for n in found.names) if found.names is not None else params
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for listener in _listeners(conn):
        listener(conn, cursor, found.sql, bound, None, False)
    try:
        cursor.execute(found.sql, bound)
    except Exception as exc:
        # As Connection.execute would: raise sqlalchemy.exc.IntegrityError and kin (the
        # request's commit turns them into 409/503), invalidate a lost connection.
        conn._handle_dbapi_exception(exc, found.sql, bound, cursor, None)
    return cursor


def run_sql(conn: Connection, sql: str) -> Any:
    """Run a statement without parameters (BEGIN IMMEDIATE) on the driver's cursor."""
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
