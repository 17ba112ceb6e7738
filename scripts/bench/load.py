"""Load benchmark: a district plays against gunicorn (scripts/serve) on SQLite and PostgreSQL.

Run: .venv/bin/python scripts/bench/load.py [--db sqlite,postgresql] [--users 60,200]
         [--run-time 60] [--stations 20] [--write docs/benchmarks/load.md]

Seeds a district, starts the server as production does, runs locust headless
(scripts/bench/locustfile.py), samples each worker's memory, and reports per operation:
throughput, p50, p99, errors, and the latency ratio to /healthz measured in the same run.
After the run the hash chain of every cylinder is verified and 5xx answers are counted from
the server's own access log. PostgreSQL: BENCH_DATABASE_URL (default: the local server),
database rel_load, dropped afterwards.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.load_district import make_app, seed_district
from scripts.bench.load_server import (
    ROOT,
    MemorySampler,
    Server,
    drop_database,
    fresh_database,
)

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p99: float
    ratio_p50: float | None = None
    ratio_p99: float | None = None


@dataclass
class Result:
    backend: str
    users: int
    seconds: int
    workers: int
    threads: int
    cylinders: int
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    server_5xx: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    chain_ok: bool = False
    chain_report: str = ""
    failures: list[dict[str, str]] = field(default_factory=list)
    domains: dict[str, bool] = field(default_factory=dict)


def run_load(backend: str, *, users: int, seconds: int, stations: int, cylinders: int,
             spare: int, workers: int, threads: int, workdir: Path,
             pg_url: str = PG_URL, db_name: str = "rel_load") -> Result:
    """Seed, serve, load, measure and verify one backend."""
    url = fresh_database(backend, workdir, pg_url, db_name)
    instance = workdir / f"instance-{backend}"
    try:
        district = seed_district(url, instance, stations=stations, cylinders=cylinders,
                                 spare_codes=spare, drivers=max(2, stations // 4))
        district_file = workdir / f"district-{backend}.json"
        district_file.write_text(district.to_json())
        access_log = workdir / f"access-{backend}.log"
        server = Server(url, instance, workers=workers, threads=threads,
                        extra_env={"RATELIMIT_ENABLED": "0", "ACCESS_LOG": str(access_log),
                                   "GRACEFUL_TIMEOUT": "5"})
        server.start()
        domains = _domains(server.url, district.all_codes[0])
        sampler = MemorySampler(server.proc.pid).start()
        prefix = workdir / f"locust-{backend}"
        try:
            _locust(server.url, district_file, prefix, users, seconds)
        finally:
            peaks = sampler.stop()
            server.stop()
        result = Result(backend, users, seconds, workers, threads,
                        cylinders * (stations + 1))
        result.rows, result.total = _read_stats(prefix)
        result.failures = _read_failures(prefix)
        result.domains = domains
        result.statuses = _statuses(access_log)
        result.server_5xx = sum(n for s, n in result.statuses.items() if s.startswith("5"))
        result.peak_rss_mb = {str(pid): round(rss / 2**20, 1) for pid, rss in peaks.items()}
        result.chain_ok, result.chain_report = verify_chain(url, instance)
        return result
    finally:
        drop_database(url)


# The district's tasks that switch on when their domain is in the build (see locustfile.py).
DOMAIN_TASKS = {
    "filling (POST /api/v1/fillings)": ("post", "/api/v1/fillings"),
    "driver custody (GET /api/v1/cylinders/{code}/custody)":
        ("get", "/api/v1/cylinders/{code}/custody"),
    "regulator search (GET /api/v1/cylinders)": ("get", "/api/v1/cylinders"),
}


def _domains(host: str, code: str) -> dict[str, bool]:
    import requests

    paths = requests.get(host + "/api/v1/openapi.json", timeout=30).json()["paths"]
    found = {name: method in paths.get(path, {}) for name, (method, path) in DOMAIN_TASKS.items()}
    found["public page (GET /c/<code>)"] = requests.get(f"{host}/c/{code}",
                                                       timeout=30).status_code != 404
    return found


def _locust(host: str, district_file: Path, prefix: Path, users: int, seconds: int) -> None:
    env = {**os.environ, "LOAD_DISTRICT": str(district_file), "LOAD_HOST": host}
    cmd = [str(ROOT / ".venv/bin/locust"), "-f", str(LOCUSTFILE), "--headless", "--host", host,
           "-u", str(users), "-r", str(max(1, users // 2)), "--run-time", f"{seconds}s",
           "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
           "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")


def _read_stats(prefix: Path) -> tuple[list[Row], Row | None]:
    rows, total = [], None
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for rec in csv.DictReader(handle):
            row = Row(name=f"{rec['Type']} {rec['Name']}".strip(),
                      requests=int(rec["Request Count"]), failures=int(rec["Failure Count"]),
                      rps=float(rec["Requests/s"]), p50=float(rec["50%"] or 0),
                      p99=float(rec["99%"] or 0))
            if rec["Name"] == "Aggregated":
                total = row
            elif row.requests:
                rows.append(row)
    health = next((r for r in rows if r.name == "GET /healthz"), None)
    for row in [*rows, *([total] if total else [])]:
        if health and health.p50:
            row.ratio_p50 = round(row.p50 / health.p50, 1)
            row.ratio_p99 = round(row.p99 / health.p99, 1) if health.p99 else None
    rows.sort(key=lambda r: -r.requests)
    return rows, total


def _read_failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _statuses(access_log: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if access_log.exists():
        for line in access_log.read_text(errors="replace").splitlines():
            parts = line.rsplit(" ", 3)
            if len(parts) == 4 and parts[1].isdigit():
                counts[parts[1]] = counts.get(parts[1], 0) + 1
    return dict(sorted(counts.items()))


def verify_chain(url: str, instance: Path) -> tuple[bool, str]:
    """Run `flask verify-chain` on the run's database."""
    app = make_app(url, instance)
    result = app.test_cli_runner().invoke(args=["verify-chain", "--quiet"])
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    output = result.output.strip() or "all chains intact"
    return result.exit_code == 0, output.splitlines()[-1]


