"""Factories for the delivery round: a company with a vehicle, an area, an assigned driver and
customers, cylinders filled at a station (by appending `filled` events, as the interlock will)."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from stdnum.cn import ric, uscc

from app.auth import services as auth
from app.auth.models import User
from app.delivery.models import Custody
from app.extensions import db
from app.traceability.events import record_event
from app.traceability.flags import raise_flag
from app.traceability.services import find_cylinder

AREA = [[115.46, 38.85], [115.50, 38.85], [115.50, 38.88], [115.46, 38.88]]
INSIDE = {"lon": 115.47, "lat": 38.86}
OUTSIDE = {"lon": 115.55, "lat": 38.86}
DAY = "2026-06-15"
ITEMS = ("hose_over_2m", "tee_connection", "hose_through_wall", "no_gas_detector",
         "no_shutoff_valve", "underground_use", "storage_over_100kg_no_room",
         "spare_not_separated", "dual_phase_cylinder", "adjustable_regulator",
         "medium_pressure_supply", "substandard_appliance", "two_gas_sources")
PNG_1PX = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
           "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def resident_id(n: int) -> str:
    body = f"13060619800101{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def licence_code(n: int) -> str:
    body = f"9113060{n % 10**10:010d}"
    return body + uscc.calc_check_digit(body)


def checklist(**states: str) -> dict[str, str]:
    """All 13 items pass unless named otherwise."""
    return {item: states.get(item, "pass") for item in ITEMS}


def at(minute: int, day: str = DAY) -> str:
    """A device time on the test day (Beijing time)."""
    return (dt.datetime.fromisoformat(f"{day}T09:00:00+08:00")
            + dt.timedelta(minutes=minute)).isoformat()


@dataclass
class Fleet:
    """A gas company's set-up made through the API, plus helpers to fill and step."""

    api: Any
    world: Any
    registry: Any
    ids: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)
    clock: int = 0

    def post(self, path: str, actor: Any, body: dict, status: int | None = None) -> Any:
        resp = self.api.post(path, actor, json=body)
        if status is not None:
            assert resp.status_code == status, resp.json
        return resp

    def customer(self, key: str, kind: str = "household", *, position: dict | None = None,
                 premises: str = "ground", room: bool = False, **extra: Any) -> int:
        n = len(self.customers) + 1
        business = kind != "household"
        body = {"name": f"用户{key}", "kind": kind,
                "id_kind": "business_licence" if business else "person",
                "id_number": licence_code(n) if business else resident_id(n),
                "address": f"莲池区东关大街{n}号", **(position or INSIDE), "premises": premises,
                "has_cylinder_room": room, "contact_name": f"负责人{key}", **extra}
        self.customers[key] = self.post("/api/v1/customers", self.world.company_admin, body,
                                        201).json["id"]
        return self.customers[key]

    def cylinder(self, model: str = "YSP35.5", filled: bool = True, **kw: Any) -> str:
        code = self.registry.cylinder(model=model)["code"]
        if filled:
            self.fill(code, **kw)
        return code

    def fill(self, code: str, overfill: bool = False, station: str = "station_a") -> None:
        filler = db.session.get(User, self.world.users[f"filler_{station[-1]}"].id)
        cyl = find_cylinder(code)
        record_event(cyl, "filled", filler, data={
            "station_org_id": self.world.orgs[station], "net_mass_kg": 15.4 if overfill else 14.8,
            "rated_fill_kg": 14.9, "overfill": overfill, "precheck": {"valve": True}})
        if overfill:  # as the interlock does: the cylinder is held until a re-weigh
            raise_flag("overfill", cylinder=cyl, actor=filler, details={"net_mass_kg": 15.4})
        db.session.commit()

    def when(self) -> str:
        self.clock += 1
        return at(self.clock)

    def dispatch(self, code: str, actor: Any = None, **body: Any) -> Any:
        return self.post("/api/v1/dispatches", actor or self.world.driver,
                         {"code": code, "occurred_at": self.when(), **body})

    def deliver(self, code: str, customer: str, actor: Any = None, position: dict | None = None,
                **body: Any) -> Any:
        return self.post("/api/v1/deliveries", actor or self.world.driver, {
            "code": code, "customer_id": self.customers[customer], "occurred_at": self.when(),
            **(INSIDE if position is None else position), **body})

    def check(self, customer: str, actor: Any = None, photos: dict | None = None,
              **states: str) -> Any:
        return self.post("/api/v1/safety-checks", actor or self.world.driver, {
            "event_id": str(uuid.uuid4()), "customer_id": self.customers[customer],
            "occurred_at": self.when(), **INSIDE, "items": checklist(**states),
            "photos": photos if photos is not None else {k: PNG_1PX for k in states}})

    def take_back(self, code: str, customer: str, actor: Any = None, **body: Any) -> Any:
        return self.post("/api/v1/returns", actor or self.world.driver, {
            "code": code, "customer_id": self.customers[customer], "occurred_at": self.when(),
            **INSIDE, **body})

    def unload(self, code: str, actor: Any = None, **body: Any) -> Any:
        return self.post("/api/v1/unloads", actor or self.world.driver,
                         {"code": code, "occurred_at": self.when(), **body})

    def custody(self, code: str) -> dict:
        resp = self.api.get(f"/api/v1/cylinders/{code}/custody", self.world.regulator)
        assert resp.status_code == 200, resp.json
        return resp.json["holder"]


