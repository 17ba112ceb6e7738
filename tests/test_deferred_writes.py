"""Deferred writes: on PostgreSQL a request's trailing writes reach the server as one statement.

`Prepared.defer` queues a write whose answer nobody reads; the queue goes out just before the
connection's next statement (in front of it, as part of it, when that is a write too) or its
commit, and is dropped by a rollback. On SQLite `defer` runs the write at once. Either way a
request must see, store and lose exactly what it would with plain statements.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.extensions import db
from app.fastsql import Prepared, PreparedQuery
from app.traceability.events import cylinder_events, record_event, verify_events
from app.traceability.services import find_cylinder
from tests.db_helpers import count_statements, scratch_tables

META = MetaData()
PARENTS = Table("deferred_parents", META, Column("id", Integer, primary_key=True),
                Column("label", String(40), unique=True))
CHILDREN = Table("deferred_children", META, Column("id", Integer, primary_key=True),
                 Column("parent_id", ForeignKey("deferred_parents.id"), nullable=False),
                 Column("note", String(40)))
ADD_PARENT = Prepared(insert(PARENTS))
RENAME_PARENT = Prepared(update(PARENTS).where(PARENTS.c.id == bindparam("b_id")))
ADD_CHILD = Prepared(insert(CHILDREN))
ADD_CHILD_RETURNING = Prepared(insert(CHILDREN).returning(CHILDREN.c.id))
NOTE_IF = Prepared(update(CHILDREN).where(CHILDREN.c.id == bindparam("b_id"),
                                          CHILDREN.c.note == bindparam("b_note")))
LABEL_OF = PreparedQuery(select(PARENTS.c.label).where(PARENTS.c.id == bindparam("b_id")))


@pytest.fixture
def tables(ctx):
    yield from scratch_tables(META)


def batching() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_deferred_writes_go_out_as_one_statement_before_the_next_read(tables):
    conn = tables.connection()
    sent: list[str] = []
    with count_statements(sent):
        ADD_PARENT.defer(conn, {"id": 1, "label": "甲站"})
        ADD_CHILD.defer(conn, {"id": 10, "parent_id": 1, "note": "first"})  # with its parent
        assert len(sent) == (0 if batching() else 2)
        rows = conn.execute(select(CHILDREN.c.id, PARENTS.c.label).join(PARENTS)).all()
    assert rows == [(10, "甲站")]
    if batching():
        assert len(sent) == 2 and sent[0].startswith("WITH w0 AS (INSERT INTO deferred_parents")
    else:
        assert len(sent) == 3


def test_a_prepared_query_sees_the_deferred_writes(tables):
    conn = tables.connection()
    ADD_PARENT.defer(conn, {"id": 1, "label": "first"})
    RENAME_PARENT.defer(conn, {"b_id": 1, "label": "renamed"})  # one table twice: in order
    assert LABEL_OF.first(conn, {"b_id": 1}) == {"label": "renamed"}


def test_a_write_that_needs_its_answer_takes_the_queue_along(tables):
    conn = tables.connection()
    ADD_PARENT.defer(conn, {"id": 1, "label": "first"})
    sent: list[str] = []
    with count_statements(sent):
        child_id = ADD_CHILD_RETURNING.execute(conn, {"parent_id": 1, "note": "n"}).fetchone()[0]
    assert len(sent) == 1  # on PostgreSQL the parent's INSERT is a part of it
    ADD_PARENT.defer(conn, {"id": 2, "label": "second"})
    assert NOTE_IF.execute(conn, {"b_id": child_id, "b_note": "n", "note": "m"}).rowcount == 1
    ADD_PARENT.defer(conn, {"id": 3, "label": "third"})
    assert NOTE_IF.execute(conn, {"b_id": child_id, "b_note": "n", "note": "x"}).rowcount == 0
    labels = conn.execute(select(PARENTS.c.label).order_by(PARENTS.c.id)).scalars().all()
    assert labels == ["first", "second", "third"]
    assert conn.execute(select(CHILDREN.c.note)).scalar_one() == "m"


def test_a_literal_percent_sign_survives_the_renamed_parameters(tables):
    mark = Prepared(update(PARENTS).where(PARENTS.c.id == bindparam("b_id"))
                    .values(label=PARENTS.c.label.concat(literal_column("'%(id)s%'"))))
    conn = tables.connection()
    ADD_PARENT.execute(conn, {"id": 1, "label": "a"})
    mark.defer(conn, {"b_id": 1})
    ADD_CHILD.defer(conn, {"id": 3, "parent_id": 1, "note": "n"})
    assert LABEL_OF.first(conn, {"b_id": 1}) == {"label": "a%(id)s%"}


def test_a_write_with_its_own_with_clause_is_not_made_a_part(tables):
    if not batching():
        pytest.skip("SQLite has no data-modifying WITH")
    moved = (update(PARENTS).where(PARENTS.c.id == bindparam("b_id"))
             .values(label=bindparam("new_label")).returning(PARENTS.c.id).cte("moved"))
    move_and_note = Prepared(insert(CHILDREN).from_select(
        [CHILDREN.c.parent_id, CHILDREN.c.note],
        select(moved.c.id, literal_column("'moved'"))), named=True)
    conn = tables.connection()
    ADD_PARENT.execute(conn, {"id": 1, "label": "a"})
    move_and_note.defer(conn, {"b_id": 1, "new_label": "b"})
    ADD_PARENT.defer(conn, {"id": 2, "label": "after"})  # another table: would join it
    notes = conn.execute(select(CHILDREN.c.note)).scalars().all()
    assert notes == ["moved"]
    labels = conn.execute(select(PARENTS.c.label).order_by(PARENTS.c.id)).scalars().all()
    assert labels == ["b", "after"]


def test_the_commit_sends_them(tables):
    ADD_PARENT.defer(tables.connection(), {"id": 1, "label": "kept"})
    ADD_CHILD.defer(tables.connection(), {"id": 5, "parent_id": 1, "note": "kept too"})
    tables.commit()
    with db.engine.connect() as other:
        assert other.execute(select(CHILDREN.c.note)).scalar_one() == "kept too"


def test_a_failing_deferred_write_fails_the_commit_and_keeps_nothing(tables):
    conn = tables.connection()
    with pytest.raises(IntegrityError):  # at the commit on PostgreSQL, at once on SQLite
        ADD_PARENT.defer(conn, {"id": 1, "label": "same"})
        ADD_CHILD.defer(conn, {"id": 7, "parent_id": 1, "note": "with it"})
        ADD_PARENT.defer(conn, {"id": 2, "label": "same"})
        tables.commit()
    tables.rollback()
    with db.engine.connect() as other:
        assert other.execute(select(PARENTS.c.id)).first() is None
        assert other.execute(select(CHILDREN.c.id)).first() is None
    ADD_PARENT.defer(tables.connection(), {"id": 3, "label": "next"})  # the session goes on
    tables.commit()
    assert tables.execute(select(PARENTS.c.label)).scalars().all() == ["next"]


def test_a_rollback_drops_them(tables):
    with db.engine.connect() as conn:  # one connection: its next transaction must not send them
        trans = conn.begin()
        ADD_PARENT.defer(conn, {"id": 1, "label": "dropped"})
        trans.rollback()
        sent: list[str] = []
        with count_statements(sent):
            assert conn.execute(select(PARENTS.c.id)).first() is None
            conn.commit()
    assert not any("INSERT" in s.upper() for s in sent)


def test_an_append_on_a_moved_chain_stores_nothing_then_appends_under_the_lock(registry, world,
                                                                               ctx):
    """The chain head's guard and the event's INSERT are one statement on PostgreSQL: when the
    head moved, the event must not be stored by it (the locked retry stores it once)."""
    code = registry.cylinder()["code"]
    db.session.remove()
    cyl = find_cylinder(code)
    actor = db.session.get(User, world.filler_a.id)
    before = cyl.event_count
    assert before >= 1
    set_committed_value(cyl, "event_count", before - 1)  # as read before another append
    set_committed_value(cyl, "chain_head", cylinder_events(cyl.id)[-2].hash
                        if before > 1 else None)
    sent: list[str] = []
    with count_statements(sent):
        rec = record_event(cyl, "inspected", actor,
                           occurred_at=dt.datetime.now(dt.UTC), data={"n": 1})
    db.session.commit()
    assert rec.created and rec.event.seq == before + 1
    rereads = [s for s in sent if s.lstrip().upper().startswith("SELECT")
               and "FROM CYLINDERS" in s.upper()]
    assert rereads  # the guard failed: the cylinder was locked and read again
    db.session.remove()
    cyl = find_cylinder(code)
    events = cylinder_events(cyl.id)
    assert [e.seq for e in events] == list(range(1, before + 2))
    assert verify_events(cyl, events).ok
