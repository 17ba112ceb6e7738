"""Rules of the round: load at the station, hand over at the door, take empties back, unload.

Each step is one event in the cylinder's hash-chained history. A refused step is recorded too
(`dispatch_refused`, `delivery_refused`, `return_refused`) and answered 409 with reasons; the
same client event id sent again answers with what was stored the first time.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import select

from app.auth.models import Organisation, User
from app.auth.policy import is_oversight
from app.clock import DISTRICT_TZ, today
from app.delivery.custody import HOLDER_PLACES, custody_of
from app.delivery.errors import reason_dict
from app.delivery.fleet import (
    assignment_on,
    certificate_reasons,
    permit_reasons,
    vehicle_driver_on,
)
from app.delivery.models import (
    Hazard,
    Vehicle,
)
from app.delivery.photos import code_in_photo
from app.delivery.rules import (
    BLOCKING_FLAGS,
    DeliveryRules,
    FillFacts,
    dispatch_reasons,
    load_rules,
)
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.filling.entrustments import STATION_KINDS, entrusted_clause
from app.filling.services import cylinder_on_hold
from app.traceability.checks import Reason
from app.traceability.events import find_event, lock_cylinder, record_event
from app.traceability.flags import open_flag_kinds
from app.traceability.models import Cylinder, Event
from app.traceability.services import cylinder_state, find_cylinder, parse, public_base_url

HANDOVER_TYPES = ("delivered", "returned")


def delivery_rules() -> DeliveryRules:
    """The rules in force: shipped defaults with the deployment's DELIVERY_RULES overrides."""
    if has_request_context() and "delivery_rules" in g:
        return g.delivery_rules
    rules = load_rules(current_app.config.get("DELIVERY_RULES"))
    if has_request_context():
        g.delivery_rules = rules
    return rules


@dataclass
class Step:
    """What the phone sends for one scan: the code (typed, scanned or photographed), where, when."""

    code: str | None = None
    photo: str | None = None
    event_id: uuid.UUID | None = None
    occurred_at: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None

    @property
    def day(self) -> dt.date:
        """The local day the step happened on (today when the phone sent no time)."""
        if self.occurred_at is None:
            return today()
        if self.occurred_at.tzinfo is None:
            raise ValidationFailed(N_("occurred_at needs a time zone (ISO 8601 with offset)."),
                                   code="naive_time")
        return self.occurred_at.astimezone(DISTRICT_TZ).date()


# What a stored step raised, told to the driver who is still at the door: the step stands,
# but a flag went to the company and the regulator, or a hazard was opened.
STEP_NOTES = {
    "no_safety_check": Reason("no_safety_check",
                              "该用户没有有效的入户安检记录，已记录异常：请当场补做安检",
                              "The customer has no valid safety check on record; this was "
                              "flagged: do the check now."),
    "out_of_zone": Reason("out_of_zone", "送达位置不在本人配送片区，已记录异常",
                          "Delivered outside your assigned area; this was flagged."),
    "wrong_vehicle": Reason("wrong_vehicle", "该气瓶不在今日分配的车辆上，已记录异常",
                            "The cylinder was not on today's assigned vehicle; this was flagged."),
}
STORAGE_NOTE = Reason("storage_hazard", "送达后用户存瓶超量，已登记隐患",
                      "The customer stores too much gas after this delivery; a hazard was "
                      "opened.")


def step_notes(flags: list[str], hazards: list[int]) -> list[Reason]:
    """What the driver should know about a stored step, in both languages."""
    notes = [STEP_NOTES[kind] for kind in flags if kind in STEP_NOTES]
    return notes + ([STORAGE_NOTE] if hazards else [])


@dataclass
class Outcome:
    status: str  # stored, already_stored, refused
    event: Event | None
    reasons: list[Reason] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    hazards: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        event = self.event
        return {"status": self.status, "event_id": str(event.id) if event else None,
                "type": event.type if event else None,
                "code": event.data.get("code") if event else None,
                "seq": event.seq if event else None,
                "occurred_at": event.occurred_at.isoformat() if event else None,
                "received_at": event.received_at.isoformat() if event else None,
                "data": event.data if event else {},
                "reasons": [reason_dict(r) for r in self.reasons],
                "flags": self.flags, "hazards": self.hazards,
                "notes": [reason_dict(r) for r in step_notes(self.flags, self.hazards)]}


# --- finding the cylinder ------------------------------------------------------------------

def step_code(step: Step) -> str:
    """The bare code of a step: typed or scanned text, or read from a photo."""
    if step.code:
        return parse(step.code)
    if step.photo:
        return code_in_photo(step.photo, public_base_url())
    raise ValidationFailed(N_("Send code, payload or photo."), code="code_required")


