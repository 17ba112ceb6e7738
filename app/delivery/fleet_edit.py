"""Editing and retiring a gas company's vehicles, delivery areas and customers.

Only the owning company's administrator changes them (another company's ids answer 404).
Retiring deletes a record nobody ever used, and deactivates one with history (assignments,
events, checks, hazards), so the cylinders' histories keep pointing at what was there.
Nothing is retired while it still holds cylinders or has an assignment today or later.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from app.auth.models import User
from app.clock import today
from app.delivery.errors import Refused
from app.delivery.fleet import (
    CustomerData,
    area_at,
    checked_area,
    checked_identity,
    checked_plate,
    require_company_admin,
)
from app.delivery.models import (
    Assignment,
    Custody,
    Customer,
    DeliveryArea,
    Hazard,
    SafetyCheck,
    Vehicle,
)
from app.errors import N_, NotFound
from app.extensions import db
from app.traceability.checks import Reason
from app.traceability.models import Event

M = TypeVar("M", Vehicle, DeliveryArea, Customer, Assignment)
NOT_FOUND = {Vehicle: ("vehicle", N_("No vehicle %(id)s.")),
             DeliveryArea: ("area", N_("No delivery area %(id)s.")),
             Customer: ("customer", N_("No customer %(id)s.")),
             Assignment: ("assignment", N_("No assignment %(id)s."))}


def own(actor: User, model: type[M], obj_id: int, *, lock: bool = False) -> M:
    """The actor's company's record; anyone else's is not found, as if it did not exist.

    With `lock` its row is locked and read afresh, so two changes of one record at once run
    one after the other and the second sees the first's (SQLite writers hold the write lock).
    """
    org_id = require_company_admin(actor)
    obj = db.session.get(model, obj_id, with_for_update=lock or None, populate_existing=lock)
    if obj is None or obj.org_id != org_id:
        code, message = NOT_FOUND[model]
        raise NotFound(message, values={"id": obj_id}, code=f"{code}_not_found")
    return obj


def _used(*conditions: Any) -> bool:
    """Whether any of (model, condition) pairs matches a row."""
    return any(db.session.scalar(select(func.count()).select_from(model).where(condition))
               for model, condition in conditions)


def _in_events(key: str, value: int) -> tuple[type, Any]:
    return Event, Event.data[key].as_integer() == value


def _running_assignment(column: InstrumentedAttribute, value: int, what: str) -> list[Reason]:
    clash = db.session.scalar(select(Assignment).where(
        column == value, Assignment.ends_on >= today()).order_by(Assignment.starts_on).limit(1))
    if clash is None:
        return []
    return [Reason("assignment_running", f"{what}在 {clash.starts_on}~{clash.ends_on} 仍有人车分配",
                   f"It is assigned from {clash.starts_on} to {clash.ends_on}.")]


def _holding(column: InstrumentedAttribute, value: int, kind: str, what: str) -> list[Reason]:
    count = db.session.scalar(select(func.count()).select_from(Custody).where(
        column == value, Custody.holder_kind == kind)) or 0
    if not count:
        return []
    return [Reason("holds_cylinders", f"{what}处仍有 {count} 只气瓶",
                   f"It still holds {count} cylinder(s).")]


def _retire(obj: Vehicle | DeliveryArea | Customer, blockers: list[Reason], history: bool,
            delete_unused: bool) -> bool:
    """Refuse with reasons, deactivate (history, or asked to keep), or delete; True if deleted."""
    if blockers:
        raise Refused("retire_refused", "It cannot be taken out of use now.", blockers)
    if history or not delete_unused:
        obj.active = False
        db.session.flush()
        return False
    db.session.delete(obj)
    db.session.flush()
    return True


def _active(obj: Vehicle | DeliveryArea | Customer, changes: dict[str, Any]) -> bool | None:
    """What a PATCH asks of `active`: True to reactivate, False to deactivate, None: nothing."""
    wanted = changes.get("active")
    return None if wanted is None or wanted == obj.active else bool(wanted)


def _apply_active(actor: User, obj: Vehicle | Customer, changes: dict[str, Any],
                  retire: Callable[..., bool]) -> None:
    """Deactivate through the retire rules (which may refuse), or reactivate, as asked."""
    active = _active(obj, changes)
    if active is False:
        retire(actor, obj.id, delete_unused=False)
    elif active:
        obj.active = True


# --- vehicles ------------------------------------------------------------------------------

def update_vehicle(actor: User, vehicle_id: int, changes: dict[str, Any]) -> Vehicle:
    """Correct a vehicle's plate or permit, deactivate it, or bring it back into use."""
    vehicle = own(actor, Vehicle, vehicle_id)
    plate = changes.get("plate", vehicle.plate)
    permit_no = changes.get("permit_no", vehicle.permit_no)
    vehicle.plate = checked_plate(plate, permit_no, vehicle.id)
    vehicle.permit_no = permit_no.strip()
    vehicle.permit_expires_on = changes.get("permit_expires_on", vehicle.permit_expires_on)
    _apply_active(actor, vehicle, changes, retire_vehicle)
    db.session.flush()
    return vehicle


