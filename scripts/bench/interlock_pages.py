"""Count the pages each interlock commit writes to SQLite's log, by table and index.

Run from the repository root:
    .venv/bin/python scripts/bench/interlock_pages.py [--requests 200]

Seeds the benchmark's database (5,000 cylinders, 32 stations), sends the wrk mix once
through the bare WSGI app as a warm-up, empties the log, replays the first N requests of the
mix, then reads the log's frame headers and maps each frame's page to the table or index
that owns it (SQLite's `dbstat`). Each page a commit writes is also one a worker must read
again after another worker's commit, so fewer pages is less CPU under gunicorn. Counts, not
times: the figures do not depend on the machine's load.
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from interlock import fresh_database  # noqa: E402
from interlock_replay import environ  # noqa: E402
from interlock_wrk import mix  # noqa: E402

BASE = "http://127.0.0.1:5000"


def frames(wal: Path) -> tuple[list[int], int]:
    """The page number of every frame in the log, and the number of commits."""
    raw = wal.read_bytes()
    page_size = struct.unpack(">I", raw[8:12])[0]
    pages, commits, offset = [], 0, 32
    while offset + 24 <= len(raw):
        page, commit_size = struct.unpack(">II", raw[offset:offset + 8])
        pages.append(page)
        commits += commit_size != 0
        offset += 24 + page_size
    return pages, commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200,
                        help="requests replayed (keep the log under the 4,000-page backstop)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="interlock-pages-"))
    url = fresh_database("sqlite", work)
    subprocess.run([sys.executable, str(HERE / "interlock_seed.py"), url, "32", "5000",
                    str(work / "plan.json"), BASE], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    plan = json.loads((work / "plan.json").read_text())["stations"]

    import app.sqlite_checkpoint as checkpoints

    checkpoints.DELAY_SECONDS = 3600  # no background copy while the log is being sampled
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": BASE,
                      "APP_ENV": "production", "SECRET_KEY": "bench",
                      "INSTANCE_DIR": str(work)})
    statuses: Counter[str] = Counter()

    def send(env: dict) -> None:
        answer = app(env, lambda status, _headers, _exc=None: statuses.update([status[:3]]))
        b"".join(answer)
        getattr(answer, "close", lambda: None)()

    requests = [(token, json.dumps(body).encode()) for token, body in mix(plan, random.Random(1))]
    for token, body in requests:
        send(environ("POST", "/api/v1/fillings", body, token))
    database = work / "bench.sqlite3"
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    statuses.clear()
    for token, body in requests[:args.requests]:
        send(environ("POST", "/api/v1/fillings", body, token))
    pages, commits = frames(Path(f"{database}-wal"))
    owner = dict(reader.execute("SELECT pageno, name FROM dbstat"))
    per_tree = Counter(owner.get(page, "?") for page in pages)
    print(f"{args.requests} requests {dict(statuses)}; {commits} commits; {len(pages)} pages "
          f"written, {len(pages) / max(commits, 1):.1f} per commit")
    print("| table or index | pages per request |")
    print("|---|---:|")
    for name, count in per_tree.most_common():
        print(f"| {name} | {count / args.requests:.2f} |")


if __name__ == "__main__":
    main()
