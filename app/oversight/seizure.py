"""Seizure to scrapping (seed plan 二(一)4): seize -> hand to an agency -> scrap -> cancel.

Each step is done by its own role, checks the step before it, and is one hash-chained event.
A scrapped cylinder's code is retired forever.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.auth.models import User
from app.database import utcnow
from app.delivery.custody import custody_of
from app.errors import N_, Conflict
from app.extensions import db
from app.oversight.services import (
    locked,
    record_step,
    replayed_step,
    require_agency_inspector,
    require_regulator,
)
from app.traceability.events import Recorded
from app.traceability.models import Code, Cylinder, Event
from app.traceability.services import snapshot

STEPS = ("seized", "handed_to_agency", "scrapped", "registration_cancelled")


def seize_cylinder(actor: User, cyl: Cylinder, *, note: str, order_no: str | None = None,
                   event_id: uuid.UUID | None = None) -> Recorded:
    """Seize (查封扣押) a cylinder on a regulator's order."""
    require_regulator(actor)
    replay = replayed_step(event_id, cyl, "seized")
    if replay:
        return replay
    cyl = locked(cyl)
    if cyl.scrapped_at or cyl.registration_cancelled_at:
        raise Conflict(N_("This cylinder is scrapped already."), code="already_scrapped")
    if cyl.seized_at:
        raise Conflict(N_("This cylinder is seized already."), code="already_seized")
    before = snapshot(cyl)
    cyl.seized_at = utcnow()
    return record_step(cyl, "seized", actor, event_id,
                       {"order_no": order_no, "note": note}, before)


def hand_to_agency(actor: User, cyl: Cylinder, *, note: str,
                   event_id: uuid.UUID | None = None) -> Recorded:
    """Take a seized cylinder into the inspector's agency for scrapping."""
    require_agency_inspector(actor)
    replay = replayed_step(event_id, cyl, "handed_to_agency")
    if replay:
        return replay
    cyl = locked(cyl)
    if cyl.scrapped_at:
        raise Conflict(N_("This cylinder is scrapped already."), code="already_scrapped")
    if not cyl.seized_at:
        raise Conflict(N_("Only a seized cylinder is handed to an agency."), code="not_seized")
    if current_agency(cyl) is not None:
        raise Conflict(N_("This cylinder is with an agency already."), code="already_handed_over")
    before = snapshot(cyl)
    return record_step(cyl, "handed_to_agency", actor, event_id,
                       {"agency_org_id": actor.org_id, "note": note}, before)


def current_agency(cyl: Cylinder) -> int | None:
    """Return the agency a seized cylinder was last handed to (None if not handed over)."""
    data = db.session.scalar(select(Event.data).where(
        Event.cylinder_id == cyl.id, Event.type == "handed_to_agency")
        .order_by(Event.seq.desc()).limit(1))
    return int(data["agency_org_id"]) if data and data.get("agency_org_id") else None


def require_with_agency(actor: User, cyl: Cylinder, *, inspecting: bool = False) -> None:
    """Refuse unless the cylinder is in the hands of the actor's agency (409 not_with_agency).

    A seized cylinder is only ever in an agency's hands once handed over to it: a regulator's
    seizure must not be cut short by any agency. Scrapping outright needs that hand-over. An
    inspection or assessment (`inspecting`) of a cylinder not seized is the normal periodic
    flow, where the owner brings it in and the recorded inspection moves custody to the
    agency, so it is refused only while another agency holds the cylinder.
    """
    if cyl.seized_at or not inspecting:
        if current_agency(cyl) != actor.org_id:
            message = (N_("A seized cylinder must be handed to your agency first.") if inspecting
                       else N_("Only a cylinder handed to your agency can be scrapped."))
            raise Conflict(message, code="not_with_agency")
        return
    holder = custody_of(cyl)
    if holder.kind == "agency" and holder.org_id != actor.org_id:
        raise Conflict(N_("This cylinder is in another agency's custody."),
                       code="not_with_agency")


def scrap_cylinder(actor: User, cyl: Cylinder, *, note: str, event_id: uuid.UUID | None = None,
                   after_failed_inspection: bool = False) -> Recorded:
    """Scrap (报废) a cylinder held by the inspector's agency; retire its code for good.

    `after_failed_inspection`: the inspection or assessment just recorded by this agency
    checked its custody already (and its event made the agency the holder).
    """
    require_agency_inspector(actor)
    replay = replayed_step(event_id, cyl, "scrapped")
    if replay:
        return replay
    cyl = locked(cyl)
    if cyl.scrapped_at:
        raise Conflict(N_("This cylinder is scrapped already."), code="already_scrapped")
    if not after_failed_inspection:
        require_with_agency(actor, cyl)
    before = snapshot(cyl)
    cyl.scrapped_at = utcnow()
    code = db.session.get(Code, cyl.code)
    if code is not None:
        code.status = "retired"
    return record_step(cyl, "scrapped", actor, event_id,
                       {"agency_org_id": actor.org_id, "note": note}, before)


def cancel_registration(actor: User, cyl: Cylinder, *, note: str, order_no: str | None = None,
                        event_id: uuid.UUID | None = None) -> Recorded:
    """Cancel (注销) the use registration of a scrapped cylinder."""
    require_regulator(actor)
    replay = replayed_step(event_id, cyl, "registration_cancelled")
    if replay:
        return replay
    cyl = locked(cyl)
    if cyl.registration_cancelled_at:
        raise Conflict(N_("This registration is cancelled already."), code="already_cancelled")
    if not cyl.scrapped_at:
        raise Conflict(N_("Only a scrapped cylinder's registration is cancelled."),
                       code="not_scrapped")
    before = snapshot(cyl)
    cyl.registration_cancelled_at = utcnow()
    return record_step(cyl, "registration_cancelled", actor, event_id,
                       {"order_no": order_no, "note": note}, before)
