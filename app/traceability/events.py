"""Append events to a cylinder's hash chain, exactly once per event id, and verify chains."""
from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, cast, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.clock import DISTRICT_TZ
from app.database import utcnow
from app.errors import N_, Conflict, ValidationFailed
from app.extensions import db
from app.fastsql import Prepared
from app.traceability.chain import chained_fields, event_hash, record_mismatches
from app.traceability.models import GENESIS_HASH, Cylinder, Event

MAX_CLOCK_SKEW = dt.timedelta(days=1)
EventObserver = Callable[[Cylinder, "Event", "User | None"], None]
_OBSERVERS: list[EventObserver] = []
EVENT_COLUMNS = tuple(c.key for c in Event.__table__.columns)


def on_event(observer: EventObserver) -> EventObserver:
    """Register a function called after every newly stored event (e.g. clone detection)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)
    return observer


# Tables an observer keeps one row per cylinder in (keyed by `cylinder_id`), read with the
# interlock's lookup so that the observer need not read its row again under the chain's lock.
_PREREAD: dict[str, Table] = {}
PREREAD_KEY = "preread"


def read_with_lookup(name: str, table: Table) -> None:
    """Have the filling lookup read this table's row of the looked-up cylinder."""
    _PREREAD.setdefault(name, table)


def preread_tables() -> dict[str, Table]:
    return dict(_PREREAD)


def remember_preread(cylinder_id: int, event_count: int, rows: dict[str, Any]) -> None:
    """Keep rows read beside the cylinder when its chain held `event_count` events."""
    db.session().info.setdefault(PREREAD_KEY, {})[cylinder_id] = (event_count, rows)


def take_preread(name: str, cylinder_id: int, event: Event) -> tuple[bool, Any]:
    """(True, row or None) if the row was read just before this event's append, else (False,).

    Valid only when this event directly follows the chain that was read: every change to such
    a row comes with an event, so no event in between means the row is as read.
    """
    held = db.session().info.get(PREREAD_KEY, {}).get(cylinder_id)
    if held is None or held[0] + 1 != event.seq or name not in held[1]:
        return False, None
    return True, held[1].pop(name)  # each observer's row serves one event


def parse_event_id(value: Any) -> uuid.UUID | None:
    """Accept a client event id as a UUID string; refuse anything else."""
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationFailed(N_("event_id must be a UUID."), code="invalid_event_id") from exc


def lock_cylinder(cylinder_id: int) -> Cylinder:
    """Lock the cylinder row so that events for it are appended one at a time."""
    cyl = db.session.scalar(select(Cylinder).where(Cylinder.id == cylinder_id)
                            .with_for_update().execution_options(populate_existing=True))
    assert cyl is not None
    _held_locks().add(cylinder_id)
    return cyl


def hold_cylinder(cylinder: Cylinder) -> Cylinder:
    """Lock the cylinder unless this transaction appended to its chain (and so holds it)."""
    if cylinder.id in _held_locks():
        return cylinder
    return lock_cylinder(cylinder.id)


def _held_locks() -> set[int]:
    """Cylinders whose row this transaction has locked; forgotten when it ends."""
    session = db.session()
    info, transaction = session.info, session.get_transaction()
    if info.get("locks_of") is not transaction:
        info["locks_of"], info["locked"] = transaction, set()
    return info["locked"]


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
    """Append an event; the same event id sent again returns the stored event unchanged.

    The append is one UPDATE of the chain head, guarded by the head this request read, then
    one INSERT. The UPDATE takes the row lock; if another request appended in between, the
    guard matches no row, and the slow path locks and re-reads the cylinder and tries again.
    """
    existing = find_event(event_id)
    if existing is not None:
        return _replayed(existing, cylinder, type_)
    received = utcnow()
    occurred = occurred_at or received
    if occurred.tzinfo is None:
        raise ValidationFailed(N_("occurred_at needs a time zone (ISO 8601 with offset)."),
                               code="naive_time")
    if occurred - received > MAX_CLOCK_SKEW:
        raise ValidationFailed(N_("occurred_at lies in the future."), code="time_in_future")
    if occurred.astimezone(DISTRICT_TZ).date() < cylinder.manufactured_on:
        raise ValidationFailed(N_("occurred_at lies before the cylinder was made."),
                               code="time_before_manufacture")
    event = Event(id=event_id or uuid.uuid4(), cylinder_id=cylinder.id, type=type_,
                  actor_user_id=actor.id if actor else None,
                  actor_org_id=actor.org_id if actor else None,
                  occurred_at=occurred.astimezone(dt.UTC), received_at=received,
                  lat=lat, lon=lon, place=place, data=data or {}, before=before, after=after)
    db.session.flush()  # pending rows this event may refer to go first
    cyl = cylinder
    if not _append(cyl, event):
        cyl = lock_cylinder(cylinder.id)
        existing = find_event(event_id)  # another request may have stored it while we waited
        if existing is not None:
            return _replayed(existing, cylinder, type_)
        appended = _append(cyl, event)
        assert appended, "the chain moved while its row was locked"
    for observer in list(_OBSERVERS):
        observer(cyl, event, actor)
    return Recorded(event, True)


