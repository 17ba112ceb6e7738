"""Benchmark: bulk import of cylinders (CSV and XLSX) on SQLite and PostgreSQL.

Run: .venv/bin/python scripts/bench/import_cylinders.py [--rows 100000] [--db sqlite|postgresql]
Issues the codes first (not timed), then times validation + insert of every row,
including each cylinder's first hash-chained event.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")


def build_app(db: str, tmp: Path):
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from app import create_app

    if db == "postgresql":
        admin = create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = PG_URL.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": str(tmp),
                      "SECRET_KEY": "bench", "PUBLIC_BASE_URL": "https://gas.example.cn"})
    with app.app_context():
        upgrade()
    return app


def make_file(codes: list[str], owner: int, kind: str) -> bytes:
    header = ["code", "serial_no", "manufacturer", "model", "manufactured_on", "owner_org_id",
              "registration_no", "last_inspected_on"]
    rows = [[c, f"B{i:07d}", "百工容器", "YSP35.5", "2021-03", str(owner), f"R{i}", "2024-03-01"]
            for i, c in enumerate(codes)]
    if kind == "csv":
        return ("\n".join(",".join(r) for r in [header, *rows]) + "\n").encode()
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def run(db: str, rows: int, kind: str) -> dict:
    from app.auth import services as auth
    from app.extensions import db as database
    from app.traceability import services as registry
    from app.traceability.importer import import_cylinders

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(db, Path(tmp))
        with app.app_context():
            org = auth.create_org("公司", "gas_company")
            reg_org = auth.create_org("监管", "regulator")
            user = auth.create_user(None, "reg", reg_org.id, "regulator")
            batch = registry.issue_codes(user, org.id, rows)
            codes = registry.batch_codes(batch)
            database.session.commit()
            data = make_file(codes, org.id, kind)
            start = time.perf_counter()
            try:
                report = import_cylinders(user, data, f"x.{kind}", max_rows=rows + 1)
            except Exception as exc:
                raise SystemExit(f"import refused: {getattr(exc, 'details', exc)!s:.2000}") from exc
            database.session.commit()
            seconds = time.perf_counter() - start
            assert report.imported == rows, report.errors[:3]
            database.engine.dispose()
    return {"db": db, "kind": kind, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def main() -> None:
    import datetime as dt
    import platform
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--kind", choices=["csv", "xlsx"], action="append")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks/import.md")
    args = parser.parse_args()
    lines = ["| database | file | rows | seconds | rows/s | target (60 s) |",
             "|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for db in args.db or ["sqlite", "postgresql"]:
        for kind in args.kind or ["csv", "xlsx"]:
            r = run(db, args.rows, kind)
            ok = "met" if r["seconds"] < 60 else "MISSED"
            lines.append(f"| {r['db']} | {r['kind']} | {r['rows']:,} | {r['seconds']:.1f} | "
                         f"{r['rows_per_s']:,.0f} | {ok} |")
            print(lines[-1], flush=True)
    if args.write:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo
                    if ln.startswith("model name")), platform.processor())
        load = Path("/proc/loadavg").read_text().split()[:3]
        cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
        doc = ["## Bulk import of cylinders (issue 2)", "",
               f"{dt.date.today().isoformat()}, {cores} cores ({cpu}), load average "
               f"{' '.join(load)} at the end of the run.",
               f"Command: `.venv/bin/python scripts/bench/import_cylinders.py --rows {args.rows}"
               " --write`", "",
               "Validation of every row first, then Core inserts of cylinders and their first "
               "hash-chained event. XLSX is read with python-calamine.", "", *lines]
        out = Path(__file__).resolve().parents[2] / "docs" / "benchmarks" / "import.md"
        out.write_text("\n".join(doc) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
