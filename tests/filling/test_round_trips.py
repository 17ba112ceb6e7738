"""Round trips to PostgreSQL per interlock, counted in libpq's own trace of the wire.

Each round trip costs the worker and the database server CPU on the same two cores: the
chain append is one statement, and the writes nobody reads the answer of go out together
(app/fastsql.py). Counted: simple queries and extended-protocol Syncs the client sent (the
pool's pre-ping, before checkout, is not in the trace).
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
        own (Parse, Sync), and after a ROLLBACK forgets them all (DEALLOCATE ALL): costs of a
        connection's life, not of a request, left out.
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
                if kinds != ["Parse", "Sync"] and "DEALLOCATE" not in line:
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


def test_an_allowed_fill_takes_five_round_trips(registry, station, wire, steady_caches):
    codes = [registry.cylinder(owner="station_a")["code"] for _ in range(2)]
    assert station.present(codes[0]).status_code == 201  # warm: the worker's caches
    wire.sent()
    assert station.present(codes[1]).status_code == 201
    sent = wire.sent()
    # BEGIN; the lookup; the chain append (head and event); the trace, custody and fill as
    # one statement; COMMIT
    assert len(sent) == 5, sent
    assert 'Query\t "BEGIN"' in sent[0] and 'Query\t "COMMIT"' in sent[-1], sent


def test_a_repeat_refusal_takes_nine(registry, station, wire, steady_caches):
    stranger = registry.cylinder(owner="company")["code"]
    own = registry.cylinder(owner="station_a")["code"]
    assert station.present(own).status_code == 201
    assert station.present(stranger).status_code == 409
    wire.sent()
    assert station.present(stranger).status_code == 409
    sent = wire.sent()
    # BEGIN; the lookup and the two open flags; the chain append; the refusal (with the
    # trace); the two sightings (each needs its row count); COMMIT
    assert len(sent) == 9, sent
    assert 'Query\t "BEGIN"' in sent[0] and 'Query\t "COMMIT"' in sent[-1], sent
