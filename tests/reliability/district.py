"""The authorisation matrix's district: one organisation's objects of every kind, with canaries,
and for every role a user of the owning organisation and one of another.

Two owners: station A holds the registry's, the printing and the filling objects (codes,
batches, flags, tokens, fill records, entrustments; the regulators' blacklist entries and
public reports sit beside them), and the gas company holds the delivery round's (customers,
vehicles, areas, drivers, hazards, photos). Station B and a second gas company are the other side.
"""
from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import ApiToken, User
from app.extensions import db
from app.oversight.public import submit_report
from app.traceability.codes import new_code
from app.traceability.flags import raise_flag
from app.traceability.models import Cylinder
from tests.conftest import Actor
from tests.delivery.conftest import ITEMS, make_fleet

CANARIES = ("CANARY-SERIAL-A", "CANARY-REG-A", "CANARY-PERSON-A", "CANARY-FLAG-A")
COMPANY_CANARIES = ("CANARY-CUSTOMER-A", "CANARY-CONTACT-A", "CANARY-ADDRESS-A")
FLAG_KINDS = ("not_owned", "overfill", "out_of_zone", "wrong_vehicle", "no_safety_check",
              "clone_suspected", "fill_refused", "hazard_overdue")
# The delivery round's objects belong to a gas company, not to a station.
COMPANY_OBJECTS = frozenset({"customer_id", "vehicle_id", "area_id", "driver_id", "hazard_id",
                             "photo_id", "assignment_id"})


def missing(name: str, kind: str) -> str:
    """A well-formed id of nothing: fill records are named by a UUID, the rest by a code or int."""
    if name == "event_id":
        return str(uuid.UUID(int=0x4000_8000_0000_0000_0000))
    return "2000000000" if kind == "int" else MISSING_CODE


MISSING_CODE = new_code()  # a well-formed code never issued


