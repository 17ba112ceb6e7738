"""Generate a district's cylinders and their hash-chained events in bulk, chunk by chunk.

Rows come out as plain dicts in the stored column types; the chain hashes use the same
functions as the application, so every generated history verifies on the history page.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from app.clock import DISTRICT_TZ
from app.traceability.chain import canonical, chained_fields, event_hash
from app.traceability.codes import new_code
from app.traceability.models import GENESIS_HASH
from app.traceability.rules import (
    CylinderFacts,
    LifeRules,
    ModelSpec,
    default_design_life,
    derive_state,
)

MODELS = ["YSP35.5"] * 6 + ["YSP118", "YSP12", "YSP26.2", "YSP4.7"]
MANUFACTURERS = [f"容器制造厂{i:02d}" for i in range(30)]
CENTRE = (38.865, 115.480)
FLAG_KINDS = ["fill_refused", "overfill", "no_safety_check", "out_of_zone", "not_owned",
              "clone_suspected", "black_cylinder"]


@dataclass
class District:
    """The organisations and people the generated events refer to."""

    companies: list[int]
    stations: list[int]
    station_users: dict[int, int]
    company_drivers: dict[int, int]
    agency_user: int
    agency_org: int
    customers: int
    drivers: int
    now: dt.datetime
    span_days: int = 730
    specs: dict[str, ModelSpec] = field(default_factory=dict)
    life: LifeRules | None = None


@dataclass
class Chunk:
    codes: list[dict[str, Any]] = field(default_factory=list)
    cylinders: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    traces: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)


class Generator:
    """Make cylinders with about `per_cylinder` events each, deterministic for a seed."""

    def __init__(self, district: District, per_cylinder: float, seed: int = 7) -> None:
        self.d = district
        self.per = per_cylinder
        self.rng = random.Random(seed)
        self.next_id = 1

    def chunks(self, total: int, batch_id: int, size: int = 5000) -> Iterator[Chunk]:
        made = 0
        while made < total:
            chunk = Chunk()
            for _ in range(min(size, total - made)):
                self.cylinder(chunk, batch_id)
                made += 1
            yield chunk

    def cylinder(self, chunk: Chunk, batch_id: int) -> None:
        rng, d = self.rng, self.d
        cid = self.next_id
        self.next_id += 1
        code = _code(rng)
        owner = rng.choice(d.companies)
        model = rng.choice(MODELS)
        made = dt.date(rng.randint(2012, 2025), rng.randint(1, 12), 1)
        inspected = made + dt.timedelta(days=rng.randint(100, 1500))
        inspected = min(inspected, d.now.date() - dt.timedelta(days=rng.randint(0, 1800)))
        inspected = max(inspected, made)
        life = default_design_life(made, d.life)  # type: ignore[arg-type]
        state = derive_state(CylinderFacts(made, inspected, life), d.specs[model],
                             d.life, d.now.date())  # type: ignore[arg-type]
        chunk.codes.append({"code": code, "batch_id": batch_id, "owner_org_id": owner,
                            "status": "bound", "issued_at": d.now - dt.timedelta(days=d.span_days)})
        events = self._events(cid, code, owner, made, chunk)
        chunk.cylinders.append({
            "id": cid, "code": code, "serial_no": f"S{cid:09d}",
            "manufacturer": MANUFACTURERS[cid % len(MANUFACTURERS)], "model": model,
            "manufactured_on": made, "owner_org_id": owner, "registration_no": f"R{cid}",
            "last_inspected_on": inspected, "design_life_years": life,
            "life_extended_until": None, "refurbished": False, "seized_at": None,
            "scrapped_at": None, "registration_cancelled_at": None,
            "next_inspection_due": state.next_inspection_due,
            "service_life_ends": state.service_life_ends,
            "created_at": events[0]["received_at"], "event_count": len(events),
            "chain_head": events[-1]["hash"]})
        if rng.random() < 0.01:
            kind = rng.choice(FLAG_KINDS)
            raised = d.now - dt.timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
            chunk.flags.append({"kind": kind, "status": "open", "cylinder_id": cid,
                                "code": code, "org_id": rng.choice(d.stations), "user_id": None,
                                "details": {"generated": True}, "occurrences": 1,
                                "raised_at": raised, "last_seen_at": raised,
                                "resolved_at": None, "resolved_by_id": None,
                                "resolution_note": None})

    def _events(self, cid: int, code: str, owner: int, made: dt.date,
                chunk: Chunk) -> list[dict[str, Any]]:
        rng, d = self.rng, self.d
        count = max(1, int(rng.uniform(0.5, 1.5) * self.per))
        start = d.now - dt.timedelta(days=d.span_days - rng.randint(0, 60))
        step = (d.now - start - dt.timedelta(hours=6)) / max(1, count)
        home = rng.choice(d.stations)
        customer = rng.randrange(1, d.customers)
        driver = d.company_drivers[owner]
        trace: dict[str, Any] = {"cylinder_id": cid}
        seen: dict[tuple[str, int], dt.datetime] = {}
        rows: list[dict[str, Any]] = []
        prev = GENESIS_HASH
        cycle = ("filled", "dispatched", "delivered", "returned")
        for seq in range(1, count + 1):
            at = start + step * (seq - 1) + dt.timedelta(seconds=rng.randint(0, 3600))
            at = at.replace(microsecond=rng.randrange(0, 1_000_000, 1000))
            lat = lon = None
            place = None
            if seq == 1:
                kind, actor, org = "registered", None, owner
                data: dict[str, Any] = {"serial_no": f"S{cid:09d}", "manufacturer":
                                        MANUFACTURERS[cid % len(MANUFACTURERS)],
                                        "manufactured_on": made.isoformat()}
            else:
                kind = cycle[(seq - 2) % 4]
                if kind == "filled" and rng.random() < 0.03:
                    kind = "fill_refused"
                if rng.random() < 0.01:
                    kind = "inspected"
                data, actor, org, lat, lon, place = self._data(kind, home, owner, customer,
                                                               driver)
            row = {"id": uuid.UUID(int=rng.getrandbits(128), version=4), "cylinder_id": cid,
                   "seq": seq, "type": kind, "actor_user_id": actor, "actor_org_id": org,
                   "occurred_at": at, "received_at": at + dt.timedelta(seconds=3), "lat": lat,
                   "lon": lon, "place": place, "data": data, "before": None, "after": None,
                   "prev_hash": prev}
            row["hash"] = prev = fast_hash(row, code, prev)
            rows.append(row)
            self._trace(trace, seen, row, cid)
            if kind == "delivered" and rng.random() < 0.2:
                customer = rng.randrange(1, d.customers)
        chunk.events.extend(rows)
        chunk.traces.append({**_EMPTY_TRACE, **trace})
        chunk.parties.extend({"kind": k, "ref_id": r, "cylinder_id": cid, "last_at": at}
                             for (k, r), at in seen.items())
        return rows

    def _data(self, kind: str, home: int, owner: int, customer: int,
              driver: int) -> tuple[dict[str, Any], int, int, float | None, float | None,
                                    str | None]:
        rng, d = self.rng, self.d
        lat = CENTRE[0] + rng.uniform(-0.05, 0.05)
        lon = CENTRE[1] + rng.uniform(-0.05, 0.05)
        if kind == "filled":
            return ({"station_org_id": home, "net_mass_kg": round(rng.uniform(13.5, 14.9), 2),
                     "rated_fill_kg": 14.9, "overfill": rng.random() < 0.005,
                     "precheck": {"valve": True}}, d.station_users[home], home, None, None, None)
        if kind == "fill_refused":
            reason = rng.choice(["inspection_overdue", "not_owned", "beyond_service_life"])
            return ({"station_org_id": home, "reasons": [{"code": reason, "message": reason,
                                                          "message_en": reason}]},
                    d.station_users[home], home, None, None, None)
        if kind == "inspected":
            return ({"result": "pass", "next_due": None, "agency_org_id": d.agency_org},
                    d.agency_user, d.agency_org, None, None, None)
        base = {"vehicle_id": driver, "driver_id": driver}
        if kind == "dispatched":
            return ({**base, "station_org_id": home}, driver, owner, None, None, None)
        if kind == "delivered":
            check = rng.randrange(1, 10**7) if rng.random() < 0.9 else None
            return ({**base, "customer_id": customer, "safety_check_id": check,
                     "out_of_zone": rng.random() < 0.01}, driver, owner, lat, lon, "用户")
        return ({**base, "customer_id": customer}, driver, owner, None, None, None)

    @staticmethod
    def _trace(trace: dict[str, Any], seen: dict[tuple[str, int], dt.datetime],
               row: dict[str, Any], cid: int) -> None:
        at, kind, data = row["occurred_at"], row["type"], row["data"]
        trace["last_event_at"], trace["last_event_type"] = at, kind
        trace["last_seen_on"] = at.astimezone(DISTRICT_TZ).date()
        if kind == "filled":
            trace.update(last_fill_org_id=data["station_org_id"], last_filled_at=at,
                         last_fill_event_id=str(row["id"]), custody="station",
                         custody_ref=data["station_org_id"], custody_at=at,
                         custody_event_id=str(row["id"]))
        elif kind in ("dispatched", "returned", "delivered"):
            custody = "customer" if kind == "delivered" else "vehicle"
            ref = data["customer_id"] if kind == "delivered" else data["vehicle_id"]
            trace.update(custody=custody, custody_ref=ref, custody_at=at,
                         custody_event_id=str(row["id"]))
            seen[("driver", data["driver_id"])] = at
            if "customer_id" in data:
                seen[("customer", data["customer_id"])] = at
            if kind == "delivered":
                trace.update(last_delivered_at=at, last_delivery_lat=row["lat"],
                             last_delivery_lon=row["lon"], last_delivery_event_id=str(row["id"]))


_EMPTY_TRACE = {k: None for k in (
    "last_event_at", "last_event_type", "last_seen_on", "last_fill_org_id", "last_filled_at",
    "last_fill_event_id", "custody", "custody_ref", "custody_at", "custody_event_id",
    "last_delivered_at", "last_delivery_lat", "last_delivery_lon", "last_delivery_event_id")}

def _iso(at: dt.datetime) -> str:
    return (f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:"
            f"{at.second:02d}.{at.microsecond:06d}Z")


def fast_hash(row: dict[str, Any], code: str, prev: str) -> str:
    """The application's event hash, with times pre-rendered so json's C encoder runs."""
    fields = chained_fields(SimpleNamespace(**row), code)
    fields["occurred_at"], fields["received_at"] = _iso(row["occurred_at"]), _iso(
        row["received_at"])
    return hashlib.sha256(prev.encode() + canonical(fields)).hexdigest()


def check_fast_hash(rows: list[dict[str, Any]], code: str) -> None:
    """Prove the fast path equals the application's hash on real rows."""
    prev = GENESIS_HASH
    for row in rows:
        assert row["hash"] == event_hash(chained_fields(SimpleNamespace(**row), code), prev)
        prev = row["hash"]


def make_chunk(args: tuple[District, float, int, int, int, int]) -> Chunk:
    """Generate one chunk in a worker process: its own seed and its own id range."""
    district, per, seed, first_id, count, batch_id = args
    gen = Generator(district, per, seed)
    gen.next_id = first_id
    chunk = Chunk()
    for _ in range(count):
        gen.cylinder(chunk, batch_id)
    return chunk


def _code(rng: random.Random) -> str:
    """A valid random code from the seeded generator (new_code draws from `secrets`)."""
    while True:
        try:
            return new_code(rng.getrandbits(75))
        except ValueError:
            continue
