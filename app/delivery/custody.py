"""Custody: who holds each cylinder now, kept by an observer of the event history.

Every event that moves a cylinder to another holder (a fill at another station, loading onto
a vehicle, a handover to a customer, a return, an unload, a hand-over to an inspection agency)
updates one row, so "where is it" is one indexed read and a cylinder with no row is at its
owner. The interlock's lookup reads the row with the cylinder, so a refill where the cylinder
already is costs no statement at all.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, not_, select, update
from sqlalchemy.orm.util import identity_key

from app.auth.models import Organisation, User
from app.delivery.models import Custody, Customer, Vehicle
from app.extensions import db
from app.fastsql import Prepared
from app.traceability.events import on_event, take_preread
from app.traceability.models import Cylinder, Event, ModelSpecRow

HOLDER_KINDS = ("station", "vehicle", "customer", "agency")
# Where a holder kind keeps a cylinder, as a refusal tells the driver (Chinese, English).
HOLDER_PLACES = {"station": ("站内", "at a station"), "vehicle": ("车上", "on a vehicle"),
                 "customer": ("用户处", "at a customer"),
                 "agency": ("检验机构", "at an inspection agency")}


@dataclass(frozen=True)
class Holder:
    kind: str
    org_id: int | None = None
    vehicle_id: int | None = None
    driver_id: int | None = None
    customer_id: int | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "org_id": self.org_id, "vehicle_id": self.vehicle_id,
                "driver_id": self.driver_id, "customer_id": self.customer_id}


def holder_after(cylinder: Cylinder, event: Event) -> Holder | None:
    """Who holds the cylinder after an event (None: the event does not move it)."""
    data = event.data or {}
    match event.type:
        case "registered":
            return Holder("station", org_id=cylinder.owner_org_id)
        case "filled" | "unloaded":
            return Holder("station", org_id=data.get("station_org_id") or event.actor_org_id)
        case "dispatched" | "returned":
            return Holder("vehicle", org_id=cylinder.owner_org_id,
                          vehicle_id=data.get("vehicle_id"), driver_id=data.get("driver_id"))
        case "delivered":
            return Holder("customer", org_id=cylinder.owner_org_id,
                          customer_id=data.get("customer_id"))
        case "handed_to_agency" | "inspected" | "scrapped" if data.get("agency_org_id"):
            return Holder("agency", org_id=data["agency_org_id"])
    return None


def _known(model: type, ident: object) -> object:
    """Keep an id from event data only if its row exists (events may name foreign records)."""
    if not isinstance(ident, int) or isinstance(ident, bool):
        return None
    return ident if db.session.get(model, ident) is not None else None


CUSTODY = "custody"  # the name its row is read with the filling lookup under
HOLDER_COLUMNS = ("holder_kind", "org_id", "vehicle_id", "driver_id", "customer_id")


@on_event
def track_custody(cylinder: Cylinder, event: Event, _actor: User | None) -> None:
    """Move the custody row when an event moves the cylinder to another holder.

    An event that leaves it with the same holder (a refill at the station that has it)
    writes nothing: `since` and `event_id` say when and by which event it came there.
    """
    holder = holder_after(cylinder, event)
    if holder is None:
        return
    values = {"holder_kind": holder.kind, "org_id": _known(Organisation, holder.org_id),
              "vehicle_id": _known(Vehicle, holder.vehicle_id),
              "driver_id": _known(User, holder.driver_id),
              "customer_id": _known(Customer, holder.customer_id),
              "since": event.occurred_at, "event_id": event.id}
    loaded = db.session.identity_map.get(identity_key(Custody, cylinder.id))
    if loaded is not None:  # this request holds the row as an object: keep it current
        if any(getattr(loaded, key) != values[key] for key in HOLDER_COLUMNS):
            for key, value in values.items():
                setattr(loaded, key, value)
            db.session.flush()
        return
    # The caller holds the cylinder's lock: plain statements, no unit of work.
    conn = db.session.connection()
    move, add, present = _custody_statements()
    known, row = take_preread(CUSTODY, cylinder.id, event)
    if known:  # read with the filling lookup, just before this event
        if row is None:
            add.defer(conn, {"cylinder_id": cylinder.id, **values})
        elif any(getattr(row, key) != values[key] for key in HOLDER_COLUMNS):
            move.defer(conn, _move_params(cylinder.id, values))
        return
    if move.execute(conn, _move_params(cylinder.id, values)).rowcount == 0 and \
            conn.execute(present, {"b_id": cylinder.id}).first() is None:
        add.execute(conn, {"cylinder_id": cylinder.id, **values})


def _move_params(cylinder_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The new values, and the holder the row must not have already (b_*)."""
    return {"b_id": cylinder_id, **values, **{f"b_{key}": values[key] for key in HOLDER_COLUMNS}}


@functools.cache
def _custody_statements() -> tuple[Prepared, Prepared, Any]:
    """Built once: move one cylinder's custody row to another holder, insert it, find it."""
    table = Custody.__table__
    elsewhere = not_(and_(*(table.c[key].is_not_distinct_from(bindparam(f"b_{key}"))
                            for key in HOLDER_COLUMNS)))
    return (Prepared(update(table).where(table.c.cylinder_id == bindparam("b_id"), elsewhere)),
            Prepared(insert(table)),
            select(table.c.cylinder_id).where(table.c.cylinder_id == bindparam("b_id")))


def custody_of(cylinder: Cylinder) -> Holder:
    """Who holds a cylinder; with no recorded move it is at its owner."""
    # read afresh: a concurrent request may have moved it while we waited for its lock
    row = db.session.get(Custody, cylinder.id, populate_existing=True)
    if row is None:
        return Holder("station", org_id=cylinder.owner_org_id)
    return Holder(row.holder_kind, org_id=row.org_id, vehicle_id=row.vehicle_id,
                  driver_id=row.driver_id, customer_id=row.customer_id)


def stored_at_customer_kg(customer_id: int, excluding: int | None = None) -> float:
    """Rated LPG mass of the cylinders a customer holds now."""
    query = (select(func.coalesce(func.sum(ModelSpecRow.rated_fill_kg), 0.0))
             .select_from(Custody).join(Cylinder, Cylinder.id == Custody.cylinder_id)
             .join(ModelSpecRow, ModelSpecRow.model == Cylinder.model)
             .where(Custody.holder_kind == "customer", Custody.customer_id == customer_id))
    if excluding is not None:
        query = query.where(Custody.cylinder_id != excluding)
    return float(db.session.scalar(query) or 0.0)


def on_vehicle(vehicle_id: int) -> list[Cylinder]:
    """The cylinders loaded on a vehicle now."""
    return list(db.session.scalars(
        select(Cylinder).join(Custody, Custody.cylinder_id == Cylinder.id)
        .where(Custody.vehicle_id == vehicle_id, Custody.holder_kind == "vehicle")
        .order_by(Cylinder.code)))