def round_cylinder(actor: User, step: Step) -> Cylinder:
    """The scanned cylinder, if the actor's organisation owns or holds it (else 404)."""
    cyl = find_cylinder(step_code(step))
    if cyl is not None and (is_oversight(actor) or actor.org_id in
                            (cyl.owner_org_id, custody_of(cyl).org_id)):
        return cyl
    raise NotFound(N_("No cylinder with this code is visible to you."), code="cylinder_not_found")


def replayed(step: Step, cyl: Cylinder, done: str, refused: str) -> Outcome | None:
    """What was stored for this event id before, if anything."""
    existing = find_event(step.event_id)
    if existing is None:
        return None
    if existing.cylinder_id != cyl.id or existing.type not in (done, refused):
        raise Conflict(N_("This event_id was already used for a different event."),
                       code="event_id_reused")
    if existing.type == refused:
        reasons = [Reason(**r) for r in existing.data.get("reasons", [])]
        return Outcome("refused", existing, reasons)
    hazards = list(db.session.scalars(select(Hazard.id).where(
        Hazard.delivery_event_id == existing.id)))
    return Outcome("already_stored", existing, flags=existing.data.get("flags", []),
                   hazards=hazards)


def lock_step(step: Step, cyl: Cylinder, done: str,
              refused: str) -> tuple[Cylinder, Outcome | None]:
    """Take the cylinder's lock, then look again: a retry may have stored it meanwhile."""
    locked = lock_cylinder(cyl.id)
    return locked, replayed(step, locked, done, refused)


def record_step(cyl: Cylinder, type_: str, actor: User, step: Step, data: dict) -> Event:
    return record_event(cyl, type_, actor, event_id=step.event_id, occurred_at=step.occurred_at,
                        lat=step.lat, lon=step.lon, place=step.place,
                        data={"code": cyl.code, **data}).event


def refuse_step(cyl: Cylinder, type_: str, actor: User, step: Step, data: dict,
                reasons: list[Reason]) -> Outcome:
    rendered = [reason_dict(r) for r in reasons]
    event = record_step(cyl, type_, actor, step, {**data, "reasons": rendered})
    return Outcome("refused", event, reasons)


# --- loading at the station ----------------------------------------------------------------

def _last_seq(cyl: Cylinder, *types: str) -> Event | None:
    return db.session.scalar(select(Event).where(Event.cylinder_id == cyl.id,
                                                 Event.type.in_(types))
                             .order_by(Event.seq.desc()).limit(1))


def dispatch_blockers(cylinder: Cylinder) -> list[Reason]:
    """Why a cylinder may not leave the station: its last fill, holds and blocking flags.

    The overfill hold is the filling interlock's (`cylinder_on_hold`): a re-weigh that clears
    it lets the cylinder go even though the fill event itself still records the overfill.
    """
    fill = _last_seq(cylinder, "filled")
    handover = _last_seq(cylinder, *HANDOVER_TYPES)
    kinds = open_flag_kinds(cylinder, BLOCKING_FLAGS)
    facts = FillFacts(status=cylinder_state(cylinder).status,
                      last_fill_seq=fill.seq if fill else None,
                      last_fill_overfill=cylinder_on_hold(cylinder),
                      last_handover_seq=handover.seq if handover else None,
                      open_flag_kinds=frozenset(kinds))
    return dispatch_reasons(facts)


NO_ASSIGNMENT = Reason("no_assignment", "送气工今日没有人车分配",
                       "The driver has no vehicle and area assigned for the day.")
NOT_YOUR_VEHICLE = Reason("not_your_vehicle", "该车辆不是送气工当日分配的车辆（人车不符）",
                          "The vehicle is not the one assigned to the driver for the day.")
VEHICLE_UNASSIGNED = Reason("vehicle_unassigned", "该车辆当日没有分配送气工",
                            "No driver is assigned to this vehicle for the day.")


def _named_vehicle(actor: User, cyl: Cylinder, vehicle_id: int) -> Vehicle:
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.org_id not in (cyl.owner_org_id, actor.org_id):
        raise NotFound(N_("No vehicle %(id)s."), values={"id": vehicle_id},
                       code="vehicle_not_found")
    return vehicle


