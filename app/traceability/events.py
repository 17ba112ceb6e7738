"""Append events to a cylinder's hash chain, exactly once per event id, and verify chains."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.database import utcnow
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.traceability.chain import chained_fields, event_hash
from app.traceability.models import GENESIS_HASH, Cylinder, Event

MAX_CLOCK_SKEW = dt.timedelta(days=1)
EventObserver = Callable[[Cylinder, "Event", "User | None"], None]
_OBSERVERS: list[EventObserver] = []


def on_event(observer: EventObserver) -> EventObserver:
    """Register a function called after every newly stored event (e.g. clone detection)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)
    return observer


def parse_event_id(value: Any) -> uuid.UUID | None:
    """Accept a client event id as a UUID string; refuse anything else."""
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationFailed("event_id must be a UUID.", code="invalid_event_id") from exc


def lock_cylinder(cylinder_id: int) -> Cylinder:
    """Lock the cylinder row so that events for it are appended one at a time."""
    cyl = db.session.scalar(select(Cylinder).where(Cylinder.id == cylinder_id)
                            .with_for_update().execution_options(populate_existing=True))
    assert cyl is not None
    return cyl


def find_event(event_id: uuid.UUID | None) -> Event | None:
    """Return a stored event by its id."""
    return db.session.get(Event, event_id) if event_id else None


@dataclass
class Recorded:
    event: Event
    created: bool


def record_event(cylinder: Cylinder, type_: str, actor: User | None, *,
                 event_id: uuid.UUID | None = None, occurred_at: dt.datetime | None = None,
                 lat: float | None = None, lon: float | None = None, place: str | None = None,
                 data: dict | None = None, before: dict | None = None,
                 after: dict | None = None) -> Recorded:
    """Append an event; the same event id sent again returns the stored event unchanged."""
    existing = find_event(event_id)
    if existing is not None:
        return _replayed(existing, cylinder, type_)
    cyl = lock_cylinder(cylinder.id)
    existing = find_event(event_id)  # another request may have stored it while we waited
    if existing is not None:
        return _replayed(existing, cylinder, type_)
    received = utcnow()
    occurred = occurred_at or received
    if occurred.tzinfo is None:
        raise ValidationFailed("occurred_at needs a time zone (ISO 8601 with offset).",
                               code="naive_time")
    if occurred - received > MAX_CLOCK_SKEW:
        raise ValidationFailed("occurred_at lies in the future.", code="time_in_future")
    event = Event(id=event_id or uuid.uuid4(), cylinder_id=cyl.id, seq=cyl.event_count + 1,
                  type=type_, actor_user_id=actor.id if actor else None,
                  actor_org_id=actor.org_id if actor else None,
                  occurred_at=occurred.astimezone(dt.UTC), received_at=received,
                  lat=lat, lon=lon, place=place, data=data or {}, before=before, after=after,
                  prev_hash=cyl.chain_head or GENESIS_HASH, hash="")
    event.hash = event_hash(chained_fields(event, cyl.code), event.prev_hash)
    cyl.event_count = event.seq
    cyl.chain_head = event.hash
    db.session.add(event)
    db.session.flush()
    for observer in list(_OBSERVERS):
        observer(cyl, event, actor)
    return Recorded(event, True)


def _replayed(existing: Event, cylinder: Cylinder, type_: str) -> Recorded:
    if existing.cylinder_id != cylinder.id or existing.type != type_:
        raise Conflict("This event_id was already used for a different event.",
                       code="event_id_reused")
    return Recorded(existing, False)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problems: tuple[str, ...]


def verify_events(cylinder: Cylinder, events: list[Event]) -> ChainReport:
    """Check sequence, links and hashes of a cylinder's events against its stored head."""
    problems: list[str] = []
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"event {expected_seq} is missing (found {event.seq})")
            break
        if event.prev_hash != prev:
            problems.append(f"event {event.seq} does not link to the one before")
        if event_hash(chained_fields(event, cylinder.code), event.prev_hash) != event.hash:
            problems.append(f"event {event.seq} was altered after it was stored")
        prev = event.hash
    head = cylinder.chain_head or GENESIS_HASH
    if not problems and (len(events) != cylinder.event_count or prev != head):
        problems.append("events were removed from the end of the history")
    return ChainReport(not problems, len(events), tuple(problems))


def cylinder_events(cylinder_id: int) -> list[Event]:
    """Return a cylinder's events in chain order."""
    return list(db.session.scalars(
        select(Event).where(Event.cylinder_id == cylinder_id).order_by(Event.seq)))


def event_to_dict(event: Event) -> dict[str, Any]:
    """Render an event for the API."""
    return {"id": str(event.id), "seq": event.seq, "type": event.type,
            "at": event.occurred_at.isoformat(), "received_at": event.received_at.isoformat(),
            "actor_user_id": event.actor_user_id, "actor_org_id": event.actor_org_id,
            "lat": event.lat, "lon": event.lon, "place": event.place, "data": event.data,
            "before": event.before, "after": event.after, "hash": event.hash}
