"""Clone detection: one code seen at two places that cannot both be true.

Pure functions of the cylinder's last sightings and the new one, so the rules are tested
with hypothesis; `watch.py` feeds them from events and raises the flags.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class CloneLimits:
    """Thresholds, from config: a deployment tunes them in data, not code."""

    fill_window_hours: float = 6.0
    max_speed_kmh: float = 100.0
    min_distance_km: float = 2.0  # below this, GPS noise explains the gap


@dataclass(frozen=True)
class Sighting:
    """One place and time a code was presented."""

    event_id: str
    type: str
    at: dt.datetime
    org_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    ref: int | None = None  # customer id for deliveries

    def to_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "type": self.type, "at": self.at.isoformat(),
                "org_id": self.org_id, "lat": self.lat, "lon": self.lon, "ref": self.ref}


@dataclass(frozen=True)
class LastSeen:
    """What the trace knows before the new sighting."""

    last_fill: Sighting | None = None
    custody: str | None = None
    custody_sighting: Sighting | None = None
    last_delivery: Sighting | None = None


@dataclass(frozen=True)
class Conflict:
    rule: str
    first: Sighting
    second: Sighting
    facts: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        return {"rule": self.rule, "first": self.first.to_dict(),
                "second": self.second.to_dict(), **self.facts}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS-84 points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def fill_conflicts(seen: LastSeen, fill: Sighting, limits: CloneLimits) -> list[Conflict]:
    """A fill contradicts a fill at another station within hours, or a cylinder at a customer."""
    found = []
    last = seen.last_fill
    if last is not None and last.org_id is not None and fill.org_id is not None \
            and last.org_id != fill.org_id and last.event_id != fill.event_id:
        gap_h = abs((fill.at - last.at).total_seconds()) / 3600
        if gap_h < limits.fill_window_hours:
            found.append(Conflict("filled_at_two_stations", last, fill,
                                  {"hours_apart": round(gap_h, 2)}))
    held = seen.custody_sighting
    if seen.custody == "customer" and held is not None and held.at <= fill.at:
        found.append(Conflict("filled_while_at_customer", held, fill))
    return found


def delivery_conflicts(seen: LastSeen, delivery: Sighting,
                       limits: CloneLimits) -> list[Conflict]:
    """Two deliveries further apart than anyone could travel in the time between them."""
    last = seen.last_delivery
    if last is None or last.event_id == delivery.event_id or None in (
            last.lat, last.lon, delivery.lat, delivery.lon):
        return []
    km = distance_km(last.lat, last.lon, delivery.lat, delivery.lon)  # type: ignore[arg-type]
    if km < limits.min_distance_km:
        return []
    hours = abs((delivery.at - last.at).total_seconds()) / 3600
    speed = km / hours if hours > 0 else math.inf
    if speed <= limits.max_speed_kmh:
        return []
    return [Conflict("delivered_too_far_apart", last, delivery,
                     {"km": round(km, 1), "minutes_apart": round(hours * 60, 1),
                      "needed_kmh": None if math.isinf(speed) else round(speed)})]
