"""The filling interlock: check a presented cylinder, then record the fill or the refusal.

A station presents a code (typed, scanned or read from a photo). The interlock gathers the
facts in one query, lists every reason that forbids filling, and records either a fill (with
the scale's net mass and the pre-fill check) or a refusal, with the flags regulators need.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select

from app.auth.models import User
from app.clock import today
from app.database import end_read_phase, utcnow
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.fastsql import Prepared
from app.filling.lookup import Lookup, held_clause, lookup
from app.filling.models import Fill, FillRefusal
from app.filling.rules import (
    FillFacts,
    cylinder_reasons,
    is_overfill,
    ordered,
    precheck_reasons,
    raises_black_cylinder,
    reason,
    reason_to_dict,
)
from app.traceability.checks import Reason, extra_fill_reasons
from app.traceability.codes import CodeError, parse_code
from app.traceability.events import MAX_CLOCK_SKEW, find_event, record_event
from app.traceability.flags import raise_flag, read_open_flags, resolve_flag
from app.traceability.models import Cylinder, Event, Flag
from app.traceability.services import facts_of, public_base_url

# Plain INSERTs on the driver's cursor (app/fastsql.py); the refusal's returns its id.
FILL_INSERT = Prepared(insert(Fill.__table__))
REFUSAL_INSERT = Prepared(insert(FillRefusal.__table__).returning(FillRefusal.__table__.c.id))


@dataclass
class Presented:
    """One cylinder code presented at the scale, with what the station says about it."""

    text: str
    net_mass_kg: float | None = None
    precheck: dict[str, bool] = field(default_factory=dict)
    event_id: uuid.UUID | None = None
    occurred_at: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None


@dataclass
class Outcome:
    """The interlock's answer for one code, and what it recorded."""

    allowed: bool
    text: str
    code: str | None
    reasons: list[Reason]
    cylinder: Cylinder | None = None
    fill: Fill | None = None
    event: Event | None = None
    refusal: FillRefusal | None = None
    on_hold: bool = False
    replayed: bool = False


def cylinder_on_hold(cylinder: Cylinder) -> bool:
    """Tell whether an overfilled cylinder is held at the station until a re-weigh clears it."""
    return bool(db.session.scalar(select(held_clause(cylinder.id))))


def check_cylinder(user: User, found: Lookup, on: dt.date) -> list[Reason]:
    """List every reason, ours and other domains', that forbids this station filling it."""
    cyl = found.cylinder
    assert cyl is not None and found.spec is not None and found.life is not None
    facts = FillFacts(cylinder=facts_of(cyl), model=found.spec, refurbished=cyl.refurbished,
                      owned_or_entrusted=cyl.owner_org_id == user.org_id or found.entrusted,
                      on_hold=found.held)
    return cylinder_reasons(facts, found.life, on) + extra_fill_reasons(cyl, user)


def present_cylinder(user: User, presented: Presented) -> Outcome:
    """Run the interlock for one code and record the fill or the refusal (once per event id)."""
    if presented.event_id is not None:
        replay = replayed_outcome(user, presented.event_id, presented.text)
        if replay is not None:
            end_read_phase()  # a write after the answer (an Idempotency-Key record) must queue
            return replay
    if presented.occurred_at and presented.occurred_at - utcnow() > MAX_CLOCK_SKEW:
        raise ValidationFailed("occurred_at lies in the future.", code="time_in_future")
    own = precheck_reasons(presented.precheck)
    try:
        code = parse_code(presented.text, public_base_url()).code
    except CodeError as exc:
        end_read_phase()
        return record_refusal(user, presented, None, None, ordered([reason(exc.code), *own]))
    on = today()
    found = lookup(code, user.org_id, on)
    if not found.issued:
        reasons = ordered([reason("unknown_code"), *own])
    elif found.cylinder is None:
        reasons = ordered([reason("not_registered"), *own])
    else:
        reasons = ordered([*check_cylinder(user, found, on), *own])
    if reasons:  # a refusal sights its flags again: read them before queueing to write
        cyl_id = found.cylinder.id if found.cylinder is not None else None
        read_open_flags((kind, cyl_id, None if cyl_id is not None else code)
                        for kind in refusal_flags(code, found.cylinder, reasons))
    end_read_phase()  # what follows writes; the chain lock re-reads the cylinder
    if reasons:
        return record_refusal(user, presented, code, found.cylinder, reasons)
    assert found.cylinder is not None and found.spec is not None
    return record_fill(user, presented, found.cylinder, found.spec.rated_fill_kg)


