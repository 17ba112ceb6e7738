"""Benchmark the filling interlock under gunicorn: by code against /healthz, and by photo.

Run from the repository root:
    .venv/bin/python scripts/bench/interlock.py --db sqlite
    .venv/bin/python scripts/bench/interlock.py --db postgresql   # uses database test_filling
    .venv/bin/python scripts/bench/interlock.py --db postgresql --pg-url URL   # another one

It seeds a fresh database, starts `scripts/serve` (gunicorn as in production, with its
default workers and threads unless --workers/--threads say otherwise), drives 32 concurrent stations
with wrk (first /healthz, then the interlock by code with allowed and refused codes mixed),
then times the interlock by photo (1600x1200 JPEG) one request after another.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from interlock_paced import paced  # noqa: E402
from interlock_photo import photo_jpeg  # noqa: E402
from interlock_wrk import parse_wrk, wrk_script  # noqa: E402
from load_server import Server, free_port  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_filling"
PY = str(ROOT / ".venv" / "bin" / "python")


def fresh_database(kind: str, work: Path, pg_url: str = PG_URL) -> str:
    """Return the URL of an empty database of the given kind."""
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work / 'bench.sqlite3'}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{work / 'bench.sqlite3'}"
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return pg_url


def process_stats() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, command, the fields after the command) of every process, from /proc/*/stat.

    Of those fields, [1] is the parent's pid, [11] and [12] user and system time in ticks,
    [13] and [14] the same for reaped children.
    """
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        command, rest = raw[raw.index("(") + 1:].rsplit(")", 1)
        yield int(stat.parent.name), command, rest.split()


def server_cpu_seconds(master: int) -> tuple[float, float]:
    """CPU time used so far by gunicorn, (user, system), from /proc.

    The master, its live workers, and the workers it has reaped: scripts/serve recycles a
    worker after MAX_REQUESTS, and the kernel adds an exited worker's time to the master's
    `cutime`/`cstime` once the master waits for it.
    """
    user = system = 0
    for pid, _command, fields in process_stats():
        if int(fields[1]) == master:
            user, system = user + int(fields[11]), system + int(fields[12])
        elif pid == master:
            user += int(fields[11]) + int(fields[13])
            system += int(fields[12]) + int(fields[14])
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


def run_wrk(url: str, seconds: int, connections: int, threads: int,
            script: Path | None = None, master: int | None = None) -> dict:
    """Drive the server with wrk; add the server's CPU milliseconds per request."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "10s"]
    if script is not None:
        cmd += ["-s", str(script)]
    cpu_before = server_cpu_seconds(master) if master else (0.0, 0.0)
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    result = parse_wrk(out)
    if master:
        user, system = (after - before for after, before
                        in zip(server_cpu_seconds(master), cpu_before, strict=True))
        per_request = 1000 / max(result["requests"], 1)
        result["server_cpu_ms_per_request"] = round((user + system) * per_request, 2)
        result["server_system_cpu_ms_per_request"] = round(system * per_request, 2)
    return result


def photo_latencies(port: int, token: str, jpeg: bytes, count: int) -> list[float]:
    """Post the photo `count` times, one after another; return end-to-end times in ms."""
    times = []
    for _ in range(count):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
                f"filename=\"scale.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
        body += jpeg + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/fillings", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}",
                     "Content-Type": f"multipart/form-data; boundary={boundary}"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status = resp.status
                resp.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.read()
        times.append((time.perf_counter() - start) * 1000)
        if status != 201:
            raise SystemExit(f"photo interlock answered {status}")
    return times


def served_with(log: Path) -> str:
    """The workers and threads scripts/serve started, from its log (appended to by each run)."""
    started = [line for line in log.read_text(errors="replace").splitlines()
               if line.startswith("==> gunicorn on")]
    return started[-1].split(", ", 1)[-1] if started else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL database to wipe and use")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent stations")
    parser.add_argument("--workers", type=int, help="default: scripts/serve's (cores + 1)")
    parser.add_argument("--threads", type=int, help="default: scripts/serve's (1)")
    parser.add_argument("--cylinders", type=int, default=5000)
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--paced-rate", type=float, default=1.0,
                        help="scans per second per station in the paced run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run scripts/test as root, or apt-get install wrk")

    work = Path(f"/tmp/interlock-bench-{args.db}")
    work.mkdir(parents=True, exist_ok=True)
    url = fresh_database(args.db, work, args.pg_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan_file = work / "plan.json"
    started = time.monotonic()
    subprocess.run([PY, str(HERE / "interlock_seed.py"), url, str(args.connections),
                    str(args.cylinders), str(plan_file), base], cwd=ROOT, check=True)
    seeded = time.monotonic() - started
    plan = json.loads(plan_file.read_text())["stations"]
    script = wrk_script(plan, f"127.0.0.1:{port}", random.Random(1), work / "interlock.lua")

    server = Server(url, work / "instance", workers=args.workers, threads=args.threads,
                    port=port, extra_env={"PUBLIC_BASE_URL": base})
    server.start()
    assert server.proc is not None
    master = server.proc.pid  # scripts/serve execs gunicorn: this is its master
    try:
        run_wrk(f"{base}/healthz", 3, args.connections, 2)  # warm every worker up
        run_wrk(f"{base}/api/v1/fillings", 3, args.connections, 2, script)
        health = run_wrk(f"{base}/healthz", args.duration, args.connections, 2,
                         master=master)
        interlock = run_wrk(f"{base}/api/v1/fillings", args.duration, args.connections, 2,
                            script, master=master)
        steady = paced("127.0.0.1", port, plan, args.paced_rate, args.duration)
        own = plan[0]["allowed_or_own"]
        jpeg = photo_jpeg(f"{base}/c/{own[0]}", 1600, 1200)
        photo_latencies(port, plan[0]["token"], jpeg, 3)  # warm-up
        photos = photo_latencies(port, plan[0]["token"], jpeg, args.photos)
    finally:
        server.stop()

    ratio = interlock["rps"] / health["rps"]
    report = {
        "db": args.db, "machine": f"{platform.node()} {os.cpu_count()} cores "
        f"{platform.python_implementation()} {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M %Z"), "seed_seconds": round(seeded, 1),
        "load_average_before": os.getloadavg(),
        "gunicorn": served_with(server.log_path),
        "connections": args.connections, "duration_s": args.duration,
        "healthz": health, "interlock": interlock, "ratio": round(ratio, 3), "paced": steady,
        "photo": {"bytes": len(jpeg), "requests": len(photos),
                  "p50_ms": round(statistics.median(photos), 1),
                  "p90_ms": round(statistics.quantiles(photos, n=10)[-1], 1)},
        "targets": {"ratio>=0.40": ratio >= 0.40,
                    "p99<100ms": interlock["p99_ms"] < 100,
                    "no errors": interlock["errors"] == 0 and health["errors"] == 0
                    and steady["errors"] == 0,
                    "paced p99<100ms": steady["p99_ms"] < 100,
                    "photo p50<150ms": statistics.median(photos) < 150},
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    (work / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
