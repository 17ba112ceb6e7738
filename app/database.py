"""Database plumbing: column types, SQLite tuning and the per-request transaction."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import JSON, DateTime, Engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.types import TypeDecorator

from app.errors import error_body
from app.extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
V = TypeVar("V", bound=Callable[..., Any])


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


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; writing requests take the lock up front so they queue.

    A deferred transaction that reads and then writes fails at once if another writer
    committed in between; taking the write lock at BEGIN makes concurrent writing requests
    wait their turn instead (busy_timeout) and keeps each request's reads consistent.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _request_writes() else "BEGIN")


def writes(view: V) -> V:
    """Mark a GET view that records something (e.g. a download logged as a print job).

    On SQLite such a request must take the write lock at BEGIN like a POST; a read
    transaction that later writes fails at once ("database is locked") when another
    writer committed in between, instead of waiting its turn.
    """
    view._writes = True  # type: ignore[attr-defined]
    return view


def _request_writes() -> bool:
    if not has_request_context():
        return False
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "_writes", False))


def init_db(app: Flask) -> None:
    """Bind the database and commit once per request at the boundary."""
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)

    @app.after_request
    def commit_request(response: Response) -> Response:
        if response.status_code >= 500 or g.get("rollback_only"):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            app.logger.warning("commit failed: %s", exc)
            status = 409 if isinstance(exc, IntegrityError) else 503
            code = "conflict" if status == 409 else "database_busy"
            body = error_body(code, "The change conflicted with another one; nothing was saved."
                              if status == 409 else "The database is busy; retry the request.")
            return Response(json.dumps(body), status=status, mimetype="application/json")
        return response

    @app.teardown_request
    def remove_session(_exc: BaseException | None) -> None:
        db.session.remove()