def record_fill(user: User, presented: Presented, cyl: Cylinder, rated: float) -> Outcome:
    """Append the `filled` event and the fill record; an overfill puts the cylinder on hold."""
    overfill = is_overfill(presented.net_mass_kg, rated)
    rec = record_event(cyl, "filled", user, event_id=presented.event_id,
                       occurred_at=presented.occurred_at, lat=presented.lat, lon=presented.lon,
                       place=presented.place, data={
                           "station_org_id": user.org_id, "net_mass_kg": presented.net_mass_kg,
                           "rated_fill_kg": rated, "overfill": overfill,
                           "precheck": dict(presented.precheck)})
    if not rec.created:  # a retry that waited for the first attempt's lock
        replay = replayed_outcome(user, rec.event.id, presented.text)
        assert replay is not None
        return replay
    values = {"event_id": rec.event.id, "cylinder_id": cyl.id, "code": cyl.code,
              "station_org_id": user.org_id, "operator_id": user.id,
              "filled_at": rec.event.occurred_at, "net_mass_kg": presented.net_mass_kg,
              "rated_fill_kg": rated, "overfill": overfill,
              "precheck": dict(presented.precheck)}
    # A plain INSERT: the write lock is held from here to the commit, so keep it short.
    FILL_INSERT.defer(db.session.connection(), values)
    fill = Fill(**values)  # the answer reads it; the stored row is the INSERT's
    if overfill:
        raise_flag("overfill", cylinder=cyl, actor=user, details={
            **where_and_who(user, presented), "fill_event_id": str(rec.event.id),
            "net_mass_kg": presented.net_mass_kg, "rated_fill_kg": rated})
    db.session.flush()
    return Outcome(True, presented.text, cyl.code, [], cylinder=cyl, fill=fill,
                   event=rec.event, on_hold=overfill)


def record_refusal(user: User, presented: Presented, code: str | None, cyl: Cylinder | None,
                   reasons: list[Reason]) -> Outcome:
    """Keep the refused attempt, in the cylinder's history when there is one, and flag it."""
    rendered = [reason_to_dict(r) for r in reasons]
    event_id = presented.event_id
    if cyl is not None:
        rec = record_event(cyl, "fill_refused", user, event_id=event_id,
                           occurred_at=presented.occurred_at, lat=presented.lat,
                           lon=presented.lon, place=presented.place,
                           data={"station_org_id": user.org_id, "reasons": rendered})
        if not rec.created:
            replay = replayed_outcome(user, rec.event.id, presented.text)
            assert replay is not None
            return replay
        event_id = rec.event.id
        refused_at = rec.event.occurred_at
    else:
        refused_at = presented.occurred_at or utcnow()
    values = {"event_id": event_id or uuid.uuid4(), "cylinder_id": cyl.id if cyl else None,
              "code": code, "text": presented.text[:400], "station_org_id": user.org_id,
              "operator_id": user.id, "refused_at": refused_at, "reasons": rendered}
    refusal_id = REFUSAL_INSERT.execute(db.session.connection(), values).fetchone()[0]
    refusal = FillRefusal(id=refusal_id, **values)  # for the answer, as stored
    _flag_refusal(user, presented, code, cyl, reasons)
    db.session.flush()
    return Outcome(False, presented.text, code, reasons, cylinder=cyl, refusal=refusal)


