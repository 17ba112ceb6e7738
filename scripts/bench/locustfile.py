"""A district under load: stations, drivers, regulators, the public and a print shop.

Stations scan and fill, drivers hand cylinders over, regulators search, the public scans the
QR, a print shop downloads labels. Run through scripts/bench/load.py, which seeds the
district, starts the server and sets LOAD_DISTRICT (the seeded tokens and codes) and
LOAD_HOST. Each domain's task is switched on only when its operation is in
/api/v1/openapi.json (or its page answers), so a build without the filling interlock still
runs; adding a domain's task is a few lines here.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

import requests
from locust import FastHttpUser, between, constant_throughput, task

DISTRICT: dict[str, Any] = json.loads(Path(os.environ["LOAD_DISTRICT"]).read_text())
HOST = os.environ["LOAD_HOST"]


def _operations() -> set[tuple[str, str]]:
    paths = requests.get(HOST + "/api/v1/openapi.json", timeout=30).json()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


OPERATIONS = _operations()
PUBLIC_PAGE = requests.get(f"{HOST}/c/{DISTRICT['all_codes'][0]}", timeout=30).status_code != 404
_spare = {s["org_id"]: iter(s["spare"]) for s in [*DISTRICT["stations"], DISTRICT["company"]]}
_station_turn = itertools.count()


def offers(method: str, path: str) -> bool:
    """Tell whether this build serves an operation (domains merge at different times)."""
    return (method, path) in OPERATIONS


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Station(FastHttpUser):
    """A filling-line operator: scan a cylinder about every second, fill it, register new ones."""

    weight = 6
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.station = DISTRICT["stations"][next(_station_turn) % len(DISTRICT["stations"])]
        self.auth = bearer(random.choice(self.station["tokens"]))

    def scan(self) -> None:
        code = random.choice(self.station["codes"])
        self.client.get(f"/api/v1/cylinders/{code}", headers=self.auth,
                        name="/api/v1/cylinders/[code]")

    @task(6)
    def fill(self) -> None:
        if not offers("POST", "/api/v1/fillings"):
            self.scan()
            return
        body = {"code": random.choice(self.station["codes"]), "event_id": str(uuid.uuid4()),
                "net_mass_kg": 14.6, "precheck": {k: True for k in (
                    "residual_pressure_ok", "no_damage", "no_fire_exposure", "tare_known",
                    "standard_valve")}}
        with self.client.post("/api/v1/fillings", json=body, headers=self.auth,
                              catch_response=True) as resp:
            if resp.status_code in (201, 409):  # 409: the interlock refused, a valid answer
                resp.success()

    @task(3)
    def scan_task(self) -> None:
        self.scan()

    @task(1)
    def history(self) -> None:
        code = random.choice(self.station["codes"])
        self.client.get(f"/api/v1/cylinders/{code}/history", headers=self.auth,
                        name="/api/v1/cylinders/[code]/history")

    @task(1)
    def register(self) -> None:
        code = next(_spare[self.station["org_id"]], None)
        if code is None:
            self.scan()
            return
        body = {"code": code, "serial_no": f"NEW-{code}", "manufacturer": "百工容器",
                "model": "YSP35.5", "manufactured_on": "2025-01-01",
                "owner_org_id": self.station["org_id"]}
        self.client.post("/api/v1/cylinders", json=body, name="/api/v1/cylinders",
                         headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())})


class Driver(FastHttpUser):
    """A delivery driver: look up what is handed over (deliveries when that domain is in)."""

    weight = 3
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.auth = bearer(random.choice(DISTRICT["company"]["driver_tokens"]))

    @task
    def handover(self) -> None:
        code = random.choice(DISTRICT["company"]["codes"])
        if offers("GET", "/api/v1/cylinders/{code}/custody"):
            self.client.get(f"/api/v1/cylinders/{code}/custody", headers=self.auth,
                            name="/api/v1/cylinders/[code]/custody")
            return
        self.client.get(f"/api/v1/cylinders/{code}", headers=self.auth,
                        name="/api/v1/cylinders/[code]")


class Regulator(FastHttpUser):
    """A regulator's office: search, open a cylinder's timeline, look at flags and print jobs."""

    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.auth = bearer(random.choice(DISTRICT["regulators"]))

    @task(3)
    def search(self) -> None:
        code = random.choice(DISTRICT["all_codes"])
        if offers("GET", "/api/v1/cylinders"):
            self.client.get(f"/api/v1/cylinders?q={code[:6]}", headers=self.auth,
                            name="/api/v1/cylinders?q=[part]")
        else:
            self.client.get(f"/api/v1/cylinders/{code}", headers=self.auth,
                            name="/api/v1/cylinders/[code]")

    @task(2)
    def timeline(self) -> None:
        code = random.choice(DISTRICT["all_codes"])
        self.client.get(f"/api/v1/cylinders/{code}/history", headers=self.auth,
                        name="/api/v1/cylinders/[code]/history")

    @task(1)
    def flags(self) -> None:
        self.client.get("/api/v1/flags", headers=self.auth)

    @task(1)
    def print_jobs(self) -> None:
        self.client.get("/api/v1/print-jobs", headers=self.auth)


class Public(FastHttpUser):
    """Anyone scanning the QR on a cylinder with a phone (the public page, when it is in)."""

    weight = 4
    abstract = not PUBLIC_PAGE
    wait_time = between(2, 6)

    @task
    def page(self) -> None:
        self.client.get(f"/c/{random.choice(DISTRICT['all_codes'])}", name="/c/[code]")


class PrintShop(FastHttpUser):
    """A print shop: list its batches, preview a sheet, download ZPL and PDF (reprints)."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.auth = bearer(DISTRICT["printer"]["token"])

    @task(2)
    def batches(self) -> None:
        self.client.get("/api/v1/code-batches", headers=self.auth)

    @task(1)
    def zpl(self) -> None:
        batch = random.choice(DISTRICT["printer"]["batches"])
        self.client.get(f"/api/v1/code-batches/{batch}/labels.zpl?reason=load", headers=self.auth,
                        name="/api/v1/code-batches/[id]/labels.zpl")

    @task(1)
    def pdf(self) -> None:
        batch = random.choice(DISTRICT["printer"]["batches"])
        self.client.get(f"/api/v1/code-batches/{batch}/labels.pdf?reason=load", headers=self.auth,
                        name="/api/v1/code-batches/[id]/labels.pdf")


class Health(FastHttpUser):
    """The load balancer's health check: the baseline every latency is compared with."""

    fixed_count = 1
    wait_time = constant_throughput(4)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz")
