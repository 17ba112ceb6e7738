"""Time the pages a regulator waits on: history, filtered search, and the monthly report."""
from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.oversight.reports.data import monthly_report
from app.oversight.reports.pdf import report_pdf
from app.oversight.reports.xlsx import report_xlsx
from app.traceability.events import cylinder_events, verify_events
from app.traceability.models import Cylinder


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p99 / max in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def _time(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _get(app: Flask, token: str, path: str) -> Callable[[], Any]:
    client = app.test_client()

    def call() -> None:
        with app.app_context():
            resp = client.get(path, headers={"Authorization": f"Bearer {token}",
                                             "Accept": "text/html"})
        if resp.status_code != 200:
            raise RuntimeError(f"{path} answered {resp.status_code}")

    return call


def sample_codes(app: Flask, count: int, rng: random.Random) -> list[str]:
    """Pick random cylinders by id (ids are dense in the generated district)."""
    with app.app_context():
        top = db.session.scalar(select(func.max(Cylinder.id))) or 0
        ids = [rng.randint(1, top) for _ in range(count)]
        return list(db.session.scalars(select(Cylinder.code).where(Cylinder.id.in_(ids))))


def search_queries(app: Flask, rng: random.Random, count: int, stations: list[int],
                   companies: list[int], customers: int, drivers: list[int]) -> list[str]:
    """A mix of the filters regulators combine, with random values."""
    codes = sample_codes(app, count, rng)
    makers = [f"容器制造厂{i:02d}" for i in range(30)]
    queries = []
    for i in range(count):
        choice = i % 10
        if choice == 0:
            queries.append(f"code={codes[i % len(codes)][:5]}")
        elif choice == 1:
            wrong = codes[i % len(codes)]
            queries.append(f"code={wrong[:7]}{'0' if wrong[7] != '0' else '1'}{wrong[8:]}")
        elif choice == 2:
            queries.append(f"station_org_id={rng.choice(stations)}&status=inspection_overdue")
        elif choice == 3:
            queries.append(f"manufacturer={rng.choice(makers)}&model=YSP118")
        elif choice == 4:
            queries.append(f"customer_id={rng.randrange(1, customers)}")
        elif choice == 5:
            queries.append(f"driver_id={rng.choice(drivers)}&page=3")
        elif choice == 6:
            queries.append(f"owner_org_id={rng.choice(companies)}&due_from=2026-01-01"
                           "&due_to=2026-03-31")
        elif choice == 7:
            queries.append(f"flag={rng.choice(['overfill', 'clone_suspected', 'fill_refused'])}")
        elif choice == 8:
            queries.append("status=beyond_service_life&made_to=2015-12-31")
        else:
            queries.append(f"seen_from=2026-01-01&owner_org_id={rng.choice(companies)}"
                           "&status=in_service")
    return queries


def measure(app: Flask, token: str, district: Any, samples: int, month: str,
            seed: int = 11) -> dict[str, Any]:
    """Run the three measurements and return their figures."""
    rng = random.Random(seed)
    codes = sample_codes(app, samples, rng)
    for code in codes[:5]:  # warm the caches a running server would have warm
        _get(app, token, f"/oversight/cylinders/{code}")()
    history = [_time(_get(app, token, f"/oversight/cylinders/{c}")) for c in codes]
    with app.app_context():  # the generated chains must verify as the page's badge does
        verified = sum(verify_events(cyl, cylinder_events(cyl.id)).ok for cyl in
                       db.session.scalars(select(Cylinder).where(Cylinder.code.in_(codes[:20]))))
    queries = search_queries(app, rng, samples, district.stations, district.companies,
                             district.customers, list(district.company_drivers.values()))
    for query in queries[:5]:
        _get(app, token, f"/oversight/search?{query}")()
    search = [_time(_get(app, token, f"/oversight/search?{q}")) for q in queries]
    slowest = sorted(zip(search, queries, strict=True), reverse=True)[:3]
    with app.app_context():
        started = time.perf_counter()
        report = monthly_report(month)
        counted = time.perf_counter() - started
        xlsx, pdf = report_xlsx(report), report_pdf(report)
        total = time.perf_counter() - started
        digest = _digest_figures()
    return {"history": {**percentiles(history), "chains_verified": f"{verified}/20"},
            "search": percentiles(search),
            "slowest_searches": [(round(t * 1000, 1), q) for t, q in slowest],
            "report": {"month": month, "count_s": round(counted, 2), "total_s": round(total, 2),
                       "fills": report.totals["fills"], "deliveries": report.totals["deliveries"],
                       "xlsx_bytes": len(xlsx), "pdf_bytes": len(pdf)},
            "chain_digest": digest}


def _digest_figures() -> dict[str, Any]:
    """Take a chain digest of the whole district, then prove it (a full recompute), timed;
    the digest is rolled back so that a rerun on the same database measures the same."""
    from app.oversight import digests

    started = time.perf_counter()
    row = digests.take_digest(None)
    taken = time.perf_counter() - started
    started = time.perf_counter()
    proof = digests.prove(None, row.cutoff, row.root)
    proved = time.perf_counter() - started
    db.session.rollback()
    assert proof.matches, "a digest must prove itself on unchanged records"
    return {"take_s": round(taken, 2), "prove_s": round(proved, 2),
            "cylinders": row.cylinders, "events": row.events}