def stored_custody(code: str) -> tuple:
    """The custody row as stored now: (holder kind, org, since, event id)."""
    db.session.rollback()  # a fresh read: end any snapshot this test session holds
    cyl = find_cylinder(code)
    assert cyl is not None
    row = db.session.get(Custody, cyl.id)
    assert row is not None
    return row.holder_kind, row.org_id, row.since, row.event_id


def add_driver(world: Any, name: str, org: str = "company") -> Any:
    """A second driver (the shared world has one)."""
    from tests.conftest import Actor

    user = auth.create_user(None, name, world.orgs[org], "driver")
    actor = Actor(name, user.id, user.org_id, "driver", auth.issue_token(user))
    db.session.commit()
    world.users[name] = actor
    return actor


@pytest.fixture
def fleet(api, world, registry) -> Fleet:
    """Vehicle 冀F10001 and area 东关片区 assigned to `driver` for June 2026; two spare vehicles."""
    return make_fleet(api, world, registry)


def make_fleet(api: Any, world: Any, registry: Any) -> Fleet:
    """The `fleet` fixture's set-up, for tests that build a district of their own."""
    f = Fleet(api, world, registry)
    admin = world.company_admin
    for key, plate in (("vehicle", "冀F10001"), ("spare", "冀F10002")):
        f.ids[key] = f.post("/api/v1/vehicles", admin, {
            "plate": plate, "permit_no": f"冀交运管危字{plate[-5:]}",
            "permit_expires_on": "2027-03-31"}, 201).json["id"]
    f.ids["area"] = f.post("/api/v1/areas", admin, {"name": "东关片区", "polygon": AREA},
                           201).json["id"]
    resp = f.api.put(f"/api/v1/drivers/{world.driver.id}/certificate", admin,
                     json={"certificate_no": "冀F-QP-0001", "certificate_expires_on": "2028-01-01"})
    assert resp.status_code == 200, resp.json
    f.ids["assignment"] = f.post("/api/v1/assignments", admin, {
        "driver_id": world.driver.id, "vehicle_id": f.ids["vehicle"], "area_id": f.ids["area"],
        "starts_on": "2026-06-01", "ends_on": "2026-06-30"}, 201).json["id"]
    # the station that fills the company's cylinders (and so takes them back) in 2026
    f.post("/api/v1/entrustments", admin, {
        "owner_org_id": world.orgs["company"], "station_org_id": world.orgs["station_a"],
        "valid_from": "2026-01-01", "valid_to": "2026-12-31"}, 201)
    return f