@functools.cache
def _append_statements(genesis: bool) -> tuple[Prepared, Prepared, Prepared]:
    """Built once: the guarded UPDATE of the chain head, the event INSERT, and both in one.

    The third is for PostgreSQL: `WITH moved AS (UPDATE ... RETURNING) INSERT ... SELECT FROM
    moved` stores the event only if the guard held, in one round trip instead of two.
    """
    table = Cylinder.__table__
    head = table.c.chain_head.is_(None) if genesis else table.c.chain_head == bindparam("b_head")
    move = update(table).where(table.c.id == bindparam("b_id"),
                               table.c.event_count == bindparam("b_count"), head)
    moved = move.values(event_count=bindparam("event_count"),
                        chain_head=bindparam("chain_head")).returning(table.c.id).cte("moved")
    events = Event.__table__
    columns = [events.c[name] for name in EVENT_COLUMNS]
    both = insert(events).from_select(columns, select(  # typed: a SELECT list's NULL is text
        *(cast(bindparam(c.key, type_=c.type), c.type) for c in columns)).select_from(moved))
    return Prepared(move), Prepared(insert(events)), Prepared(both, named=True)


def _append(cyl: Cylinder, event: Event) -> bool:
    """Move the chain head from the one read to this event's, then store the event.

    Returns False, having written nothing, if the stored head is no longer the one read.
    The event is not added to the session: the INSERT is a plain statement, and the object
    stays as the observers' and the answer's copy of the stored row.
    """
    prev_count, prev_head = cyl.event_count, cyl.chain_head
    event.seq = prev_count + 1
    event.prev_hash = prev_head or GENESIS_HASH
    event.hash = event_hash(chained_fields(event, cyl.code), event.prev_hash)
    conn = db.session.connection()
    move, store, both = _append_statements(prev_head is None)
    params = {"b_id": cyl.id, "b_count": prev_count, "event_count": event.seq,
              "chain_head": event.hash}
    if prev_head is not None:
        params["b_head"] = prev_head
    row = {c: getattr(event, c) for c in EVENT_COLUMNS}
    if conn.dialect.name == "postgresql":
        if both.execute(conn, {**params, **row}).rowcount != 1:
            return False
    else:
        if move.execute(conn, params).rowcount != 1:
            return False
        store.execute(conn, row)
    _held_locks().add(cyl.id)
    set_committed_value(cyl, "event_count", event.seq)
    set_committed_value(cyl, "chain_head", event.hash)
    return True


def _replayed(existing: Event, cylinder: Cylinder, type_: str) -> Recorded:
    if existing.cylinder_id != cylinder.id or existing.type != type_:
        raise Conflict(N_("This event_id was already used for a different event."),
                       code="event_id_reused")
    return Recorded(existing, False)


CHAIN_GAP = N_("event %(seq)s is missing (found %(found)s)")
CHAIN_UNLINKED = N_("event %(seq)s does not link to the one before")
CHAIN_ALTERED = N_("event %(seq)s was altered after it was stored")
CHAIN_CUT = N_("events were removed from the end of the history")
CHAIN_RECORD = N_("the cylinder's record differs from its history: %(fields)s")


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problems: tuple[str, ...]
    # each problem as (message, values): pages show it in the reader's language
    issues: tuple[tuple[str, dict[str, Any]], ...] = ()
    # the cylinder row's columns that no longer match what the chain recorded
    record_fields: tuple[str, ...] = ()


def verify_events(cylinder: Cylinder, events: list[Event]) -> ChainReport:
    """Check sequence, links and hashes of a cylinder's events against its stored head, and
    the cylinder's row against what the events recorded of it."""
    issues: list[tuple[str, dict[str, Any]]] = []
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            issues.append((CHAIN_GAP, {"seq": expected_seq, "found": event.seq}))
            break
        if event.prev_hash != prev:
            issues.append((CHAIN_UNLINKED, {"seq": event.seq}))
        if event_hash(chained_fields(event, cylinder.code), event.prev_hash) != event.hash:
            issues.append((CHAIN_ALTERED, {"seq": event.seq}))
        prev = event.hash
    head = cylinder.chain_head or GENESIS_HASH
    if not issues and (len(events) != cylinder.event_count or prev != head):
        issues.append((CHAIN_CUT, {}))
    fields = tuple(record_mismatches(cylinder, events))
    if fields:
        issues.append((CHAIN_RECORD, {"fields": ", ".join(fields)}))
    return ChainReport(not issues, len(events),
                       tuple(message % values for message, values in issues), tuple(issues),
                       fields)


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
