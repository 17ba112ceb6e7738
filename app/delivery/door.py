"""At the customer's door: handing a cylinder over with its safety check, and taking one back.

Each step is a chain event on the cylinder, judged against the driver's assignment of the day
(area, vehicle) and the customer's record; what breaks a rule is refused or flagged, never lost.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.clock import DISTRICT_TZ
from app.delivery import geo
from app.delivery.custody import custody_of, stored_at_customer_kg
from app.delivery.fleet import (
    assignment_on,
    get_customer,
)
from app.delivery.models import (
    Assignment,
    Customer,
    DeliveryArea,
    SafetyCheck,
)
from app.delivery.rules import (
    BLOCKING_FLAGS,
    CustomerFacts,
    check_satisfied,
    customer_reasons,
    failed_items,
    found_reasons,
    not_in_service,
    storage_hazard,
)
from app.delivery.services import (
    NO_ASSIGNMENT,
    Outcome,
    Step,
    delivery_rules,
    dispatch_blockers,
    lock_step,
    record_step,
    refuse_step,
    replayed,
    round_cylinder,
)
from app.errors import N_, NotFound, ValidationFailed
from app.extensions import db
from app.traceability.checks import Reason
from app.traceability.flags import raise_flag
from app.traceability.rule_store import spec_for
from app.traceability.services import cylinder_state


def customer_facts(customer: Customer) -> CustomerFacts:
    return CustomerFacts(kind=customer.kind, premises=customer.premises,
                         has_cylinder_room=customer.has_cylinder_room,
                         storage_capacity_kg=customer.storage_capacity_kg)


def last_check_day(customer: Customer, on: dt.date) -> dt.date | None:
    """The local day of the customer's latest safety check up to the end of a day."""
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(), DISTRICT_TZ)
    at = db.session.scalar(select(SafetyCheck.occurred_at).where(
        SafetyCheck.customer_id == customer.id, SafetyCheck.occurred_at < end)
        .order_by(SafetyCheck.occurred_at.desc()).limit(1))
    return at.astimezone(DISTRICT_TZ).date() if at else None


def _zone(assignment: Assignment, step: Step) -> dict[str, Any]:
    area = db.session.get(DeliveryArea, assignment.area_id)
    assert area is not None
    if step.lat is None or step.lon is None:
        return {"out_of_zone": True, "position": "unknown", "area_id": area.id}
    shape = geo.to_polygon(area.polygon)
    inside = geo.contains(shape, step.lon, step.lat)
    out: dict[str, Any] = {"out_of_zone": not inside, "area_id": area.id}
    if not inside:
        out["distance_outside_m"] = round(geo.distance_m(shape, step.lon, step.lat))
    return out


def linked_check(customer: Customer, safety_check_id: uuid.UUID | None) -> SafetyCheck | None:
    """The safety check a delivery names: one of this customer's, else the delivery is a 4xx.

    Dropping a bad id silently would store the delivery as checked by nothing, or unrefused.
    """
    if safety_check_id is None:
        return None
    check = db.session.get(SafetyCheck, safety_check_id)
    if check is None or check.org_id != customer.org_id:
        raise NotFound(N_("No safety check with this id is visible to you."),
                       code="safety_check_not_found")
    if check.customer_id != customer.id:
        raise ValidationFailed(N_("The safety check is of another customer."),
                               code="safety_check_other_customer")
    return check


