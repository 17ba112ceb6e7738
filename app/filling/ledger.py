"""A station's day at the scale: its fills and refusals, newest first."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import aliased

from app.clock import DISTRICT_TZ
from app.database import utcnow
from app.extensions import db
from app.filling.models import Fill, FillRefusal
from app.traceability.codes import format_code
from app.traceability.models import Cylinder, Flag


@dataclass(frozen=True)
class Entry:
    """One line of the station's day: a fill or a refusal."""

    kind: str  # fill, refusal
    at: dt.datetime
    code: str | None
    text: str
    model: str | None
    net_mass_kg: float | None = None
    rated_fill_kg: float | None = None
    overfill: bool = False
    cleared: bool = False
    reasons: tuple[dict, ...] = ()
    event_id: str = ""
    reweighed_kg: float | None = None

    @property
    def display(self) -> str:
        return format_code(self.code) if self.code else self.text[:40]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "at": self.at.isoformat(), "code": self.code,
                "display_code": self.display, "model": self.model,
                "net_mass_kg": self.net_mass_kg, "rated_fill_kg": self.rated_fill_kg,
                "overfill": self.overfill, "cleared": self.cleared,
                "reasons": list(self.reasons), "event_id": self.event_id}


def local_day(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The district's calendar day around a moment, as UTC bounds [start, end).

    Records carry the real time they were received, so the day is taken from the real clock.
    """
    local = (now or utcnow()).astimezone(DISTRICT_TZ)
    start = dt.datetime.combine(local.date(), dt.time(), DISTRICT_TZ)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def station_fills(station_org_id: int, start: dt.datetime, end: dt.datetime) -> Select:
    """A station's fills in a time window, newest first, with each cylinder's model."""
    return (select(Fill, Cylinder.model).join(Cylinder, Cylinder.id == Fill.cylinder_id)
            .where(Fill.station_org_id == station_org_id, Fill.filled_at >= start,
                   Fill.filled_at < end)
            .order_by(Fill.filled_at.desc()))


def station_refusals(station_org_id: int, start: dt.datetime, end: dt.datetime) -> Select:
    """A station's refused attempts in a time window, newest first."""
    return (select(FillRefusal, Cylinder.model)
            .outerjoin(Cylinder, Cylinder.id == FillRefusal.cylinder_id)
            .where(FillRefusal.station_org_id == station_org_id,
                   FillRefusal.refused_at >= start, FillRefusal.refused_at < end)
            .order_by(FillRefusal.refused_at.desc()))


def day_entries(station_org_id: int, now: dt.datetime | None = None,
                limit: int = 200) -> list[Entry]:
    """Today's fills and refusals of a station, merged newest first."""
    start, end = local_day(now)
    entries = [
        Entry("fill", fill.filled_at, fill.code, fill.code, model,
              net_mass_kg=fill.net_mass_kg, rated_fill_kg=fill.rated_fill_kg,
              overfill=fill.overfill,
              cleared=fill.reweighed_kg is not None and fill.reweighed_kg <= fill.rated_fill_kg,
              event_id=str(fill.event_id))
        for fill, model in db.session.execute(station_fills(station_org_id, start, end)
                                              .limit(limit))]
    entries += [
        Entry("refusal", ref.refused_at, ref.code, ref.text, model,
              reasons=tuple(ref.reasons), event_id=str(ref.event_id))
        for ref, model in db.session.execute(station_refusals(station_org_id, start, end)
                                             .limit(limit))]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]


def held_fills(station_org_id: int) -> Select:
    """A station's fills whose cylinder their overfill still holds, any day, newest first.

    Only a cylinder's latest fill: a held cylinder cannot be filled again, so the hold is that
    fill's; an earlier fill (here or at another station) has nothing left to re-weigh.
    Asked from the open overfill flags, which are few, not from the station's every fill.
    """
    held = select(Flag.cylinder_id).where(Flag.status == "open", Flag.kind == "overfill")
    later = aliased(Fill)
    return (select(Fill, Cylinder.model).join(Cylinder, Cylinder.id == Fill.cylinder_id)
            .where(Fill.cylinder_id.in_(held), Fill.station_org_id == station_org_id,
                   Fill.overfill.is_(True),
                   ~exists().where(later.cylinder_id == Fill.cylinder_id, later.id > Fill.id))
            .order_by(Fill.filled_at.desc()))


def held_entries(station_org_id: int, limit: int = 100) -> list[Entry]:
    """The station's fills waiting for a re-weigh to lift their overfill hold."""
    return [Entry("fill", fill.filled_at, fill.code, fill.code, model,
                  net_mass_kg=fill.net_mass_kg, rated_fill_kg=fill.rated_fill_kg,
                  overfill=True, event_id=str(fill.event_id), reweighed_kg=fill.reweighed_kg)
            for fill, model in db.session.execute(held_fills(station_org_id).limit(limit))]
