"""The load benchmark at CI size: a small district against gunicorn on each backend.

The same code as scripts/bench/load.py (locust against scripts/serve) with a few users for a
few seconds: no 5xx, no unexpected answer, every role's operations served, every chain intact
afterwards, and the figures the benchmark reports are all there.
"""
from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from scripts.bench.load import render, run_load
from tests.conftest import PG_URL

pytestmark = [pytest.mark.load, pytest.mark.slow]
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_small_district_under_load(backend, tmp_path):
    name = f"rel_{make_url(PG_URL).database}_load" if backend == "postgresql" else "rel_load"
    result = run_load(backend, users=8, seconds=6, stations=2, cylinders=5, spare=20, workers=2,
                      threads=4, workdir=tmp_path, pg_url=PG_URL, db_name=name)
    names = {row.name for row in result.rows}
    assert {"GET /healthz", "GET /api/v1/cylinders/[code]"} <= names, names
    assert result.server_5xx == 0, result.statuses
    assert sum(row.failures for row in result.rows) == 0, result.failures
    assert result.chain_ok, result.chain_report
    assert result.total is not None and result.total.rps > 0
    assert all(row.ratio_p50 is not None for row in result.rows)
    assert len(result.peak_rss_mb) == 2 and all(mb > 20 for mb in result.peak_rss_mb.values())
    assert f"## {backend}, 8 users" in render([result], "test")
