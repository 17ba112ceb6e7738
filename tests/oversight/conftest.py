"""Factories for oversight tests: fills and deliveries appended as events, as the contracts say.

The filling and delivery packages are built in parallel, so their events are appended here
with `record_event` and the documented `data` keys.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask

from app.auth.models import User
from app.extensions import db
from app.traceability.events import record_event
from app.traceability.models import Cylinder, Event

BASE = dt.datetime(2026, 5, 10, 8, 0, tzinfo=dt.UTC)


class Events:
    """Append fills, refusals and deliveries to cylinders as the other packages do.

    Delivery events name real vehicles, customers and drivers (the custody observer keeps
    foreign keys to them): a test's small numbers are mapped to rows made on first use.
    """

    def __init__(self, world: Any) -> None:
        self.world = world
        self._vehicles: dict[int, int] = {}
        self._customers: dict[int, int] = {}

    def vehicle(self, number: int) -> int:
        from app.delivery import fleet

        if number not in self._vehicles:
            admin = self.user("company_admin")
            row = fleet.register_vehicle(admin, f"冀F{number:05d}", f"PERMIT-{number}",
                                         dt.date(2030, 1, 1))
            self._vehicles[number] = row.id
        return self._vehicles[number]

    def customer(self, number: int) -> int:
        from app.delivery import fleet
        from tests.delivery.conftest import resident_id

        if number not in self._customers:
            admin = self.user("company_admin")
            row = fleet.register_customer(admin, fleet.CustomerData(
                name=f"用户{number}", id_kind="person", id_number=resident_id(number),
                kind="household", address=f"莲池区测试路{number}号", lat=38.86, lon=115.48,
                premises="ground", contact_name=f"用户{number}", phone=f"1390000{number:04d}",
                storage_capacity_kg=None))
            self._customers[number] = row.id
        return self._customers[number]

    def driver(self, number: int) -> int:
        return self.world.users["driver"].id

    def user(self, name: str) -> User:
        user = db.session.get(User, self.world.users[name].id)
        assert user is not None
        return user

    def cylinder(self, code: str) -> Cylinder:
        cyl = db.session.scalar(db.select(Cylinder).where(Cylinder.code == code))
        assert cyl is not None
        return cyl

    def add(self, code: str, type_: str, actor: str, *, at: dt.datetime | None = None,
            lat: float | None = None, lon: float | None = None, place: str | None = None,
            **data: Any) -> Event:
        event = record_event(self.cylinder(code), type_, self.user(actor), occurred_at=at,
                             lat=lat, lon=lon, place=place, data=data).event
        db.session.commit()
        return event

    def fill(self, code: str, actor: str = "filler_a", *, net: float = 14.5,
             overfill: bool = False, **kw: Any) -> Event:
        station = self.world.users[actor].org_id
        return self.add(code, "filled", actor, station_org_id=station, net_mass_kg=net,
                        rated_fill_kg=14.9, overfill=overfill, precheck={"valve": True}, **kw)

    def refuse(self, code: str, actor: str = "filler_a", *reasons: str, **kw: Any) -> Event:
        station = self.world.users[actor].org_id
        return self.add(code, "fill_refused", actor, station_org_id=station, reasons=[
            {"code": r, "message": f"拒绝：{r}", "message_en": r} for r in reasons], **kw)

    def dispatch(self, code: str, *, driver_id: int = 7, vehicle_id: int = 3, **kw: Any) -> Event:
        return self.add(code, "dispatched", "driver", vehicle_id=self.vehicle(vehicle_id),
                        driver_id=self.driver(driver_id),
                        station_org_id=self.world.orgs["station_a"], **kw)

    def deliver(self, code: str, customer_id: int = 501, *, driver_id: int = 7,
                safety_check_id: int | None = 9001, out_of_zone: bool = False,
                **kw: Any) -> Event:
        data: dict[str, Any] = {"customer_id": self.customer(customer_id),
                                "vehicle_id": self.vehicle(3), "driver_id": self.driver(driver_id),
                                "out_of_zone": out_of_zone}
        if safety_check_id is not None:
            data["safety_check_id"] = safety_check_id
        return self.add(code, "delivered", "driver", **data, **kw)

    def returned(self, code: str, customer_id: int = 501, **kw: Any) -> Event:
        return self.add(code, "returned", "driver", customer_id=self.customer(customer_id),
                        vehicle_id=self.vehicle(3), driver_id=self.driver(7), **kw)


@pytest.fixture
def events(world: Any, ctx: Flask) -> Events:
    return Events(world)


class Browser:
    """A signed-in test client; each request in a fresh app context, as in production."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def as_user(self, user_id: int) -> Browser:
        with self.client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
        return self

    def get(self, path: str, **kw: Any) -> Any:
        with self.client.application.app_context():
            return self.client.get(path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        with self.client.application.app_context():
            return self.client.post(path, **kw)


@pytest.fixture
def browser(client: Any) -> Browser:
    return Browser(client)
