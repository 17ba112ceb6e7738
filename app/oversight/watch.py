"""The event observer: keep each cylinder's trace current and raise clone and black flags."""
from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.orm.util import identity_key

from app.auth.models import User
from app.clock import DISTRICT_TZ
from app.extensions import db
from app.fastsql import Prepared
from app.oversight.clones import (
    CloneLimits,
    LastSeen,
    Sighting,
    delivery_conflicts,
    fill_conflicts,
)
from app.oversight.models import CylinderParty, CylinderTrace
from app.oversight.services import OVERSIGHT_EVENTS, setting
from app.traceability.events import take_preread
from app.traceability.flags import raise_flag
from app.traceability.models import Cylinder, Event

# Which events move the cylinder, and where to: (custody, data key of the holder).
CUSTODY = {"filled": ("station", "station_org_id"), "unloaded": ("station", "station_org_id"),
           "dispatched": ("vehicle", "vehicle_id"), "returned": ("vehicle", "vehicle_id"),
           "delivered": ("customer", "customer_id"),
           "handed_to_agency": ("agency", "agency_org_id")}
PARTIES = {"dispatched": ("driver_id",), "delivered": ("customer_id", "driver_id"),
           "returned": ("customer_id", "driver_id")}


TRACE = "trace"


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
    loaded = db.session.identity_map.get(identity_key(CylinderTrace, cyl.id))
    if loaded is not None:  # this request holds the trace as an object: keep it current
        seen = last_seen(loaded)  # a frozen copy: the trace moves on before flags are raised
        update_trace(cyl.id, loaded, event)
    else:
        seen = _store_trace(cyl.id, event)
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


@functools.cache
def _trace_statements() -> tuple[Select, Prepared, Prepared]:
    """Built once: read, update (the columns given) and insert one cylinder's trace."""
    table = CylinderTrace.__table__
    where = table.c.cylinder_id == bindparam("b_id")
    return select(table).where(where), Prepared(update(table).where(where)), Prepared(
        insert(table))


def _store_trace(cylinder_id: int, event: Event) -> LastSeen:
    """Fold the event into the stored trace with plain statements; return the trace before.

    The caller holds the cylinder's lock, so nobody else moves this trace meanwhile; the row
    the interlock's lookup read is used when no event came between that read and this one.
    """
    read, write, add = _trace_statements()
    conn = db.session.connection()
    known, row = take_preread(TRACE, cylinder_id, event)
    if not known:
        row = conn.execute(read, {"b_id": cylinder_id}).first()
    changes = trace_changes(row, event)
    if row is not None:  # a column set to what it holds still rewrites its index entries
        changes = {name: value for name, value in changes.items()
                   if getattr(row, name) != value}
    if row is None:
        add.defer(conn, {"cylinder_id": cylinder_id, **changes})
    elif changes:
        write.defer(conn, {"b_id": cylinder_id, **changes})
    _touch_parties(cylinder_id, event)
    return last_seen(row)


def trace_changes(trace: Any, event: Event) -> dict[str, Any]:
    """The trace columns one event moves (trace: the stored row or object, or None)."""
    def was(name: str) -> Any:
        return getattr(trace, name) if trace is not None else None

    at = event.occurred_at
    data = event.data or {}
    changes: dict[str, Any] = {}
    if was("last_event_at") is None or at >= was("last_event_at"):
        changes.update(last_event_at=at, last_event_type=event.type,
                       last_seen_on=at.astimezone(DISTRICT_TZ).date())
    if event.type == "filled" and (was("last_filled_at") is None or at >= was("last_filled_at")):
        changes.update(last_fill_org_id=_int(data.get("station_org_id")) or event.actor_org_id,
                       last_filled_at=at, last_fill_event_id=str(event.id))
    if event.type in CUSTODY and (was("custody_at") is None or at >= was("custody_at")):
        custody, key = CUSTODY[event.type]
        changes.update(custody=custody, custody_ref=_int(data.get(key)) or event.actor_org_id,
                       custody_at=at, custody_event_id=str(event.id))
    if event.type == "delivered" and (was("last_delivered_at") is None
                                      or at >= was("last_delivered_at")):
        changes.update(last_delivered_at=at, last_delivery_event_id=str(event.id),
                       last_delivery_lat=event.lat, last_delivery_lon=event.lon)
    return changes


def update_trace(cylinder_id: int, trace: CylinderTrace | None, event: Event) -> CylinderTrace:
    """Fold one event into the cylinder's trace object and its parties."""
    if trace is None:
        trace = CylinderTrace(cylinder_id=cylinder_id)
        db.session.add(trace)
    for name, value in trace_changes(trace, event).items():
        setattr(trace, name, value)
    _touch_parties(cylinder_id, event)
    db.session.flush()
    return trace


def _touch_parties(cylinder_id: int, event: Event) -> None:
    data = event.data or {}
    for key in PARTIES.get(event.type, ()):
        ref = _int(data.get(key))
        if ref is not None:
            _touch_party(key.removesuffix("_id"), ref, cylinder_id, event.occurred_at)


def _touch_party(kind: str, ref: int, cylinder_id: int, at: dt.datetime) -> None:
    row = db.session.scalar(select(CylinderParty).where(
        CylinderParty.kind == kind, CylinderParty.ref_id == ref,
        CylinderParty.cylinder_id == cylinder_id))
    if row is None:
        db.session.add(CylinderParty(kind=kind, ref_id=ref, cylinder_id=cylinder_id, last_at=at))
    elif at > row.last_at:
        row.last_at = at