def _dispatch_crew(actor: User, cyl: Cylinder, step: Step, vehicle_id: int | None,
                   driver_id: int | None) -> tuple[Vehicle | None, User | None, list[Reason]]:
    """The vehicle and driver of a load: the driver's assignment on the day, and nothing else.

    A vehicle named in the request must be that assignment's (人车对应): otherwise a driver,
    or a station loading for one, could put cylinders on a vehicle nobody answers for.
    """
    named = _named_vehicle(actor, cyl, vehicle_id) if vehicle_id is not None else None
    if actor.role == "driver":
        driver = actor
    else:
        if named is None:
            raise ValidationFailed(N_("vehicle_id is required."), code="vehicle_required")
        driver_id = driver_id or vehicle_driver_on(named.id, step.day)
        if driver_id is None:
            return named, None, [VEHICLE_UNASSIGNED]
        found = db.session.get(User, driver_id)
        if found is None or found.role != "driver" or found.org_id != named.org_id:
            raise NotFound(N_("No driver %(id)s."), values={"id": driver_id},
                           code="driver_not_found")
        driver = found
    assignment = assignment_on(driver.id, step.day)
    if assignment is None:
        return named, driver, [NO_ASSIGNMENT]
    if named is not None and named.id != assignment.vehicle_id:
        return named, driver, [NOT_YOUR_VEHICLE]
    return named or db.session.get(Vehicle, assignment.vehicle_id), driver, []


def dispatch_cylinder(actor: User, step: Step, vehicle_id: int | None = None,
                      driver_id: int | None = None) -> Outcome:
    """Load a filled cylinder onto its driver's assigned vehicle, if its last fill passed and
    nothing holds it."""
    cyl = round_cylinder(actor, step)
    if (done := replayed(step, cyl, "dispatched", "dispatch_refused")) is not None:
        return done
    vehicle, driver, reasons = _dispatch_crew(actor, cyl, step, vehicle_id, driver_id)
    cyl, done = lock_step(step, cyl, "dispatched", "dispatch_refused")
    if done is not None:
        return done
    holder = custody_of(cyl)
    data = {"vehicle_id": vehicle.id if vehicle else None,
            "driver_id": driver.id if driver else None, "station_org_id": holder.org_id}
    if vehicle is not None and driver is not None and not reasons:
        reasons += dispatch_blockers(cyl)
        if holder.kind != "station":
            zh, en = HOLDER_PLACES.get(holder.kind, (holder.kind, holder.kind))
            reasons.append(Reason(f"at_{holder.kind}", f"气瓶不在站内（当前在{zh}）",
                                  f"The cylinder is not at a station but {en}."))
        if vehicle.org_id != cyl.owner_org_id:
            reasons.append(Reason("not_company_cylinder", "气瓶不属于该车辆所属燃气企业",
                                  "The cylinder does not belong to the vehicle's company."))
        reasons += certificate_reasons(driver, step.day, step.day)
        reasons += permit_reasons(vehicle, step.day, step.day)
    if reasons:
        return refuse_step(cyl, "dispatch_refused", actor, step, data, reasons)
    return Outcome("stored", record_step(cyl, "dispatched", actor, step, data))


# --- back at the station ---------------------------------------------------------------

def may_take_back(station: Organisation, owner_org_id: int, on: dt.date) -> bool:
    """Whether a cylinder may be unloaded at `station`: its owner's own premises, or a station
    the owner entrusted on that day (the one that may fill it, 二(一)4). Anywhere else, a
    competitor above all, would take custody of, and see, a cylinder it has no right to."""
    if station.id == owner_org_id:
        return True
    return station.kind in STATION_KINDS and bool(db.session.scalar(
        select(entrusted_clause(owner_org_id, station.id, on))))


def unload_cylinder(actor: User, step: Step, station_org_id: int | None = None) -> Outcome:
    """Unload a cylinder from a vehicle at a station (empties back, or undelivered fulls)."""
    cyl = round_cylinder(actor, step)
    if (done := replayed(step, cyl, "unloaded", "unloaded")) is not None:
        return done
    if actor.role != "driver":
        station_org_id = actor.org_id
    station = db.session.get(Organisation, station_org_id) if station_org_id else None
    if station is None or station.kind not in STATION_KINDS:
        raise ValidationFailed(N_("Name the station (station_org_id) where you unload."),
                               code="station_required")
    if not may_take_back(station, cyl.owner_org_id, step.day):
        raise Conflict(N_("Unload a cylinder at its owner or at a station the owner "
                          "entrusted with it; this station is neither."),
                       code="station_not_entrusted")
    cyl, done = lock_step(step, cyl, "unloaded", "unloaded")
    if done is not None:
        return done
    holder = custody_of(cyl)
    if holder.kind != "vehicle":
        raise Conflict(N_("The cylinder is not on a vehicle."), code="not_on_vehicle",
                       details={"holder": holder.kind})
    if actor.role == "driver" and holder.driver_id != actor.id:
        raise Conflict(N_("The cylinder is on another driver's vehicle."),
                       code="not_on_your_vehicle")
    data = {"station_org_id": station.id, "vehicle_id": holder.vehicle_id,
            "driver_id": holder.driver_id}
    return Outcome("stored", record_step(cyl, "unloaded", actor, step, data))