def deliver_cylinder(actor: User, step: Step, customer_id: int,
                     safety_check_id: uuid.UUID | None = None) -> Outcome:
    """Hand a cylinder over at the door: custody, area, vehicle, customer and check rules."""
    from app.delivery.safety import open_hazard

    cyl = round_cylinder(actor, step)
    customer = get_customer(actor, customer_id, served=True)
    check = linked_check(customer, safety_check_id)
    if (done := replayed(step, cyl, "delivered", "delivery_refused")) is not None:
        return done
    cyl, done = lock_step(step, cyl, "delivered", "delivery_refused")
    if done is not None:
        return done
    rules = delivery_rules()
    assignment = assignment_on(actor.id, step.day)
    holder = custody_of(cyl)
    data: dict[str, Any] = {"customer_id": customer.id, "driver_id": actor.id,
                            "vehicle_id": holder.vehicle_id,
                            "safety_check_id": str(check.id) if check else None}
    reasons = [] if assignment else [NO_ASSIGNMENT]
    if holder.kind != "vehicle" or holder.driver_id != actor.id:
        reasons.append(Reason("not_on_your_vehicle", "该气瓶未装上本人车辆，不得交付",
                              "The cylinder was not dispatched onto your vehicle."))
    facts = customer_facts(customer)
    reasons += customer_reasons(facts, cyl.model, rules)
    if check is not None:
        reasons += found_reasons(facts, failed_items(check.items, rules), rules)
    state = cylinder_state(cyl).status
    if state != "in_service":
        reasons.append(not_in_service(state, "不得交付", "do not hand it over"))
    reasons += [r for r in dispatch_blockers(cyl) if r.code in BLOCKING_FLAGS]
    if reasons:
        return refuse_step(cyl, "delivery_refused", actor, step, data, reasons)
    assert assignment is not None
    zone = _zone(assignment, step)
    checked = check_satisfied(customer.kind, last_check_day(customer, step.day), step.day, rules)
    wrong_vehicle = holder.vehicle_id != assignment.vehicle_id
    flags = [kind for kind, raised in (("out_of_zone", zone["out_of_zone"]),
                                       ("wrong_vehicle", wrong_vehicle),
                                       ("no_safety_check", not checked)) if raised]
    stored_kg = (stored_at_customer_kg(customer.id, excluding=cyl.id)
                 + spec_for(cyl.model).rated_fill_kg)
    over_storage = storage_hazard(facts, stored_kg, rules)
    data.update({"out_of_zone": zone["out_of_zone"], "zone": zone,
                 "assigned_vehicle_id": assignment.vehicle_id,
                 "stored_kg_after": stored_kg, "storage_hazard": over_storage, "flags": flags})
    if step.lat is not None and step.lon is not None:
        data["distance_to_customer_m"] = round(geo.point_distance_m(
            step.lon, step.lat, customer.lon, customer.lat))
    event = record_step(cyl, "delivered", actor, step, data)
    for kind in flags:
        raise_flag(kind, cylinder=cyl, actor=actor, details={
            "event_id": str(event.id), "customer_id": customer.id, "vehicle_id": holder.vehicle_id,
            **({"zone": zone} if kind == "out_of_zone" else {})})
    hazards = []
    if over_storage:
        hazard = open_hazard(customer, "storage_over_100kg_no_room", actor,
                             found_at=event.occurred_at, delivery_event_id=event.id,
                             note=f"{stored_kg:g} kg stored after this delivery")
        hazards = [hazard.id] if hazard is not None else []
    return Outcome("stored", event, flags=flags, hazards=hazards)


def return_cylinder(actor: User, step: Step, customer_id: int) -> Outcome:
    """Take an empty back from a customer onto the driver's vehicle."""
    cyl = round_cylinder(actor, step)
    customer = get_customer(actor, customer_id)
    if (done := replayed(step, cyl, "returned", "return_refused")) is not None:
        return done
    cyl, done = lock_step(step, cyl, "returned", "return_refused")
    if done is not None:
        return done
    assignment = assignment_on(actor.id, step.day)
    holder = custody_of(cyl)
    data = {"customer_id": customer.id, "driver_id": actor.id,
            "vehicle_id": assignment.vehicle_id if assignment else None}
    reasons = [] if assignment else [NO_ASSIGNMENT]
    if holder.kind != "customer" or holder.customer_id != customer.id:
        reasons.append(Reason("not_at_this_customer", "记录显示该气瓶不在此用户处",
                              "The records do not place this cylinder at this customer."))
    if reasons:
        return refuse_step(cyl, "return_refused", actor, step, data, reasons)
    return Outcome("stored", record_step(cyl, "returned", actor, step, data))
