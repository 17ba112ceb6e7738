"""Crash safety at CI size: kill -9 the gunicorn server mid-load, lose PostgreSQL connections.

A real server (scripts/serve) on a fresh SQLite file, and on PostgreSQL database
rel_<TEST_DATABASE_URL's name> when TEST_DATABASE_URL is set. Writers keep posting with
Idempotency-Keys through the faults; afterwards every answered success must be stored exactly
once, nothing unanswered half-written, every chain intact, and the service serving again.
The full-size version is scripts/bench/crash.py (it also restarts the PostgreSQL cluster).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy.engine import make_url

from scripts.bench.crash_check import Writers, verify
from scripts.bench.load_district import seed_district
from scripts.bench.load_server import Server, drop_database, fresh_database, terminate_connections
from tests.conftest import PG_URL

pytestmark = [pytest.mark.load, pytest.mark.slow]
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the writers made no progress"
        time.sleep(0.05)


def answered_since(writers: Writers, since: float) -> int:
    return sum(1 for a in list(writers.journal.attempts)
               if a.sent_at >= since and a.status == 201)


@pytest.fixture(params=BACKENDS)
def served(request, tmp_path):
    """A seeded district behind a real gunicorn server on one backend."""
    name = f"rel_{make_url(PG_URL).database}" if request.param == "postgresql" else "rel_crash"
    url = fresh_database(request.param, tmp_path, PG_URL, name)
    instance = tmp_path / "instance"
    district = seed_district(url, instance, stations=1, cylinders=2, spare_codes=600)
    server = Server(url, instance, workers=2, threads=4, extra_env={"RATELIMIT_ENABLED": "0"})
    server.start()
    yield request.param, url, instance, district, server
    server.kill9()  # the database is thrown away next: no need to wait for a graceful stop
    drop_database(url)


def test_kill_9_and_lost_connections_lose_and_duplicate_nothing(served):
    backend, url, instance, district, server = served
    started = time.monotonic()
    with Writers(server.url, district, threads=4) as writers:
        wait_until(lambda: answered_since(writers, started) >= 25)
        server.kill9()
        downtime = server.start()
        restarted = time.monotonic()
        wait_until(lambda: answered_since(writers, restarted) >= 15)
        if backend == "postgresql":
            assert terminate_connections(url) >= 1
            cut = time.monotonic()
            wait_until(lambda: answered_since(writers, cut) >= 15)
    verdict = verify(server.url, url, instance, district, writers.journal)
    assert verdict.ok, "\n".join(verdict.problems[:30])
    assert verdict.answered_ok >= 35
    assert downtime < 30, f"the restart took {downtime:.1f} s"
    print(f"{backend}: {verdict.attempts} writes {verdict.outcomes}, {verdict.resent} resent "
          f"after a lost answer ({verdict.stored_before_answer_lost} had been stored), restart "
          f"{downtime:.1f} s; {verdict.chain}")
