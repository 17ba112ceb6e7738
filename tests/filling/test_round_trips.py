"""Round trips to PostgreSQL per interlock, counted in libpq's own trace of the wire.

Each round trip costs the worker and the database server CPU on the same two cores; the
interlock's reads go without BEGIN, the BEGIN goes with the first write, and the COMMIT with
the last writes (app/fastsql.py). Counted: simple queries and extended-protocol Syncs the
client sent (the pool's pre-ping, before checkout, is not in the trace).
"""
from __future__ import annotations

import os
import re
import tempfile

import pytest
from sqlalchemy import event

from app.extensions import db


class WireTrace:
    """libpq's trace of every connection checked out meanwhile."""

    def __init__(self) -> None:
        self.fd, self.path = tempfile.mkstemp(prefix="pqtrace-")

    def checkout(self, driver, _record, _proxy) -> None:
        driver.pgconn.trace(self.fd)

    def checkin(self, driver, _record) -> None:
        if driver is not None:
            driver.pgconn.untrace()

    def sent(self) -> list[str]:
        """The messages that ended a round trip since the last call (and forget them).

        psycopg prepares a statement on its fifth use on a connection, in a round trip of its
        own (Parse, Sync): a once-per-connection cost, left out.
        """
        with open(self.path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        trips, kinds = [], []
        for line in lines:
            found = re.search(r"\tF\t\d+\t(\w+)", line)
            if found is None:
                continue
            kinds.append(found.group(1))
            if kinds[-1] in ("Query", "Sync"):
                if kinds != ["Parse", "Sync"]:
                    trips.append(line)
                kinds = []
        return trips


@pytest.fixture
def wire(app):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("round trips are PostgreSQL's cost; SQLite runs in the worker")
    trace = WireTrace()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", trace.checkout)
    event.listen(engine, "checkin", trace.checkin)
    yield trace
    event.remove(engine, "checkout", trace.checkout)
    event.remove(engine, "checkin", trace.checkin)
    os.close(trace.fd)
    os.unlink(trace.path)


def test_an_allowed_fill_takes_three_round_trips(registry, station, wire, steady_caches):
    codes = [registry.cylinder(owner="station_a")["code"] for _ in range(2)]
    assert station.present(codes[0]).status_code == 201  # warm: the worker's caches
    wire.sent()
    assert station.present(codes[1]).status_code == 201
    sent = wire.sent()
    # the lookup; BEGIN with the chain append; the trace, custody and fill with the COMMIT
    assert len(sent) == 3, sent
    assert 'Query\t "BEGIN; WITH moved AS' in sent[1], sent
    assert not any(re.search(r'Query\t "(BEGIN|COMMIT)"', line) for line in sent), sent


def test_a_refusal_opens_its_transaction_with_its_first_write(registry, station, wire,
                                                              steady_caches):
    stranger = registry.cylinder(owner="company")["code"]
    own = registry.cylinder(owner="station_a")["code"]
    assert station.present(own).status_code == 201
    assert station.present(stranger).status_code == 409
    wire.sent()
    assert station.present(stranger).status_code == 409
    sent = wire.sent()
    assert not any(re.search(r'Query\t "BEGIN"', line) for line in sent), sent
    # the lookup, the two open flags; BEGIN with the chain append; the refusal (with the
    # trace); the two sightings (each needs its row count); the COMMIT
    assert len(sent) == 8, sent
    assert 'Query\t "BEGIN; WITH moved AS' in sent[3], sent


def test_every_connection_goes_back_to_the_pool_beginning_its_own_transactions(
        registry, station, wire, app, world):
    """Read-only endings of a reads-first request (a replayed event id, a refusal, a fill):
    the pool gets the connection back as psycopg's default, in no transaction."""
    states = []

    def back(driver, _record):  # runs after the app's own checkin listener
        if driver is not None:
            states.append((driver.autocommit, int(driver.info.transaction_status)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkin", back)
    try:
        code = registry.cylinder(owner="station_a")["code"]
        event_id = "5f0c1a52-8a4e-4c1e-9a53-4a0d2a7c9e11"
        first = station.present(code, event_id=event_id)
        again = station.present(code, event_id=event_id)  # read only: nothing to write
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json["event"]["id"] == first.json["event"]["id"]
        stranger = registry.cylinder(owner="company")["code"]
        assert station.present(stranger).status_code == 409
    finally:
        event.remove(engine, "checkin", back)
    assert states and all(state == (False, 0) for state in states), states