def refusal_flags(code: str | None, cyl: Cylinder | None, reasons: list[Reason]) -> list[str]:
    """The flags a refusal raises: every refusal, strangers' cylinders, black cylinders."""
    if cyl is not None:
        codes = {r.code for r in reasons}
        return ["fill_refused", *(["not_owned"] if "not_owned" in codes else []),
                *(["black_cylinder"] if raises_black_cylinder(reasons) else [])]
    if code is not None:
        # No cylinder to hang the flag on: the code names it, the details say who held it where.
        return ["black_cylinder" if raises_black_cylinder(reasons) else "fill_refused"]
    return []


def _flag_refusal(user: User, presented: Presented, code: str | None, cyl: Cylinder | None,
                  reasons: list[Reason]) -> None:
    """Raise what regulators must see (refusal_flags), saying who presented it where."""
    details = {**where_and_who(user, presented), "reasons": [r.code for r in reasons]}
    for kind in refusal_flags(code, cyl, reasons):
        if cyl is None:
            raise_flag(kind, code=code, actor=user, details=details)
        elif kind == "not_owned":
            raise_flag(kind, cylinder=cyl, actor=user,
                       details={**details, "owner_org_id": cyl.owner_org_id})
        else:
            raise_flag(kind, cylinder=cyl, actor=user, details=details)


def where_and_who(user: User, presented: Presented) -> dict[str, Any]:
    """Where and by whom a cylinder was presented, for a flag regulators act on."""
    return {"station_org_id": user.org_id, "station": user.org.name, "operator_id": user.id,
            "operator": user.display_name or user.name, "place": presented.place,
            "lat": presented.lat, "lon": presented.lon,
            "occurred_at": (presented.occurred_at.astimezone(dt.UTC).isoformat()
                            if presented.occurred_at else None)}


def replayed_outcome(user: User, event_id: uuid.UUID, text: str) -> Outcome | None:
    """Return the stored answer for an event id this station sent before, or None if new.

    The event is read first: its fill or refusal is committed with it, so the reads after it
    see them even where each statement sees the latest commit (SQLite's read phase, and
    PostgreSQL's READ COMMITTED). Read the other way round, a first attempt committing in
    between looked like an event without its fill: a false `event_id_reused`.
    """
    event = find_event(event_id)
    fill = db.session.scalar(select(Fill).where(Fill.event_id == event_id))
    if fill is not None:
        _same_attempt(user, text, fill.station_org_id, fill.code, None)
        cyl = db.session.get(Cylinder, fill.cylinder_id)
        return Outcome(True, text, fill.code, [], cylinder=cyl, fill=fill,
                       event=event or find_event(event_id), on_hold=fill.overfill and
                       cyl is not None and cylinder_on_hold(cyl), replayed=True)
    refusal = db.session.scalar(select(FillRefusal).where(FillRefusal.event_id == event_id))
    if refusal is not None:
        _same_attempt(user, text, refusal.station_org_id, refusal.code, refusal.text)
        cyl = db.session.get(Cylinder, refusal.cylinder_id) if refusal.cylinder_id else None
        reasons = [Reason(r["code"], r["message"], r["message_en"]) for r in refusal.reasons]
        return Outcome(False, text, refusal.code, reasons, cylinder=cyl, refusal=refusal,
                       replayed=True)
    if event is not None:
        raise Conflict("This event_id was already used for a different event.",
                       code="event_id_reused")
    return None


def _same_attempt(user: User, text: str, station_org_id: int, code: str | None,
                  stored_text: str | None) -> None:
    """Refuse an event id that this or another station used for a different attempt."""
    try:
        same = parse_code(text, public_base_url()).code == code
    except CodeError:
        same = stored_text is not None and text[:400] == stored_text
    if station_org_id != user.org_id or not same:
        raise Conflict("This event_id was already used for a different event.",
                       code="event_id_reused")


