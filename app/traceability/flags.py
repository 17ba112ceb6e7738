"""Flags for regulators: raising one, counting a sighting on the open one, listing, resolving.

A flag is the regulators' to-do item (docs/contracts.md lists the kinds). Concurrent sightings
of one flag queue on the cylinder's lock (or a named lock for a code with no cylinder), so a
flood of scans grows one flag's counter instead of the table.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm.util import identity_key

from app.auth.models import User
from app.auth.policy import is_oversight
from app.database import utcnow
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.fastsql import Prepared, PreparedQuery
from app.loaded import as_loaded
from app.locks import lock_name
from app.text_fields import require_clean_text
from app.traceability.checks import flag_area
from app.traceability.events import hold_cylinder, lock_cylinder, record_event
from app.traceability.models import Cylinder, Flag


def open_flags(cyl: Cylinder) -> list[Flag]:
    """Return a cylinder's open flags."""
    return list(db.session.scalars(select(Flag).where(
        Flag.cylinder_id == cyl.id, Flag.status == "open").order_by(Flag.raised_at)))


def open_flag_kinds(cyl: Cylinder, kinds: Iterable[str]) -> set[str]:
    """Which of these kinds of flag are open on the cylinder (kinds only: no details read)."""
    return set(db.session.scalars(select(Flag.kind).where(
        Flag.cylinder_id == cyl.id, Flag.status == "open", Flag.kind.in_(tuple(kinds)))))


def raise_flag(kind: str, *, cylinder: Cylinder | None = None, code: str | None = None,
               actor: User | None = None, details: dict | None = None) -> Flag:
    """Raise a flag, or count one more sighting on the same open flag."""
    # concurrent sightings of one flag queue here, so the second one finds the first's flag;
    # locking the cylinder first also keeps the flag's foreign key from deadlocking the append
    if cylinder is not None:
        cylinder = hold_cylinder(cylinder)
    elif code is not None:
        lock_name(f"flag:{kind}:{code}")
    now = utcnow()
    sighting = {"at": now.isoformat(), "org_id": actor.org_id if actor else None,
                "user_id": actor.id if actor else None, **(details or {})}
    on = cylinder.id if cylinder is not None else None
    # read before the write phase (read_open_flags): counted unless sighted or resolved since;
    # else read here, under the lock, where it cannot change before it is counted
    preread = db.session().info.get(OPEN_FLAGS, {}).pop((kind, on, code), None)
    counted = _count_sighting(preread, now, sighting) if preread is not None else None
    if counted is None:
        existing = _open_flag(kind, on, code)
        counted = _count_sighting(existing, now, sighting) if existing is not None else None
    if counted is not None:
        return counted
    flag = Flag(kind=kind, cylinder_id=cylinder.id if cylinder else None,
                code=cylinder.code if cylinder else code,
                org_id=actor.org_id if actor else None, user_id=actor.id if actor else None,
                area_id=flag_area(kind, cylinder, actor, details or {}),
                details={**(details or {}), "sightings": [sighting]}, raised_at=now,
                last_seen_at=now)
    db.session.add(flag)
    db.session.flush()
    if cylinder is not None:
        record_event(cylinder, "flag_raised", actor, data={"flag_id": flag.id, "kind": kind,
                                                           **(details or {})})
    return flag


@functools.cache
def _open_flag_query(by_cylinder: bool) -> PreparedQuery:
    """Built once (every refusal raises flags): the open flag of a kind on a cylinder or code."""
    table = Flag.__table__
    query = select(table).where(table.c.kind == bindparam("kind"), table.c.status == "open")
    if by_cylinder:
        query = query.where(table.c.cylinder_id == bindparam("on"))
    else:
        query = query.where(table.c.code == bindparam("on"), table.c.cylinder_id.is_(None))
    return PreparedQuery(query.limit(1))


def _open_flag(kind: str, cylinder_id: int | None, code: str | None) -> dict[str, Any] | None:
    """The open flag's row, read with Core (a repeat sighting is the common case at a scale)."""
    if cylinder_id is None and code is None:
        return None
    db.session.flush()  # as an ORM query would: this request's new flags count
    params = {"kind": kind, "on": cylinder_id if cylinder_id is not None else code}
    return _open_flag_query(cylinder_id is not None).first(db.session.connection(), params)


OPEN_FLAGS = "open_flags"


def read_open_flags(wanted: Iterable[tuple[str, int | None, str | None]]) -> None:
    """Read the open flags a request is about to sight again, before its write phase.

    A refusal at a scale sights the same flags over and over (the same stranger's cylinder
    presented again); read here, in the interlock's read phase, they are not read inside
    SQLite's one-writer-at-a-time section. `wanted` holds (kind, cylinder id, code) as
    raise_flag will be called. The sighting's UPDATE is guarded by the count that was read:
    a sighting by another request in between sends raise_flag back to read it again.
    """
    held = db.session().info.setdefault(OPEN_FLAGS, {})
    for kind, cylinder_id, code in wanted:
        held[(kind, cylinder_id, code)] = _open_flag(kind, cylinder_id, code)


