"""Crash benchmark: kill -9 gunicorn again and again under writes; cut or restart PostgreSQL.

Run: .venv/bin/python scripts/bench/crash.py [--db sqlite,postgresql] [--kills 5]
         [--writers 6] [--restart-postgres]

Writers post code batches and cylinder registrations with Idempotency-Keys and resend each
request until it is answered, as phones do. Meanwhile the server (scripts/serve) is killed
with SIGKILL (master and workers at once) --kills times at random moments and restarted the
same way; on PostgreSQL the database's connections are terminated, and with
--restart-postgres the whole cluster is restarted (it is shared: never in CI). Afterwards
crash_check.verify proves exactly-once, no half-written rows and intact hash chains, and the
script prints the recovery times. Exit status 1 on any problem.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.crash_check import Writers, verify
from scripts.bench.load_district import seed_district
from scripts.bench.load_server import (
    Server,
    drop_database,
    fresh_database,
    restart_postgresql,
    terminate_connections,
)

PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def run(backend: str, kills: int, writers: int, restart_pg: bool, workdir: Path,
        rng: random.Random) -> bool:
    """Fault one backend under writes, verify, and print what happened."""
    url = fresh_database(backend, workdir, PG_URL, "rel_crash")
    instance = workdir / f"instance-{backend}"
    district = seed_district(url, instance, stations=1, cylinders=5, spare_codes=20_000)
    server = Server(url, instance, workers=3, threads=4, extra_env={"RATELIMIT_ENABLED": "0"})
    server.start()
    faults: list[tuple[str, float, float | None]] = []
    try:
        with Writers(server.url, district, threads=writers, seed=rng.randint(0, 10**6)) as pool:
            for _ in range(kills):
                time.sleep(rng.uniform(2, 6))
                moment = time.monotonic()
                server.kill9()
                restart = server.start()
                time.sleep(2)
                faults.append((f"kill -9 (restart {restart:.1f} s)", moment,
                               pool.journal.first_success_after(moment)))
            if backend == "postgresql":
                time.sleep(2)
                moment = time.monotonic()
                cut = terminate_connections(url)
                time.sleep(3)
                faults.append((f"{cut} connections terminated", moment,
                               pool.journal.first_success_after(moment)))
                if restart_pg:
                    time.sleep(2)
                    moment = time.monotonic()
                    took = restart_postgresql()
                    time.sleep(4)
                    faults.append((f"PostgreSQL restarted (the restart took {took:.1f} s)",
                                   moment, pool.journal.first_success_after(moment + took)))
            time.sleep(2)
        verdict = verify(server.url, url, instance, district, pool.journal)
    finally:
        server.stop()
        drop_database(url)
    print(f"## {backend}")
    print(f"- writes: {verdict.attempts}, final answers {verdict.outcomes}")
    print(f"- resent after a lost answer or a 503: {verdict.resent}, of which "
          f"{verdict.stored_before_answer_lost} had been stored before the answer was lost "
          "(replayed, not stored twice)")
    print(f"- retry of every write afterwards: {verdict.retried_replayed} replayed, "
          f"{verdict.retried_created} created (requests still unanswered at the end)")
    for label, _moment, back in faults:
        back_text = f"{back:.1f} s" if back is not None else "never"
        print(f"- {label}: next successful write {back_text} after it")
    print(f"- {verdict.chain}")
    print(f"- problems: {len(verdict.problems)}")
    for problem in verdict.problems[:40]:
        print(f"  - {problem}")
    return verdict.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--restart-postgres", action="store_true",
                        help="also restart the PostgreSQL cluster (shared with everyone!)")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    ok = True
    with tempfile.TemporaryDirectory(prefix="rel-crash-") as tmp:
        for backend in args.db.split(","):
            ok &= run(backend, args.kills, args.writers, args.restart_postgres, Path(tmp), rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
