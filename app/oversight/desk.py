"""The inspection desk's reading side: a scanned cylinder's facts and what the bench may record
on it now, and the agency's inspections of the day.

The rules stay in inspections.py: the desk asks its services why a result or an assessment
would be refused, and offers only the rest; the services check again when recording.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select

from app.auth.models import User
from app.errors import APIError
from app.extensions import db
from app.filling.ledger import local_day
from app.oversight import inspections
from app.oversight.seizure import current_agency
from app.oversight.services import org_names
from app.traceability import services as registry
from app.traceability.codes import format_code
from app.traceability.models import Cylinder, Event
from app.traceability.rules import CylinderState

DESK_EVENTS = ("inspected", "safety_assessed")
DAY_LIMIT = 500  # a bench does about a hundred a day; the list is for a glance, not a ledger


@dataclass(frozen=True)
class Offer:
    """What the desk offers for a cylinder: each refusal is the reason a button is missing."""

    cylinder: Cylinder
    state: CylinderState
    owner: str | None
    agency: str | None  # the agency a seized cylinder was handed to, if any
    blocked: APIError | None  # no result at all (scrapped, another agency's, not handed over)
    no_pass: APIError | None  # a fail only (a seized cylinder never passes)
    extension: dt.date | None  # what a passed safety assessment grants today
    no_extension: str | None  # why no safety assessment now, in the reader's language


def offer_for(actor: User, cyl: Cylinder) -> Offer:
    """Gather a scanned cylinder's facts and what the desk may record on it now."""
    blocked = inspections.refusal_for(actor, cyl, "fail")
    no_pass = blocked or inspections.refusal_for(actor, cyl, "pass")
    extension, no_extension = None, None
    try:
        extension = inspections.extension_for(cyl)
    except inspections.ExtensionRefused as exc:
        no_extension = exc.in_reader_language()
    agency_id = current_agency(cyl) if cyl.seized_at else None
    return Offer(cyl, registry.cylinder_state(cyl), registry.org_name(cyl.owner_org_id),
                 org_names({agency_id}).get(agency_id) if agency_id else None,
                 blocked, no_pass, extension, no_extension)


@dataclass(frozen=True)
class DeskEntry:
    """One result the agency recorded today."""

    at: dt.datetime
    code: str
    model: str
    kind: str  # inspected, safety_assessed
    result: str  # pass, fail
    until: str | None  # the next inspection due, or the extended end of service life

    @property
    def display(self) -> str:
        return format_code(self.code)


def agency_results(org_id: int, start: dt.datetime, end: dt.datetime) -> Select:
    """An agency's inspections and assessments received in a time window, newest first."""
    return (select(Event, Cylinder.code, Cylinder.model)
            .join(Cylinder, Cylinder.id == Event.cylinder_id)
            .where(Event.actor_org_id == org_id, Event.type.in_(DESK_EVENTS),
                   Event.received_at >= start, Event.received_at < end)
            .order_by(Event.received_at.desc(), Event.seq.desc()))


def day_entries(org_id: int, now: dt.datetime | None = None) -> list[DeskEntry]:
    """The agency's results of the district's day (today by default), newest first."""
    rows = db.session.execute(agency_results(org_id, *local_day(now)).limit(DAY_LIMIT))
    return [DeskEntry(event.received_at, code, model, event.type, event.data.get("result", ""),
                      event.data.get("next_due") or event.data.get("extended_until"))
            for event, code, model in rows]