class District:
    """Station A's and the company's data (with canaries); for every role an owner and another."""

    def __init__(self, world: Any, registry: Any) -> None:
        self.world, self.registry, self.api = world, registry, registry.api
        orgs = world.orgs
        extra = {"printer_b": auth.create_org("另一家印务", "printer").id,
                 "company_b": auth.create_org("另一家燃气公司", "gas_company").id}
        self.orgs = {**orgs, **extra}
        self.own: dict[str, Actor] = {"filler": world.filler_a, "admin": world.station_a_admin,
                                      "printer": world.printer, "regulator": world.regulator,
                                      "inspector": world.inspector}
        self.other: dict[str, Actor] = {"filler": world.filler_b, "printer": None,
                                        "regulator": world.regulator,
                                        "inspector": world.inspector}
        self.own["driver"] = self._user("driver_a", "station_a", "driver")
        self.other["driver"] = world.driver
        self.other["admin"] = self._user("station_b_admin", "station_b", "admin")
        self.other["printer"] = self._user("printer_b", "printer_b", "printer")
        self.company_own = {**self.own, "admin": world.company_admin, "driver": world.driver,
                            "filler": world.company_filler}
        self.company_other = {**self.other, "admin": self._user("company_b_admin", "company_b",
                                                                "admin"),
                              "driver": self._user("company_b_driver", "company_b", "driver"),
                              "filler": self._user("company_b_filler", "company_b", "filler")}
        self.flag_kinds = iter(FLAG_KINDS)
        self.made = 0  # a counter for names that must not repeat
        person = db.session.get(User, world.filler_a.id)
        person.display_name = "CANARY-PERSON-A"
        db.session.commit()
        self.cylinder_code = registry.cylinder(
            owner="station_a", serial_no="CANARY-SERIAL-A", registration_no="CANARY-REG-A")["code"]
        self.batch_id, self.batch_codes = self.new_batch()
        self.flag_id = self.new_flag()
        self.token_id = self.new_token()
        self.event_id = self.new_fill()
        self.entrustment_id = self.new_entrustment()
        self.entry_id = self.new_blacklist_entry()
        self.report_id = self.new_public_report()
        self.secrets = (*CANARIES, self.cylinder_code, *self.batch_codes)
        self._company()

    def _company(self) -> None:
        """The gas company's fleet, a customer with canaries and a hazard with its photo."""
        self.fleet = make_fleet(self.api, self.world, self.registry)
        self.customer_id = self.fleet.customer(
            "CANARY-CUSTOMER-A", contact_name="CANARY-CONTACT-A", address="CANARY-ADDRESS-A")
        self.hazard_items = itertools.cycle(ITEMS)  # each failure needs a photo: sent
        self.hazard_id, self.photo_id = self.new_hazard()
        self.company_secrets = COMPANY_CANARIES

    def _user(self, name: str, org: str, role: str) -> Actor:
        user = auth.create_user(None, name, self.orgs[org], role)
        token = auth.issue_token(user)
        db.session.commit()
        return Actor(name, user.id, user.org_id, role, token)

    def sides(self, params: list[str]) -> tuple[dict[str, Actor], dict[str, Actor]]:
        """(the owner's users, another organisation's users) for a route naming `params`."""
        if COMPANY_OBJECTS & set(params):
            return self.company_own, self.company_other
        return self.own, self.other

    def new_batch(self) -> tuple[int, list[str]]:
        resp = self.api.post("/api/v1/code-batches", self.world.regulator,
                             json={"count": 2, "owner_org_id": self.orgs["station_a"]})
        batch_id = resp.json["id"]
        assigned = self.api.post(f"/api/v1/code-batches/{batch_id}/assign", self.world.regulator,
                                 json={"printer_org_id": self.orgs["printer"]})
        assert assigned.status_code == 200
        return batch_id, [c["code"] for c in resp.json["codes"]]

    def new_flag(self) -> int:
        """Raise a flag on A's cylinder (a new kind each time: a repeat would count up)."""
        db.session.rollback()  # drop a read snapshot older than the API's writes (SQLite)
        cyl = db.session.scalar(select(Cylinder).where(Cylinder.code == self.cylinder_code))
        actor = db.session.get(User, self.world.filler_a.id)
        flag = raise_flag(next(self.flag_kinds), cylinder=cyl, actor=actor,
                          details={"note": "CANARY-FLAG-A"})
        db.session.commit()
        return flag.id

    def new_token(self) -> int:
        db.session.rollback()  # as in new_flag
        user = db.session.get(User, self.world.filler_a.id)
        token = auth.issue_token(user, label="victim")
        db.session.commit()
        return db.session.scalar(select(ApiToken.id).where(
            ApiToken.token_hash == auth.hash_token(token)))

    def new_user(self) -> int:
        """A filler of station A, to deactivate."""
        self.made += 1
        db.session.rollback()  # as in new_flag
        user = auth.create_user(None, f"matrix_filler{self.made}", self.orgs["station_a"],
                                "filler")
        db.session.commit()
        return user.id

    def new_fill(self) -> str:
        """Fill one of A's own cylinders at A's scale; the fill record's event id."""
        code = self.registry.cylinder(owner="station_a")["code"]
        resp = self.api.post("/api/v1/fillings", self.world.filler_a,
                             json={"code": code, "net_mass_kg": 14.5})
        assert resp.status_code == 201, resp.json
        return resp.json["fill"]["event_id"]

    def new_entrustment(self) -> int:
        """The company entrusts its cylinders to station A (station B is no party to it)."""
        self.made += 1
        resp = self.api.post("/api/v1/entrustments", self.world.regulator, json={
            "owner_org_id": self.orgs["company"], "station_org_id": self.orgs["station_a"],
            "valid_from": f"{2030 + self.made}-01-01", "valid_to": f"{2030 + self.made}-12-31"})
        assert resp.status_code == 201, resp.json
        return resp.json["id"]

    def new_blacklist_entry(self) -> int:
        """A regulator's entry: only regulators may lift it."""
        self.made += 1
        resp = self.api.post("/api/v1/blacklist", self.world.regulator, json={
            "scope": "manufacturer", "manufacturer": f"矩阵容器厂{self.made}",
            "reason": "authz matrix"})
        assert resp.status_code == 201, resp.json
        return resp.json["id"]

    def new_public_report(self) -> int:
        """A report from the public page about A's cylinder: only regulators may close it."""
        db.session.rollback()  # as in new_flag
        report = submit_report(self.cylinder_code, "other", "authz matrix", None)
        db.session.commit()
        return report.id

    def new_hazard(self, photo: str | None = None) -> tuple[int, int]:
        """A failed item at the company's customer: the hazard and its photo (a data URL)."""
        key, item = self._customer_key(), next(self.hazard_items)
        resp = self.fleet.check(key, photos={item: photo} if photo else None, **{item: "fail"})
        assert resp.status_code == 201, resp.json
        hazard_id = resp.json["hazards"][0]
        shown = self.api.get(f"/api/v1/hazards?customer_id={self.customer_id}",
                             self.world.company_admin)
        photo_id = next(h["photo_id"] for h in shown.json["hazards"] if h["id"] == hazard_id)
        return hazard_id, photo_id

    def new_assignment(self) -> int:
        """A one-day assignment that has not started (each on a later day), to change or end."""
        self.made += 1
        day = (dt.date(2026, 7, 1) + dt.timedelta(days=self.made)).isoformat()
        resp = self.api.post("/api/v1/assignments", self.world.company_admin, json={
            "driver_id": self.world.driver.id, "vehicle_id": self.fleet.ids["spare"],
            "area_id": self.fleet.ids["area"], "starts_on": day, "ends_on": day})
        assert resp.status_code == 201, resp.json
        return resp.json["id"]

    def _customer_key(self) -> str:
        return next(k for k, v in self.fleet.customers.items() if v == self.customer_id)

    def objects(self, fresh: bool, rule: str = "") -> dict[str, Callable[[], str]]:
        """Path parameter -> the owner's object; fresh ones for writes, which may change it."""
        label = rule.startswith("/api/v1/codes/")  # a printable code, not a cylinder's
        return {
            "code": lambda: self.batch_codes[0] if label else self.cylinder_code,
            "batch_id": lambda: str(self.new_batch()[0] if fresh else self.batch_id),
            "flag_id": lambda: str(self.new_flag() if fresh else self.flag_id),
            "token_id": lambda: str(self.new_token() if fresh else self.token_id),
            "user_id": lambda: str(self.new_user() if fresh else self.world.filler_a.id),
            "event_id": lambda: self.new_fill() if fresh else self.event_id,
            "entrustment_id": lambda: str(self.new_entrustment() if fresh
                                          else self.entrustment_id),
            "entry_id": lambda: str(self.new_blacklist_entry() if fresh else self.entry_id),
            "report_id": lambda: str(self.new_public_report() if fresh else self.report_id),
            "customer_id": lambda: str(self.customer_id),
            "vehicle_id": lambda: str(self.fleet.ids["vehicle"]),
            "area_id": lambda: str(self.fleet.ids["area"]),
            "driver_id": lambda: str(self.world.driver.id),
            "hazard_id": lambda: str(self.new_hazard()[0] if fresh else self.hazard_id),
            "photo_id": lambda: str(self.photo_id),
            "assignment_id": lambda: str(self.new_assignment() if fresh
                                         else self.fleet.ids["assignment"]),
        }
