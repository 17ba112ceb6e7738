"""CPU per request in one process, no server and no other requests: where the interlock's time goes.

Run from the repository root:  .venv/bin/python scripts/bench/interlock_cpu.py [DATABASE_URL]
Counts process CPU time (not wall time, which this shared machine makes noisy), best of 7
rounds of 100 requests through the Flask test client, on a fresh SQLite database (or on the
PostgreSQL database given, which is wiped first). On PostgreSQL the database server's own CPU
is not counted.
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from interlock_seed import seed  # noqa: E402

from app import create_app  # noqa: E402


def best_cpu_ms(call: Callable[[], object], rounds: int = 7, per_round: int = 100) -> float:
    """Best per-request CPU milliseconds over several rounds, after a warm-up."""
    for _ in range(50):
        call()
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            call()
        best = min(best, (time.process_time() - start) / per_round * 1000)
    return best


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="interlock-cpu-"))
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{work / 'cpu.sqlite3'}"
    if url.startswith("postgresql"):
        from interlock import fresh_database

        fresh_database("postgresql", work, url)
    base = "http://127.0.0.1:5000"
    seed(url, 4, 400, work / "plan.json", base)
    station = json.loads((work / "plan.json").read_text())["stations"][0]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": base,
                      "APP_ENV": "production", "SECRET_KEY": "bench",
                      "INSTANCE_DIR": str(work)})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {station['token']}"}
    rng = random.Random(7)
    cases = {
        "GET /healthz (SELECT 1)": lambda: client.get("/healthz"),
        "GET /api/v1/me (token only)": lambda: client.get("/api/v1/me", headers=auth),
        "POST /fillings, foreign code (token, one INSERT)": lambda: client.post(
            "/api/v1/fillings", json={"code": "hello world!"}, headers=auth),
        "POST /fillings, own cylinder (the interlock)": lambda: client.post(
            "/api/v1/fillings", json={"code": rng.choice(station["allowed_or_own"]),
                                      "net_mass_kg": 4.0}, headers=auth),
        "POST /fillings, a stranger's cylinder (refused, two flags)": lambda: client.post(
            "/api/v1/fillings", json={"code": rng.choice(station["strangers"])}, headers=auth),
        "POST /fillings, never-issued code (refused, flag by code)": lambda: client.post(
            "/api/v1/fillings", json={"payload": rng.choice(station["unknown"])}, headers=auth),
    }
    print("| request | CPU ms per request |\n|---|---:|")
    for name, call in cases.items():
        print(f"| {name} | {best_cpu_ms(call):.2f} |")


if __name__ == "__main__":
    main()