def render(results: list[Result], command: str) -> str:
    """Render the results as the Markdown of docs/benchmarks/load.md."""
    now = dt.datetime.now(dt.UTC).astimezone()
    lines = [
        "# Load: a district against gunicorn, on SQLite and PostgreSQL", "",
        f"Measured {now:%Y-%m-%d %H:%M %Z} on {_machine()}.", "",
        f"Command: `{command}`", "",
        "The load generator (locust, `scripts/bench/locustfile.py`) runs on the same machine "
        "as the server and the database, so the figures are a floor, not a ceiling. Latencies "
        "are in milliseconds as the clients saw them; *x healthz* divides by `/healthz` "
        "(one `SELECT 1`) measured in the same run, which takes the machine's noise out. "
        "Errors are answers the client did not expect; 5xx are counted from the server's "
        "own access log, which covers the whole run (ramp-up and ramp-down, and one or two 404s "
        "that are the probes for the public page before it is in the build), so it counts "
        "more requests than the clients' measuring window. Rate limits are off for the run "
        "(every client comes from one address). The hash chain of every cylinder is "
        "verified after the run.", "",
        "The district (weights of simulated people): filling-line operators 6 (a scan about "
        "every second: fill when the interlock is in the build, else look the cylinder up; "
        "now and then a history or a new registration with an Idempotency-Key), drivers 3, "
        "the public 4 (when the public page is in), regulators 1 (search or lookup, timeline, "
        "flags, print jobs), a print shop 1 (batch list, ZPL and PDF downloads), and one "
        "health check at 4 per second.", "",
    ]
    for res in results:
        total = res.total
        peaks = sorted(res.peak_rss_mb.values(), reverse=True)
        switched = ", ".join(f"{name} {'on' if on else 'off'}" for name, on in res.domains.items())
        lines += [
            f"## {res.backend}, {res.users} users", "",
            f"Domain tasks in this build: {switched}.", "",
            f"{res.users} users for {res.seconds} s; gunicorn {res.workers} workers x "
            f"{res.threads} threads; {res.cylinders} cylinders seeded.", "",
            f"- throughput: **{total.rps:.1f} requests/s** overall, "
            f"p50 {total.p50:.0f} ms, p99 {total.p99:.0f} ms" if total else "- no requests",
            f"- errors: {sum(r.failures for r in res.rows)} of "
            f"{sum(r.requests for r in res.rows)} requests; server 5xx: {res.server_5xx}; "
            f"statuses {res.statuses}",
            f"- peak memory per worker (RSS): {', '.join(f'{p:.0f} MB' for p in peaks)}",
            f"- hash chains after the run: {'intact' if res.chain_ok else 'BROKEN'} "
            f"({res.chain_report})", "",
            "| operation | requests | req/s | p50 ms | p99 ms | p50 x healthz | p99 x healthz |"
            " errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in res.rows:
            lines.append(f"| `{row.name}` | {row.requests} | {row.rps:.1f} | {row.p50:.0f} | "
                         f"{row.p99:.0f} | {row.ratio_p50 or '-'} | {row.ratio_p99 or '-'} | "
                         f"{row.failures} |")
        if res.failures:
            lines += ["", "Errors seen:", ""]
            lines += [f"- {f['Method']} {f['Name']}: {f['Error']} x {f['Occurrences']}"
                      for f in res.failures[:20]]
        lines.append("")
    return "\n".join(lines)


def _machine() -> str:
    cores = os.cpu_count()
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GB RAM"
    except ImportError:
        memory = ""
    return f"{platform.machine()} {cores} cores{memory}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--users", default="60,200",
                        help="simulated people; several (comma-separated) runs each backend")
    parser.add_argument("--run-time", type=int, default=60)
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--cylinders", type=int, default=50, help="per station")
    parser.add_argument("--spare", type=int, default=100, help="unbound codes per station")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1,
                        help="as scripts/serve: cores + 1")
    parser.add_argument("--threads", type=int, default=1, help="as scripts/serve")
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="rel-load-") as tmp:
        for backend in args.db.split(","):
            for users in (int(u) for u in args.users.split(",")):
                started = time.monotonic()
                print(f"==> {backend}: seeding, serving, {users} users for {args.run_time} s",
                      flush=True)
                results.append(run_load(backend, users=users, seconds=args.run_time,
                                        stations=args.stations, cylinders=args.cylinders,
                                        spare=args.spare, workers=args.workers,
                                        threads=args.threads, workdir=Path(tmp)))
                print(f"    done in {time.monotonic() - started:.0f} s", flush=True)
    command = "python scripts/bench/load.py " + " ".join(argv if argv is not None
                                                          else sys.argv[1:])
    report = render(results, command.strip())
    print(report)
    if args.write:
        args.write.write_text(report)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    bad = [r for r in results if r.server_5xx or not r.chain_ok]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