def _with_sighting(details: dict | None, sighting: dict) -> dict:
    """The flag's details with one more sighting; the latest 20 are kept."""
    history = list((details or {}).get("sightings", []))[-19:]
    return {**(details or {}), "sightings": [*history, sighting]}


# One more sighting of an open flag, without loading it through the ORM: only while it is
# still open with the count that was read (a row read before the write phase may be stale).
FLAG_SIGHTING = Prepared(update(Flag.__table__).where(
    Flag.__table__.c.id == bindparam("b_id"), Flag.__table__.c.status == "open",
    Flag.__table__.c.occurrences == bindparam("b_occurrences")))


def _count_sighting(row: dict[str, Any], now: dt.datetime, sighting: dict) -> Flag | None:
    """Count a sighting on the open flag read as `row`; None if it changed since (no write)."""
    held = db.session.identity_map.get(identity_key(Flag, row["id"]))
    if held is not None:  # this request has the flag as an object: change it there
        held.occurrences += 1
        held.last_seen_at = now
        held.details = _with_sighting(held.details, sighting)
        return held
    values = {**row, "occurrences": row["occurrences"] + 1, "last_seen_at": now,
              "details": _with_sighting(row["details"], sighting)}
    counted = FLAG_SIGHTING.execute(db.session.connection(), {
        "b_id": row["id"], "b_occurrences": row["occurrences"],
        "occurrences": values["occurrences"], "last_seen_at": now, "details": values["details"]})
    return as_loaded(Flag, values) if counted.rowcount == 1 else None


def flags_visible_to(user: User, status: str = "open", area_id: int | None = None,
                     limit: int = 500) -> list[dict[str, Any]]:
    """The flags a user may list, newest first, each as the user may read it.

    Oversight reads every flag whole. Anyone else lists the flags its organisation raised
    and those on its own cylinders; on a flag raised on someone else's cylinder it reads
    only its own sightings: another station presenting the same cylinder counts on the
    same flag, and who, where and when at that station is not this one's business.
    """
    query = select(Flag).order_by(Flag.last_seen_at.desc()).limit(limit)
    if status != "all":
        query = query.where(Flag.status == status)
    if area_id is not None:
        query = query.where(Flag.area_id == area_id)
    if is_oversight(user):
        return [f.to_dict() for f in db.session.scalars(query)]
    rows = db.session.execute(
        query.add_columns(Cylinder.owner_org_id)
        .outerjoin(Cylinder, Cylinder.id == Flag.cylinder_id)
        .where(or_(Flag.org_id == user.org_id, Cylinder.owner_org_id == user.org_id)))
    return [flag.to_dict() if owner == user.org_id else _own_sightings(flag, user.org_id)
            for flag, owner in rows]


def _own_sightings(flag: Flag, org_id: int) -> dict[str, Any]:
    """A flag as an organisation reads it when the cylinder is not its own."""
    out = flag.to_dict()
    details = dict(out["details"] or {})
    if "sightings" in details:
        details["sightings"] = [s for s in details["sightings"] if s.get("org_id") == org_id]
    out["details"] = details
    return out


def resolve_flag(actor: User, flag_id: int, note: str) -> Flag:
    """Close a flag with a note (regulators and platform admins)."""
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(N_("No flag %(id)s."), values={"id": flag_id})
    if not note or not note.strip():
        raise ValidationFailed(N_("A resolution note is required."), code="note_required")
    require_clean_text(note, "note", multiline=True, label=N_("Note"))
    # resolutions (and sightings, see raise_flag) of one flag queue on the lock raise_flag
    # takes, and the status is read again under it: two regulators resolving at once on
    # PostgreSQL both read it open, and the cylinder's history said it was resolved twice
    cyl = lock_cylinder(flag.cylinder_id) if flag.cylinder_id is not None else None
    if cyl is None:
        lock_name(f"flag:{flag.kind}:{flag.code}")
    db.session.refresh(flag)
    if flag.status != "open":
        raise Conflict(N_("This flag is resolved already."), code="flag_already_resolved")
    flag.status = "resolved"
    flag.resolved_at = utcnow()
    flag.resolved_by_id = actor.id
    flag.resolution_note = note.strip()
    if cyl is not None:
        record_event(cyl, "flag_resolved", actor, data={"flag_id": flag.id, "kind": flag.kind,
                                                        "note": flag.resolution_note})
    return flag