# --- after the fill ----------------------------------------------------------------------

def get_fill(user: User, event_id: uuid.UUID) -> Fill:
    """Return one of this station's fills by its event id (another station's is not found)."""
    fill = db.session.scalar(select(Fill).where(Fill.event_id == event_id))
    if fill is None or fill.station_org_id != user.org_id:
        raise NotFound(N_("No fill with this event id at your station."), code="fill_not_found")
    return fill


@dataclass
class Reweighed:
    fill: Fill
    event: Event
    cleared: bool
    replayed: bool = False


def reweigh(user: User, fill_event_id: uuid.UUID, net_mass_kg: float,
            event_id: uuid.UUID | None = None) -> Reweighed:
    """Record the scale's mass after a fill; within the rated mass it clears an overfill hold."""
    fill = get_fill(user, fill_event_id)
    cyl = db.session.get(Cylinder, fill.cylinder_id)
    assert cyl is not None
    cleared = not is_overfill(net_mass_kg, fill.rated_fill_kg)
    rec = record_event(cyl, "reweighed", user, event_id=event_id, data={
        "net_mass_kg": net_mass_kg, "cleared": cleared, "fill_event_id": str(fill.event_id),
        "rated_fill_kg": fill.rated_fill_kg})
    if not rec.created:
        if rec.event.data.get("fill_event_id") != str(fill.event_id):
            raise Conflict("This event_id was already used for a different event.",
                           code="event_id_reused")
        return Reweighed(fill, rec.event, bool(rec.event.data.get("cleared")), replayed=True)
    # Checked after the append: the cylinder's chain is locked, so no fill can slip in between.
    latest = db.session.scalar(select(func.max(Fill.id)).where(Fill.cylinder_id == cyl.id))
    if latest != fill.id:
        raise Conflict(N_("This cylinder was filled again after this fill; re-weigh its latest "
                          "fill."), code="fill_superseded")
    fill.reweighed_kg = net_mass_kg
    fill.reweighed_at = rec.event.occurred_at
    if fill.net_mass_kg is None:
        fill.net_mass_kg = net_mass_kg
    open_overfills = db.session.scalars(select(Flag).where(
        Flag.cylinder_id == cyl.id, Flag.kind == "overfill", Flag.status == "open"))
    if cleared:
        for flag in list(open_overfills):
            resolve_flag(user, flag.id, f"re-weighed at {net_mass_kg} kg, within the rated "
                                        f"{fill.rated_fill_kg} kg")
    else:
        fill.overfill = True
        raise_flag("overfill", cylinder=cyl, actor=user, details={
            "station_org_id": user.org_id, "fill_event_id": str(fill.event_id),
            "net_mass_kg": net_mass_kg, "rated_fill_kg": fill.rated_fill_kg, "reweighed": True})
    db.session.flush()
    return Reweighed(fill, rec.event, cleared)


def reweigh_held(user: User, fill_event_id: uuid.UUID, net_mass_kg: float,
                 event_id: uuid.UUID | None = None) -> Reweighed:
    """Re-weigh a fill whose cylinder its overfill holds: the filling page's action.

    The page offers a re-weigh only to lift a hold; re-weighing any other fill (which may raise
    one) stays the API's. A retry of a re-weigh already recorded (a double tap on the button)
    is answered as the first attempt was, though the hold it lifted is gone.
    """
    fill = get_fill(user, fill_event_id)
    cyl = db.session.get(Cylinder, fill.cylinder_id)
    retry = find_event(event_id) is not None
    if not retry and not (fill.overfill and cyl is not None and cylinder_on_hold(cyl)):
        raise Conflict(N_("This cylinder is not on hold for an overfill: there is nothing to "
                          "re-weigh."), code="not_on_hold")
    return reweigh(user, fill_event_id, net_mass_kg, event_id)
