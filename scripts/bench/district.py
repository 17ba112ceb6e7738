"""Generate a district-sized database and time history, search and the monthly report.

    .venv/bin/python scripts/bench/district.py --db sqlite --cylinders 200000 --events 4000000
    .venv/bin/python scripts/bench/district.py --db postgresql --cylinders 200000 \\
        --events 4000000 --url postgresql+psycopg://postgres@127.0.0.1:5432/test_oversight

The database is dropped and made anew; figures are printed and appended as one JSON line to
docs/benchmarks/district-results.jsonl.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import deque
from collections.abc import Iterator
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from district_data import District, check_fast_hash, make_chunk  # noqa: E402
from district_load import write_chunk  # noqa: E402
from district_measure import measure  # noqa: E402
from sqlalchemy import create_engine, func, text  # noqa: E402

from app import create_app  # noqa: E402
from app.auth import services as auth  # noqa: E402
from app.extensions import db  # noqa: E402
from app.traceability.models import CodeBatch  # noqa: E402
from app.traceability.rule_store import life_rules, model_specs  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks" / "district-results.jsonl"


def fresh_app(kind: str, url: str | None, path: Path) -> object:
    """Drop and recreate the database, migrate it, and return an app bound to it."""
    if kind == "postgresql":
        assert url, "--url is required for PostgreSQL"
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "INSTANCE_DIR": str(path.parent)})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    return app


def make_district(app: object, customers: int) -> tuple[District, str, int]:
    """Create the organisations and users; return the district, a regulator token, a batch."""
    with app.app_context():  # type: ignore[attr-defined]
        regulator_org = auth.create_org("区市场监督管理局", "regulator")
        regulator = auth.create_user(None, "regulator", regulator_org.id, "regulator")
        token = auth.issue_token(regulator)
        companies = [auth.create_org(f"燃气公司{i}", "gas_company").id for i in range(5)]
        stations = [auth.create_org(f"充装站{i:02d}", "filling_station").id for i in range(20)]
        agency = auth.create_org("特检院", "inspection_agency")
        station_users = {s: auth.create_user(None, f"filler{s}", s, "filler").id
                         for s in stations}
        drivers = {c: auth.create_user(None, f"driver{c}", c, "driver").id for c in companies}
        inspector = auth.create_user(None, "inspector", agency.id, "inspector")
        batch = CodeBatch(owner_org_id=companies[0], count=0, requested_by_id=regulator.id)
        db.session.add(batch)
        db.session.commit()
        district = District(companies, stations, station_users, drivers, inspector.id,
                            agency.id, customers, len(drivers),
                            dt.datetime.now(dt.UTC).replace(microsecond=0),
                            specs=model_specs(), life=life_rules())
        return district, token, batch.id


def load(app: object, district: District, cylinders: int, events: int, batch_id: int,
         workers: int) -> float:
    """Generate and write the district; return the seconds it took."""
    started = time.perf_counter()
    size, per = 5000, events / cylinders
    jobs = [(district, per, 1000 + i, 1 + i * size, min(size, cylinders - i * size), batch_id)
            for i in range((cylinders + size - 1) // size)]
    written = 0
    with app.app_context(), Pool(workers) as pool:  # type: ignore[attr-defined]
        engine = db.engine
        for chunk in bounded(pool, jobs, ahead=2 * workers):
            if written == 0:
                check_fast_hash(chunk.events[:chunk.cylinders[0]["event_count"]],
                                chunk.cylinders[0]["code"])
            write_chunk(engine, chunk)
            written += len(chunk.cylinders)
            rate = written / (time.perf_counter() - started)
            print(f"\r  {written:>9,} cylinders  {rate:,.0f}/s", end="", flush=True)
        print()
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT setval(pg_get_serial_sequence('cylinders', 'id'), "
                                  "(SELECT max(id) FROM cylinders))"))
                conn.execute(text("ANALYZE"))
            else:
                conn.execute(text("ANALYZE"))
        engine.dispose()  # measure on fresh connections, without the bulk-load pragmas
    return time.perf_counter() - started


def bounded(pool: Pool, jobs: list, ahead: int) -> Iterator:
    """Yield chunks in order, keeping at most `ahead` generated but unwritten (bounded RAM)."""
    pending: deque = deque()
    for job in jobs:
        pending.append(pool.apply_async(make_chunk, (job,)))
        if len(pending) > ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def existing_district(url: str) -> tuple[object, District, str]:
    """Bind to a database an earlier run generated, to measure again without reloading."""
    from sqlalchemy import select

    from app.auth.models import Organisation, User
    from app.traceability.models import Cylinder

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "INSTANCE_DIR": "/tmp"})
    with app.app_context():  # type: ignore[attr-defined]
        def orgs(kind: str) -> list[int]:
            return list(db.session.scalars(select(Organisation.id).where(
                Organisation.kind == kind).order_by(Organisation.id)))

        companies = orgs("gas_company")
        drivers = {u.org_id: u.id for u in db.session.scalars(
            select(User).where(User.role == "driver"))}
        token = auth.issue_token(db.session.scalar(select(User).where(User.name == "regulator")))
        count = db.session.scalar(select(func.count()).select_from(Cylinder)) or 0
        db.session.commit()
        district = District(companies, orgs("filling_station"), {}, drivers, 0, 0,
                            max(100, count // 2), len(drivers), dt.datetime.now(dt.UTC))
        return app, district, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="PostgreSQL URL (its database is wiped)")
    parser.add_argument("--path", type=Path, default=Path("/tmp/district/district.sqlite3"))
    parser.add_argument("--cylinders", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database an earlier run left, without reloading it")
    args = parser.parse_args()
    args.path.parent.mkdir(parents=True, exist_ok=True)
    if args.reuse:
        url = args.url if args.db == "postgresql" else f"sqlite:///{args.path}"
        app, district, token = existing_district(url)
        with app.app_context():  # type: ignore[attr-defined]
            stored = db.session.execute(text("SELECT count(*) FROM events")).scalar_one()
            cylinders = db.session.execute(text("SELECT count(*) FROM cylinders")).scalar_one()
        month = (district.now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        report(args.db, cylinders, stored, None, district,
               measure(app, token, district, args.samples, month))
        return
    app = fresh_app(args.db, args.url, args.path)
    district, token, batch_id = make_district(app, max(100, args.cylinders // 2))
    print(f"generating {args.cylinders:,} cylinders / ~{args.events:,} events on {args.db}")
    load_s = load(app, district, args.cylinders, args.events, batch_id, args.workers)
    with app.app_context():  # type: ignore[attr-defined]
        stored = db.session.execute(text("SELECT count(*) FROM events")).scalar_one()
    last_month = (district.now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    figures = measure(app, token, district, args.samples, last_month)
    report(args.db, args.cylinders, stored, round(load_s, 1), district, figures)


def report(kind: str, cylinders: int, events: int, load_s: float | None, district: District,
           figures: dict) -> None:
    """Print the figures and append them to the results file."""
    result = {"db": kind, "cylinders": cylinders, "events": events, "load_s": load_s,
              "at": district.now.isoformat(), **figures}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
