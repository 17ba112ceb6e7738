"""Replay the interlock benchmark's request mix through the bare WSGI app, in one process.

Run from the repository root:
    .venv/bin/python scripts/bench/interlock_replay.py                    # SQLite
    .venv/bin/python scripts/bench/interlock_replay.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench
    .venv/bin/python scripts/bench/interlock_replay.py --profile /tmp/replay.prof

Where `interlock.py` measures the server under wrk, this measures what one request costs:
process CPU per request (not wall time, which this shared machine makes noisy), best and
median of several rounds, for /healthz and for the same mix wrk sends (the same seed, 32
stations, 60 requests each, cycled, so flags are sighted again as under wrk). With a local
PostgreSQL it also reads the database server's own CPU per request from /proc (the part
that comes off the same two cores under load). `--profile` writes a cProfile of the mix
rounds (its overhead about doubles the times). Compare two versions of the code by running
this alternately from each checkout.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from interlock import fresh_database, process_stats  # noqa: E402
from interlock_wrk import mix  # noqa: E402

BASE = "http://127.0.0.1:5000"


def database_server_cpu() -> float:
    """CPU seconds used so far by the local PostgreSQL's processes (0 if none is visible)."""
    total = sum(int(fields[11]) + int(fields[12]) for _pid, command, fields in process_stats()
                if command.startswith("postgres"))
    return total / os.sysconf("SC_CLK_TCK")


def environ(method: str, path: str, body: bytes = b"", token: str | None = None) -> dict:
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "5000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
           "HTTP_HOST": "127.0.0.1:5000", "REMOTE_ADDR": "127.0.0.1",
           "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr}
    if body:
        env.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def rounds(call: Callable[[], None], count: int, per_round: int) -> tuple[list[float], list[float]]:
    """Process CPU and database-server CPU, in ms per request, of each round."""
    own, server = [], []
    for _ in range(count):
        before, db_before = time.process_time(), database_server_cpu()
        for _ in range(per_round):
            call()
        own.append((time.process_time() - before) / per_round * 1000)
        server.append((database_server_cpu() - db_before) / per_round * 1000)
    return own, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", help="a PostgreSQL database to wipe and use (else SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=600)
    parser.add_argument("--profile", help="write a cProfile of the mix rounds to this file")
    parser.add_argument("--analyze", action="store_true",
                        help="ANALYZE after the warm-up: the plans of a database with statistics "
                        "(else the first plans, made on a freshly seeded one, may stay)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="interlock-replay-"))
    url = fresh_database("postgresql" if args.pg_url else "sqlite", work,
                         args.pg_url or "")
    # Seeded in its own process, as the benchmark does: nothing the seed caches leaks in here.
    subprocess.run([sys.executable, str(HERE / "interlock_seed.py"), url, "32", "5000",
                    str(work / "plan.json"), BASE], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    plan = json.loads((work / "plan.json").read_text())["stations"]

    from sqlalchemy import text

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": BASE,
                      "APP_ENV": "production", "SECRET_KEY": "bench",
                      "INSTANCE_DIR": str(work)})
    statuses: Counter[str] = Counter()

    def respond(status: str, _headers: list, _exc: object = None) -> None:
        statuses[status[:3]] += 1

    def send(env: dict) -> None:
        answer = app(env, respond)
        b"".join(answer)
        getattr(answer, "close", lambda: None)()

    requests = [(token, json.dumps(body, separators=(",", ":")).encode())
                for token, body in mix(plan, random.Random(1))]
    for token, body in requests:  # every flag raised once: what follows sights them again
        send(environ("POST", "/api/v1/fillings", body, token))
    cycle = itertools.cycle(requests)
    if args.analyze:
        with app.app_context(), db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()

    def interlock() -> None:
        token, body = next(cycle)
        send(environ("POST", "/api/v1/fillings", body, token))

    health, health_db = rounds(lambda: send(environ("GET", "/healthz")), args.rounds,
                               args.per_round)
    statuses.clear()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    fills, fills_db = rounds(interlock, args.rounds, args.per_round)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)

    def row(name: str, own: list[float], server: list[float]) -> str:
        db = f"{statistics.median(server):.2f}" if args.pg_url else "-"
        return (f"| {name} | {min(own):.2f} | {statistics.median(own):.2f} | {db} |")

    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; {args.rounds} rounds of "
          f"{args.per_round}; answers in the mix rounds: {dict(statuses)}")
    print("| request | CPU ms, best round | CPU ms, median | database server CPU ms |")
    print("|---|---:|---:|---:|")
    print(row("GET /healthz", health, health_db))
    print(row("POST /fillings, the wrk mix", fills, fills_db))


if __name__ == "__main__":
    main()
