"""Prepared writes and reads on the driver's cursor, and rows put into the session as loaded.

Both are the interlock's shortcuts around SQLAlchemy's per-statement and per-object
bookkeeping; these tests hold them to what SQLAlchemy itself would have stored and loaded,
on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from app.auth.models import Organisation
from app.database import JSONType, UTCDateTime
from app.extensions import db
from app.fastsql import Prepared, PreparedQuery
from app.loaded import as_loaded
from tests.db_helpers import scratch_tables

META = MetaData()
SAMPLES = Table(
    "fastsql_samples", META,
    Column("id", Integer, primary_key=True),
    Column("ref", Uuid, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("on", Date),
    Column("data", JSONType),
    Column("mass", Float),
    Column("ok", Boolean),
    Column("label", String(40)),
    Column("stamp", String(40), default="python-side"),
)
GUARDED = Prepared(update(SAMPLES).where(SAMPLES.c.id == bindparam("b_id"),
                                         SAMPLES.c.label == bindparam("b_label")))
ADD = Prepared(insert(SAMPLES).returning(SAMPLES.c.id))


@pytest.fixture
def samples(ctx):
    yield from scratch_tables(META)


def _values(**changes):
    values = {"ref": uuid.uuid4(), "at": dt.datetime(2026, 6, 15, 8, 30, 1, 250000,
                                                         tzinfo=dt.timezone(dt.timedelta(hours=8))),
              "on": dt.date(2026, 6, 15), "data": {"reasons": ["not_owned"], "名": "站"},
              "mass": 14.5, "ok": True, "label": "first", "stamp": "given"}
    return {**values, **changes}


def test_a_prepared_insert_stores_what_sqlalchemy_reads_back(samples):
    values = _values()
    new_id = ADD.execute(samples.connection(), values).fetchone()[0]
    row = samples.connection().execute(select(SAMPLES).where(SAMPLES.c.id == new_id)).one()
    assert row.ref == values["ref"]
    assert row.at == values["at"] and row.at.utcoffset() == dt.timedelta(0)
    assert (row.on, row.data, row.mass, row.ok, row.label) == (
        values["on"], values["data"], values["mass"], True, "first")


def test_nulls_and_a_second_set_of_columns(samples):
    first = ADD.execute(samples.connection(), _values(data=None, mass=None, ok=None)).fetchone()[0]
    second = ADD.execute(samples.connection(), _values(label="second")).fetchone()[0]
    assert second == first + 1
    rows = samples.connection().execute(select(SAMPLES).order_by(SAMPLES.c.id)).all()
    assert (rows[0].data, rows[0].mass, rows[0].ok) == (None, None, None)
    assert rows[1].label == "second"


def test_a_guarded_update_moves_one_row_then_none(samples):
    conn = samples.connection()
    new_id = ADD.execute(conn, _values()).fetchone()[0]
    moved = GUARDED.execute(conn, {"b_id": new_id, "b_label": "first", "label": "moved"})
    assert moved.rowcount == 1
    stale = GUARDED.execute(conn, {"b_id": new_id, "b_label": "first", "label": "again"})
    assert stale.rowcount == 0
    assert conn.execute(select(SAMPLES.c.label)).scalar_one() == "moved"


def test_the_writes_belong_to_the_session_transaction(samples):
    ADD.execute(samples.connection(), _values())
    samples.rollback()
    assert samples.connection().execute(select(SAMPLES.c.id)).first() is None


def test_driver_errors_come_out_as_sqlalchemy_errors(samples):
    conn = samples.connection()
    new_id = ADD.execute(conn, _values()).fetchone()[0]
    with pytest.raises(IntegrityError):  # what the request's commit turns into a 409
        ADD.execute(conn, _values(id=new_id))


def test_a_column_with_a_python_default_must_be_given(samples):
    values = _values()
    del values["stamp"]
    with pytest.raises(ValueError, match="stamp"):
        ADD.execute(samples.connection(), values)


def test_statement_listeners_see_prepared_statements(samples):
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    conn = samples.connection()  # BEGIN first
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        ADD.execute(conn, _values())
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT INTO FASTSQL_SAMPLES")


def test_as_loaded_builds_a_clean_persistent_object(ctx):
    org = Organisation(name="甲站", kind="station")
    db.session.add(org)
    db.session.commit()
    values = {c.key: getattr(org, c.key) for c in Organisation.__table__.columns}
    org_id = org.id
    db.session.expunge_all()
    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        loaded = as_loaded(Organisation, values)
        assert inspect(loaded).persistent
        assert (loaded.id, loaded.name, loaded.kind) == (org_id, "甲站", "station")
        assert not db.session.dirty
        db.session.flush()
        assert statements == []  # nothing to write back
        assert db.session.get(Organisation, org_id) is loaded
        assert as_loaded(Organisation, {**values, "name": "other"}) is loaded  # the session's own
        assert loaded.name == "甲站"
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_a_prepared_query_reads_what_sqlalchemy_reads(samples):
    full = ADD.execute(samples.connection(), _values()).fetchone()[0]
    empty = ADD.execute(samples.connection(), _values(
        on=None, data=None, mass=None, ok=None, label=None)).fetchone()[0]
    query = select(SAMPLES, (SAMPLES.c.mass * 2).label("double"),
                   (SAMPLES.c.label == "first").label("is_first")).where(
        SAMPLES.c.id == bindparam("wanted"))
    prepared = PreparedQuery(query)
    for wanted in (full, empty, full):  # the second read of a row uses the kept processors
        expected = dict(samples.connection().execute(query, {"wanted": wanted}).one()._mapping)
        got = prepared.first(samples.connection(), {"wanted": wanted})
        assert got == expected
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in expected.items()}
    assert got["at"].utcoffset() == dt.timedelta(0) and got["is_first"] is True
    assert prepared.first(samples.connection(), {"wanted": -1}) is None


def test_listeners_see_prepared_queries(samples):
    seen = []
    query = PreparedQuery(select(SAMPLES.c.id).where(SAMPLES.c.id == bindparam("wanted")))
    conn = samples.connection()  # its BEGIN (SQLite) goes before the listener

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert query.first(conn, {"wanted": 1}) is None
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) == 1 and seen[0].startswith("SELECT")
