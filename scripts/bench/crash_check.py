"""Writers that keep a journal while the server is killed, and the checks that follow.

Each writer thread sends POSTs that carry an Idempotency-Key (new code batches, cylinder
registrations) and writes down what it sent and what came back: a status, or nothing when
the connection died. After the faults, `verify` proves from the journal and the database
that every request answered with success is stored exactly once, that nothing unanswered is
half-written, that every hash chain verifies, and that retries replay instead of duplicating.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from scripts.bench.load_district import District, make_app


@dataclass
class Attempt:
    """One request as the client saw it."""

    kind: str
    key: str
    body: dict[str, Any]
    sent_at: float
    status: int | None = None
    answer: dict[str, Any] | None = None
    lost: int = 0  # sends that got no answer (connection refused or cut) or a 503
    answered_at: float | None = None
    last_sent_at: float = 0.0
    replayed: bool = False


@dataclass
class Journal:
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def first_success_after(self, moment: float) -> float | None:
        """Seconds from a fault until the next write answered with success."""
        times = [a.answered_at for a in list(self.attempts)
                 if a.status == 201 and a.answered_at and a.last_sent_at > moment]
        return min(times) - moment if times else None

    def summary(self) -> dict[str, int]:
        counts = Counter("unanswered" if a.status is None else str(a.status)
                         for a in self.attempts)
        return dict(sorted(counts.items()))


class Writers:
    """Threads that write through the API as fast as the server answers, faults or not."""

    def __init__(self, base_url: str, district: District, threads: int = 4,
                 seed: int = 7) -> None:
        self.base_url = base_url
        self.district = district
        self.journal = Journal()
        self.stop_event = threading.Event()
        self.rng = random.Random(seed)
        self.spare = list(district.company["spare"])
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(30)

    def _next(self) -> tuple[str, str, dict[str, Any]]:
        with self.lock:
            if self.rng.random() < 0.3 or not self.spare:
                return ("batch", "/api/v1/code-batches",
                        {"count": self.rng.randint(1, 5),
                         "owner_org_id": self.district.company["org_id"]})
            code = self.spare.pop()
        return ("register", "/api/v1/cylinders", {
            "code": code, "serial_no": f"CRASH-{code}", "manufacturer": "百工容器",
            "model": "YSP35.5", "manufactured_on": "2024-01-01",
            "owner_org_id": self.district.company["org_id"]})

    def _run(self) -> None:
        session = self._session()
        while not self.stop_event.is_set():
            kind, path, body = self._next()
            attempt = Attempt(kind, str(uuid.uuid4()), body, time.monotonic())
            self.journal.add(attempt)
            # like a phone: resend the same request with the same key until it is answered
            while not self.stop_event.is_set():
                attempt.last_sent_at = time.monotonic()
                try:
                    resp = session.post(self.base_url + path, json=body, timeout=20,
                                        headers={"Idempotency-Key": attempt.key})
                except requests.RequestException:
                    attempt.lost += 1
                    session.close()
                    session = self._session()
                    time.sleep(0.1)
                    continue
                attempt.status = resp.status_code
                attempt.answered_at = time.monotonic()
                attempt.replayed = resp.headers.get("Idempotent-Replayed") == "true"
                try:
                    attempt.answer = resp.json()
                except ValueError:
                    attempt.answer = {"raw": resp.text[:200]}
                if resp.status_code != 503:  # 503: the database is restarting, try again
                    break
                attempt.lost += 1
                time.sleep(0.1)

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.district.regulators[0]}"
        return session


PATHS = {"batch": "/api/v1/code-batches", "register": "/api/v1/cylinders"}


@dataclass
class Verdict:
    attempts: int
    answered_ok: int
    outcomes: dict[str, int]
    resent: int
    stored_before_answer_lost: int
    retried_replayed: int
    retried_created: int
    problems: list[str]
    chain: str

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(base_url: str, database_url: str, instance: Path, district: District,
           journal: Journal) -> Verdict:
    """Check exactly-once from the journal, the database and the chain; retry the rest."""
    problems: list[str] = []
    answered = [a for a in journal.attempts if a.status is not None and 200 <= a.status < 300]
    answered_ids = {id(a) for a in answered}
    for attempt in journal.attempts:
        if attempt.status is not None and attempt.status >= 500 and attempt.status != 503:
            problems.append(f"{attempt.kind} answered {attempt.status}: {attempt.answer}")
    replayed = created = 0
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {district.regulators[0]}"
    for attempt in journal.attempts:
        resp = session.post(base_url + PATHS[attempt.kind], json=attempt.body, timeout=30,
                            headers={"Idempotency-Key": attempt.key})
        again = resp.headers.get("Idempotent-Replayed") == "true"
        if resp.status_code != 201:
            problems.append(f"retry of {attempt.kind} {attempt.key} answered "
                            f"{resp.status_code}: {resp.text[:200]}")
            continue
        replayed += again
        created += not again
        if id(attempt) in answered_ids and not (again and resp.json() == attempt.answer):
            problems.append(f"{attempt.kind} {attempt.key} was answered {attempt.status} but a "
                            "retry did not replay the same answer: it was not stored")
    problems += _check_database(database_url, instance, district, journal)
    chain_ok, chain = _verify_chain(database_url, instance)
    if not chain_ok:
        problems.append(f"verify-chain: {chain}")
    session.close()
    health = requests.get(base_url + "/healthz", timeout=10)
    if health.status_code != 200:
        problems.append(f"/healthz answered {health.status_code} after recovery")
    resent = [a for a in answered if a.lost]
    return Verdict(len(journal.attempts), len(answered), journal.summary(), len(resent),
                   sum(a.replayed for a in resent), replayed, created, problems, chain)


def _check_database(database_url: str, instance: Path, district: District,
                    journal: Journal) -> list[str]:
    from app.extensions import db
    from app.idempotency import IdempotencyRecord
    from app.traceability.models import Code, CodeBatch, Cylinder, Event

    problems: list[str] = []
    batches = [a for a in journal.attempts if a.kind == "batch"]
    registrations = [a for a in journal.attempts if a.kind == "register"]
    app = make_app(database_url, instance)
    with app.app_context():
        owner = district.company["org_id"]
        # the seed made two batches for the company (its codes, its print batch)
        stored = db.session.scalar(select(func.count()).select_from(CodeBatch)
                                   .where(CodeBatch.owner_org_id == owner)) - 2
        if stored != len(batches):
            problems.append(f"{len(batches)} batch requests (each retried) stored {stored} "
                            "batches: not exactly once")
        for batch in db.session.scalars(select(CodeBatch).where(CodeBatch.owner_org_id == owner)):
            codes = db.session.scalar(select(func.count()).select_from(Code)
                                      .where(Code.batch_id == batch.id))
            if codes != batch.count:
                problems.append(f"batch {batch.id} holds {codes} of its {batch.count} codes")
        for attempt in registrations:
            code = attempt.body["code"]
            cylinders = db.session.scalars(select(Cylinder).where(Cylinder.code == code)).all()
            if len(cylinders) != 1:
                problems.append(f"code {code}: {len(cylinders)} cylinders after retries")
                continue
            types = db.session.scalars(select(Event.type).where(
                Event.cylinder_id == cylinders[0].id)).all()
            if types != ["registered"]:
                problems.append(f"code {code}: events {types}, expected one 'registered'")
        bound = db.session.scalar(select(func.count()).select_from(Code)
                                  .where(Code.status == "bound"))
        cylinders = db.session.scalar(select(func.count()).select_from(Cylinder))
        if bound != cylinders:
            problems.append(f"{bound} codes bound but {cylinders} cylinders: half-written")
        keys = db.session.scalar(select(func.count()).select_from(IdempotencyRecord))
        if keys != len(journal.attempts):
            problems.append(f"{keys} idempotency records for {len(journal.attempts)} keys")
        db.session.remove()
        db.engine.dispose()
    return problems


def _verify_chain(database_url: str, instance: Path) -> tuple[bool, str]:
    from app.extensions import db

    app = make_app(database_url, instance)
    result = app.test_cli_runner().invoke(args=["verify-chain"])
    with app.app_context():
        db.engine.dispose()
    lines = result.output.strip().splitlines()
    return result.exit_code == 0, lines[-1] if lines else "(no output)"
