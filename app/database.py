"""Database plumbing: column types, SQLite tuning and the per-request transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import JSON, DateTime, event, make_url
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.types import TypeDecorator

from app.errors import OUT_OF_RANGE, APIError, is_bad_value, respond
from app.extensions import db
from app.fastsql import batch_writes
from app.sqlite import begin_writing, configure_sqlite, engine_options

JSONType = JSON().with_variant(JSONB(), "postgresql")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store aware datetimes as UTC and always hand back aware UTC values (SQLite drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware values")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def reads_first(view: F) -> F:
    """Let a writing view read before it queues for SQLite's write lock (see end_read_phase)."""
    view._reads_first = True  # type: ignore[attr-defined]
    return view


def end_read_phase() -> None:
    """End a reads-first view's read phase; its writes then take the write lock.

    On SQLite this keeps a request's reads (token, lookups) out of the one-writer-at-a-time
    section: they ran on their own, outside any transaction, and the same connection
    begins the write transaction in the writers' queue when it runs its next statement.
    The work in between (building the event and its hash) is done before the turn, not
    while every other writer waits. What the writes depend on must be re-read (or guarded)
    under the lock. Elsewhere it does nothing: the request stays one transaction.
    """
    if not has_request_context() or g.get("write_phase"):
        return
    g.write_phase = True
    session = db.session()
    if db.engine.dialect.name != "sqlite" or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_phase() after a write: nothing may be written before it")
    raw = session.connection().connection.dbapi_connection
    if not raw.in_transaction:
        g.write_turn_due = raw  # taken by the next statement (take_write_turn)
        return
    keep = session.expire_on_commit  # a read transaction was open: end it, the next queues
    session.expire_on_commit = False  # what was read stays usable without reloading
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def take_write_turn(conn: Any, *_args: Any) -> None:
    """Before a reads-first request's first statement after its read phase: queue, BEGIN."""
    if has_request_context() and g.get("write_turn_due") is conn.connection.dbapi_connection:
        g.write_turn_due = None
        begin_writing(conn)


def writes(view: F) -> F:
    """Mark a GET view that records something (e.g. a download logged as a print job).

    On SQLite such a request must take the write lock at BEGIN like a POST; a read
    transaction that later writes fails at once ("database is locked") when another
    writer committed in between, instead of waiting its turn.
    """
    view._writes = True  # type: ignore[attr-defined]
    return view


def _begin_mode() -> str:
    """How a SQLite transaction of this request begins (see app/sqlite.configure_sqlite).

    Writing requests take the write lock at BEGIN; reads-first ones read without a
    transaction and take it in end_read_phase; reading requests BEGIN a read transaction.
    """
    if not has_request_context():
        return "read"
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method in SAFE_METHODS:
        return "write" if getattr(view, "_writes", False) else "read"
    if g.get("write_phase"):
        return "write"
    return "none" if getattr(view, "_reads_first", False) else "write"


def _commit() -> tuple[int, str, str] | None:
    """Commit the request's session; on failure roll back and say what to answer."""
    session = db.session()
    # The session ends with the request (remove_session): expiring every object it holds
    # at this commit would only cost time. Later after_request hooks see committed values.
    if not (session.in_transaction() or session.new or session.dirty or session.deleted):
        return None  # committed already (commit_now), or nothing was done
    session.expire_on_commit = False
    try:
        session.commit()
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        current_app.logger.warning("commit failed: %s", exc)
        if isinstance(exc, IntegrityError):
            return 409, "conflict", "The change conflicted with another one; nothing was saved."
        return 503, "database_busy", "The database is busy; retry the request."
    except (StatementError, OverflowError) as exc:
        # a value the database refuses only now, at the flush of the request's commit (e.g. a
        # NUL in PostgreSQL text): bad input, as when a service's own flush meets it
        if not is_bad_value(exc):
            raise
        db.session.rollback()
        current_app.logger.info("commit refused a value: %s", exc)
        return 400, *OUT_OF_RANGE
    return None


def commit_now() -> None:
    """Commit a writing view's work before its answer is rendered.

    The write lock (SQLite) and the rows' locks (PostgreSQL) are then not held while the
    answer is built and the after-request hooks run. A request that keeps its answer under
    an Idempotency-Key writes that record after rendering, in the same transaction, so it
    commits at the end as usual.
    """
    if g.get("idempotency_key") or g.get("rollback_only"):
        return
    failed = _commit()
    if failed is not None:
        status, code, message = failed
        raise APIError(message, code=code, status=status)


def init_db(app: Flask) -> None:
    """Bind the database and commit once per request at the boundary."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, **engine_options(url)}
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, _begin_mode)
            event.listen(db.engine, "before_cursor_execute", take_write_turn)
        else:
            batch_writes(db.engine)

    @app.after_request
    def commit_request(response: Response) -> Response:
        if response.status_code >= 500 or g.get("rollback_only"):
            db.session.rollback()
            return response
        failed = _commit()
        if failed is None:
            return response
        status, code, message = failed
        return respond(status, code, message)

    @app.teardown_request
    def remove_session(_exc: BaseException | None) -> None:
        db.session.remove()
