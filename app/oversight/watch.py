"""The event observer: keep each cylinder's trace current and raise clone and black flags."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.oversight.clones import (
    CloneLimits,
    LastSeen,
    Sighting,
    delivery_conflicts,
    fill_conflicts,
)
from app.oversight.models import CylinderParty, CylinderTrace
from app.oversight.services import OVERSIGHT_EVENTS, setting
from app.traceability.models import Cylinder, Event
from app.traceability.services import raise_flag

# Which events move the cylinder, and where to: (custody, data key of the holder).
CUSTODY = {"filled": ("station", "station_org_id"), "unloaded": ("station", "station_org_id"),
           "dispatched": ("vehicle", "vehicle_id"), "returned": ("vehicle", "vehicle_id"),
           "delivered": ("customer", "customer_id"),
           "handed_to_agency": ("agency", "agency_org_id")}
PARTIES = {"dispatched": ("driver_id",), "delivered": ("customer_id", "driver_id"),
           "returned": ("customer_id", "driver_id")}


def limits() -> CloneLimits:
    """Clone thresholds from config."""
    return CloneLimits(fill_window_hours=setting("CLONE_FILL_WINDOW_HOURS", 6),
                       max_speed_kmh=setting("CLONE_MAX_SPEED_KMH", 100),
                       min_distance_km=setting("CLONE_MIN_DISTANCE_KM", 2))


def _int(value: object) -> int | None:
    try:
        return int(value) if value is not None else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def sighting_of(event: Event) -> Sighting:
    """Describe an event as a sighting of its code."""
    data = event.data or {}
    org = _int(data.get("station_org_id")) or event.actor_org_id
    return Sighting(event_id=str(event.id), type=event.type, at=event.occurred_at, org_id=org,
                    lat=event.lat, lon=event.lon, ref=_int(data.get("customer_id")))


def last_seen(trace: CylinderTrace | None) -> LastSeen:
    """Turn the stored trace into the clone rules' input."""
    if trace is None:
        return LastSeen()
    fill = custody = delivery = None
    if trace.last_filled_at is not None:
        fill = Sighting(trace.last_fill_event_id or "", "filled", trace.last_filled_at,
                        org_id=trace.last_fill_org_id)
    if trace.custody_at is not None:
        custody = Sighting(trace.custody_event_id or "", "custody", trace.custody_at,
                           ref=trace.custody_ref)
    if trace.last_delivered_at is not None:
        delivery = Sighting(trace.last_delivery_event_id or "", "delivered",
                            trace.last_delivered_at, lat=trace.last_delivery_lat,
                            lon=trace.last_delivery_lon)
    return LastSeen(fill, trace.custody, custody, delivery)


def observe_event(cyl: Cylinder, event: Event, actor: User | None) -> None:
    """Check a new event against the cylinder's past, then remember it."""
    if event.type in ("flag_raised", "flag_resolved"):
        return
    trace = db.session.get(CylinderTrace, cyl.id)
    seen = last_seen(trace)  # a frozen copy: the trace moves on before the flags are raised
    update_trace(cyl.id, trace, event)
    if event.type not in OVERSIGHT_EVENTS and (cyl.scrapped_at or cyl.registration_cancelled_at):
        status = "registration_cancelled" if cyl.registration_cancelled_at else "scrapped"
        raise_flag("black_cylinder", cylinder=cyl, actor=actor, details={
            "reason": f"seen_after_{status}", "event_id": str(event.id), "event_type": event.type,
            "place": event.place, "lat": event.lat, "lon": event.lon})
    if event.type in ("filled", "delivered"):
        rules = fill_conflicts if event.type == "filled" else delivery_conflicts
        for conflict in rules(seen, sighting_of(event), limits()):
            raise_flag("clone_suspected", cylinder=cyl, actor=actor, details=conflict.details())
    if event.type == "registered":
        from app.oversight.blacklist import flag_if_blacklisted

        flag_if_blacklisted(cyl, actor)


def update_trace(cylinder_id: int, trace: CylinderTrace | None, event: Event) -> CylinderTrace:
    """Fold one event into the cylinder's trace and its parties."""
    if trace is None:
        trace = CylinderTrace(cylinder_id=cylinder_id)
        db.session.add(trace)
    at = event.occurred_at
    data = event.data or {}
    if trace.last_event_at is None or at >= trace.last_event_at:
        trace.last_event_at, trace.last_event_type = at, event.type
    if event.type == "filled" and (trace.last_filled_at is None or at >= trace.last_filled_at):
        trace.last_fill_org_id = _int(data.get("station_org_id")) or event.actor_org_id
        trace.last_filled_at, trace.last_fill_event_id = at, str(event.id)
    if event.type in CUSTODY and (trace.custody_at is None or at >= trace.custody_at):
        custody, key = CUSTODY[event.type]
        trace.custody, trace.custody_ref = custody, _int(data.get(key)) or event.actor_org_id
        trace.custody_at, trace.custody_event_id = at, str(event.id)
    if event.type == "delivered" and (trace.last_delivered_at is None
                                      or at >= trace.last_delivered_at):
        trace.last_delivered_at, trace.last_delivery_event_id = at, str(event.id)
        trace.last_delivery_lat, trace.last_delivery_lon = event.lat, event.lon
    for key in PARTIES.get(event.type, ()):
        ref = _int(data.get(key))
        if ref is not None:
            _touch_party(key.removesuffix("_id"), ref, cylinder_id, at)
    db.session.flush()
    return trace


def _touch_party(kind: str, ref: int, cylinder_id: int, at: dt.datetime) -> None:
    row = db.session.scalar(select(CylinderParty).where(
        CylinderParty.kind == kind, CylinderParty.ref_id == ref,
        CylinderParty.cylinder_id == cylinder_id))
    if row is None:
        db.session.add(CylinderParty(kind=kind, ref_id=ref, cylinder_id=cylinder_id, last_at=at))
    elif at > row.last_at:
        row.last_at = at