def retire_vehicle(actor: User, vehicle_id: int, *, delete_unused: bool = True) -> bool:
    """Delete an unused vehicle or deactivate a used one; True when deleted."""
    vehicle = own(actor, Vehicle, vehicle_id)
    blockers = _running_assignment(Assignment.vehicle_id, vehicle.id, f"车辆 {vehicle.plate} ")
    blockers += _holding(Custody.vehicle_id, vehicle.id, "vehicle", f"车辆 {vehicle.plate} ")
    history = _used((Assignment, Assignment.vehicle_id == vehicle.id),
                    (Custody, Custody.vehicle_id == vehicle.id),
                    (SafetyCheck, SafetyCheck.vehicle_id == vehicle.id),
                    _in_events("vehicle_id", vehicle.id))
    return _retire(vehicle, blockers, history, delete_unused)


# --- areas ---------------------------------------------------------------------------------

def _rehome(org_id: int, customers: list[Customer]) -> None:
    """Put customers in the active area that covers them now (or none)."""
    for customer in customers:
        area = area_at(org_id, customer.lon, customer.lat)
        customer.area_id = area.id if area else None


def _customers_of(org_id: int) -> list[Customer]:
    return list(db.session.scalars(select(Customer).where(Customer.org_id == org_id)))


def update_area(actor: User, area_id: int, changes: dict[str, Any]) -> DeliveryArea:
    """Rename or redraw an area (its customers follow the outline), deactivate or reactivate.

    A deactivated area may overlap the active ones; it is checked again when it comes back.
    """
    area = own(actor, DeliveryArea, area_id)
    active = _active(area, changes)
    if active is False:
        retire_area(actor, area_id, delete_unused=False)
    in_use = area.active or bool(active)
    polygon = changes.get("polygon", area.polygon)
    area.name, _ = checked_area(area.org_id, changes.get("name", area.name), polygon, area.id,
                                overlap=in_use)
    area.polygon = [[float(lon), float(lat)] for lon, lat in polygon]
    area.active = in_use
    db.session.flush()
    if in_use:
        _rehome(area.org_id, [c for c in _customers_of(area.org_id)
                              if c.area_id in (area.id, None)])
    return area


def retire_area(actor: User, area_id: int, *, delete_unused: bool = True) -> bool:
    """Delete an unused area or deactivate a used one; its customers join another or none."""
    area = own(actor, DeliveryArea, area_id)
    blockers = _running_assignment(Assignment.area_id, area.id, f"配送区域 {area.name} ")
    history = _used((Assignment, Assignment.area_id == area.id),
                    (SafetyCheck, SafetyCheck.area_id == area.id),
                    (Hazard, Hazard.area_id == area.id))
    customers = [c for c in _customers_of(area.org_id) if c.area_id == area.id]
    if not blockers:
        for customer in customers:
            customer.area_id = None
    deleted = _retire(area, blockers, history, delete_unused)
    _rehome(area.org_id, customers)
    return deleted


# --- customers -----------------------------------------------------------------------------

def update_customer(actor: User, customer_id: int, changes: dict[str, Any]) -> Customer:
    """Correct a customer's facts (checked as at registration), or reactivate one."""
    customer = own(actor, Customer, customer_id)
    fields = [f.name for f in dataclasses.fields(CustomerData)]
    data = CustomerData(**{k: changes.get(k, getattr(customer, k)) for k in fields})
    data.id_number = checked_identity(customer.org_id, data, customer.id)
    moved = (data.lat, data.lon) != (customer.lat, customer.lon)
    for key in fields:
        setattr(customer, key, getattr(data, key))
    customer.name, customer.address = data.name.strip(), data.address.strip()
    if moved:
        _rehome(customer.org_id, [customer])
    _apply_active(actor, customer, changes, retire_customer)
    db.session.flush()
    return customer


def retire_customer(actor: User, customer_id: int, *, delete_unused: bool = True) -> bool:
    """Delete a customer never served or deactivate one with history; True when deleted."""
    customer = own(actor, Customer, customer_id)
    blockers = _holding(Custody.customer_id, customer.id, "customer", f"用户 {customer.name} ")
    history = _used((Custody, Custody.customer_id == customer.id),
                    (SafetyCheck, SafetyCheck.customer_id == customer.id),
                    (Hazard, Hazard.customer_id == customer.id),
                    _in_events("customer_id", customer.id))
    return _retire(customer, blockers, history, delete_unused)
