"""Run the service as production does (scripts/serve under gunicorn) for load and crash runs.

Used by scripts/bench/load.py, scripts/bench/crash.py and the CI-sized tests in
tests/reliability: a fresh database per run, the server in its own process group (so one
signal reaches the master and every worker), and a sampler of each worker's memory.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "scripts" / "serve"


def free_port() -> int:
    """Ask the kernel for a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(backend: str, workdir: Path, pg_url: str | None = None,
                   name: str = "rel_load") -> str:
    """Return the URL of an empty database: a new SQLite file, or a recreated PostgreSQL one."""
    if backend == "sqlite":
        path = workdir / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if not pg_url:
        raise ValueError("a PostgreSQL server URL is needed for the postgresql backend")
    if not name.startswith("rel_"):
        raise ValueError("reliability runs only create databases named rel_*")
    admin = create_engine(make_url(pg_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Remove a run's PostgreSQL database (SQLite files go with their temporary directory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    name = parsed.database or ""
    if not name.startswith("rel_"):
        raise ValueError("reliability runs only drop databases named rel_*")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def terminate_connections(url: str) -> int:
    """Kill every server connection to this database, as a PostgreSQL restart would."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": parsed.database}).all())
    finally:
        admin.dispose()


def restart_postgresql() -> float:
    """Restart the whole PostgreSQL cluster (shared!): only the full crash script does this."""
    version = sorted(os.listdir("/etc/postgresql"))[0]
    started = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True)
    return time.monotonic() - started


@dataclass
class MemorySampler:
    """Sample the resident memory of the gunicorn master's children (its workers)."""

    master_pid: int
    interval: float = 0.2
    peaks: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for child in psutil.Process(self.master_pid).children():
                    rss = child.memory_info().rss
                    self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), rss)
            except psutil.Error:
                pass  # the master or a worker just exited; sample again
            self._stop.wait(self.interval)

    def stop(self) -> dict[int, int]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        return dict(self.peaks)


@dataclass
class Server:
    """scripts/serve in its own process group, with the environment of one run."""

    database_url: str
    instance_dir: Path
    workers: int | None = None  # None: scripts/serve's default
    threads: int | None = None
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.instance_dir / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WERKZEUG_"))}
        env.update({
            "DATABASE_URL": self.database_url, "INSTANCE_DIR": str(self.instance_dir),
            "PORT": str(self.port), "BIND": "127.0.0.1", "SECRET_KEY": "reliability-run",
            "PUBLIC_BASE_URL": "https://gas.example.cn", "ACCESS_LOG": "/dev/null",
            "APP_ENV": "production", "LOG_LEVEL": "warning", "SKIP_SETUP": "1",
        })
        if self.workers is not None:
            env["WORKERS"] = str(self.workers)
        if self.threads is not None:
            env["THREADS"] = str(self.threads)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90) -> float:
        """Start (or restart) the server; return the seconds until /healthz answered 200."""
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([str(SERVE)], cwd=ROOT, env=self.env(), stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.starts += 1
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see "
                                   f"{self.log_path}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill9()
        raise RuntimeError(f"server did not become healthy in {timeout} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            return [p.pid for p in psutil.Process(self.proc.pid).children()]
        except psutil.Error:
            return []

    def kill9(self) -> None:
        """Kill the master and every worker at once, as a power cut of the process would."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):  # it died on its own already
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM lets workers finish their requests)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(40)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
