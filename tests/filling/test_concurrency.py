"""Many stations at once: every fill recorded once, every chain intact, no busy errors."""
from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import event, func, make_url, select

from app.extensions import db
from app.filling import services
from app.filling.models import Fill, FillRefusal
from app.sqlite import QueuedConnection, queue_path


def _post(app, token: str, body: dict):
    with app.app_context():
        return app.test_client().post("/api/v1/fillings", json=body,
                                      headers={"Authorization": f"Bearer {token}"})


def test_concurrent_stations_record_every_fill_once(registry, world, api, clean_app):
    codes = [registry.cylinder(owner="station_a")["code"] for _ in range(3)]
    strangers = [registry.cylinder(owner="station_b")["code"] for _ in range(2)]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def station(worker: int) -> None:
        for n in range(12):
            code = (codes + strangers)[(worker + n) % 5]
            resp = _post(clean_app, world.filler_a.token, {"code": code})
            with lock:
                statuses[resp.status_code] += 1

    threads = [threading.Thread(target=station, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert set(statuses) <= {201, 409}, statuses
    assert db.session.scalar(select(func.count()).select_from(Fill)) == statuses[201]
    assert db.session.scalar(select(func.count()).select_from(FillRefusal)) == statuses[409]
    for code in codes + strangers:
        history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
        assert history["chain_ok"] is True, history["chain_problems"]


def test_the_interlock_reads_while_another_request_writes(registry, world, clean_app,
                                                          monkeypatch):
    if clean_app.config["BACKEND"] != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    code = registry.cylinder(owner="station_a")["code"]
    looked_up = threading.Event()
    original = services.lookup

    def spy(*args, **kwargs):
        found = original(*args, **kwargs)
        looked_up.set()
        return found

    monkeypatch.setattr(services, "lookup", spy)
    path = make_url(clean_app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(path, factory=QueuedConnection, isolation_level=None,
                             check_same_thread=False)
    writer.open_queue(queue_path(path))
    writer.wait_for_turn()
    writer.execute("BEGIN IMMEDIATE")
    answers = []
    request = threading.Thread(target=lambda: answers.append(
        _post(clean_app, world.filler_a.token, {"code": code})))
    try:
        request.start()
        assert looked_up.wait(10), "the read phase waited for the other writer"
        time.sleep(0.2)
        assert answers == []  # its writes wait their turn
    finally:
        writer.rollback()
        writer.close()
    request.join(20)
    assert answers and answers[0].status_code == 201


def test_the_reads_hold_no_transaction_and_the_writes_queue_on_the_same_connection(
        registry, world, clean_app):
    if clean_app.config["BACKEND"] != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    code = registry.cylinder(owner="station_a")["code"]
    seen: list[tuple[int, bool, str]] = []

    def record(conn, _cursor, statement, *_args):
        raw = conn.connection.dbapi_connection
        seen.append((id(raw), raw.in_transaction, " ".join(statement.split()[:2]).upper()))

    with clean_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert _post(clean_app, world.filler_a.token, {"code": code}).status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", record)
    kinds = [kind for _, _, kind in seen]
    assert kinds.count("BEGIN IMMEDIATE") == 1 and "BEGIN" not in kinds, kinds
    begin = kinds.index("BEGIN IMMEDIATE")
    reads, writes = seen[:begin], seen[begin + 1:]
    assert reads and all(kind.startswith("SELECT") and not open_ for _, open_, kind in reads)
    assert writes and all(open_ for _, open_, _ in writes)
    assert len({conn for conn, _, _ in seen}) == 1, "the write phase took another connection"


def test_the_event_is_built_before_the_writer_turn_is_taken(registry, world, clean_app,
                                                            monkeypatch):
    """The read phase ends at the first statement after it, not at end_read_phase: the
    event and its hash are made while other writers still write."""
    if clean_app.config["BACKEND"] != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    from app.traceability import events

    code = registry.cylinder(owner="station_a")["code"]
    turns: list[tuple[bool, bool]] = []
    original = events.event_hash

    def spy(*args, **kwargs):
        raw = db.session.connection().connection.dbapi_connection
        turns.append((raw.holds_turn, raw.in_transaction))
        return original(*args, **kwargs)

    monkeypatch.setattr(events, "event_hash", spy)
    assert _post(clean_app, world.filler_a.token, {"code": code}).status_code == 201
    assert turns == [(False, False)], "the event was hashed inside the writer turn"


def _fills_seen_from_outside(app) -> int:
    """Fills committed, counted on a connection of its own (not the request's)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    outside = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with outside.connect() as conn:
            return conn.execute(select(func.count()).select_from(Fill.__table__)).scalar_one()
    finally:
        outside.dispose()


def _fills_when_rendered(app, monkeypatch) -> list[int]:
    """Fills committed at the moment each answer is rendered (filled in as requests run)."""
    from app.filling import api as filling_api

    seen: list[int] = []
    original = filling_api.outcome_dict

    def spy(outcome):
        seen.append(_fills_seen_from_outside(app))
        return original(outcome)

    monkeypatch.setattr(filling_api, "outcome_dict", spy)
    return seen


def test_the_fill_is_committed_before_the_answer_is_rendered(registry, world, clean_app,
                                                             monkeypatch):
    code = registry.cylinder(owner="station_a")["code"]
    seen = _fills_when_rendered(clean_app, monkeypatch)
    assert _post(clean_app, world.filler_a.token, {"code": code}).status_code == 201
    assert seen == [1]  # no lock is held while the answer is built


def test_with_an_idempotency_key_the_fill_and_the_stored_answer_commit_together(
        registry, world, clean_app, monkeypatch):
    code = registry.cylinder(owner="station_a")["code"]
    seen = _fills_when_rendered(clean_app, monkeypatch)
    with clean_app.app_context():
        resp = clean_app.test_client().post(
            "/api/v1/fillings", json={"code": code},
            headers={"Authorization": f"Bearer {world.filler_a.token}",
                     "Idempotency-Key": "scale-7-0001"})
    assert resp.status_code == 201
    assert seen == [0]  # still one transaction with the Idempotency-Key record
    assert _fills_seen_from_outside(clean_app) == 1
