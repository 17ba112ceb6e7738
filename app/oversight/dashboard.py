"""The flags dashboard: open flags by kind, station, company and area, a trend, the work queue."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.database import utcnow
from app.extensions import db
from app.oversight.labels import flag_label, rule_label
from app.oversight.models import PublicReport
from app.oversight.reports.data import DISTRICT_TZ
from app.oversight.services import area_names, org_names
from app.traceability.models import Cylinder, Flag

TREND_DAYS = 30


@dataclass
class Dashboard:
    by_kind: list[tuple[str, str, int]]
    by_station: list[tuple[str, str, int]]  # (key, label, count); key "none": no unit
    by_company: list[tuple[str, str, int]]  # key "none": flags on no cylinder
    by_area: list[tuple[int | None, str, int]]
    days: list[dt.date]
    trend: dict[str, list[int]]
    open_total: int
    open_reports: int


def _areas(rows: list[Any]) -> list[tuple[int | None, str, int]]:
    names = area_names({r[0] for r in rows})
    return sorted(((r[0], names.get(r[0], "—") if r[0] else _("No delivery area"), r[1])
                   for r in rows), key=lambda t: (t[0] is None, -t[2]))


def _named(rows: list[Any], none: str) -> list[tuple[str, str, int]]:
    """(key, label, count) per organisation, by count; the row of flags without one last,
    keyed "none" (as by_area), so that every open flag is counted once."""
    names = org_names({r[0] for r in rows if r[0]})
    named = sorted(((names.get(r[0], "—"), names.get(r[0], "—"), r[1]) for r in rows if r[0]),
                   key=lambda t: -t[2])
    missing = sum(r[1] for r in rows if not r[0])
    return named + ([("none", none, missing)] if missing else [])


def dashboard(days: int = TREND_DAYS) -> Dashboard:
    """Count open flags by kind, by who saw them, by the owning company and by delivery area."""
    open_ = Flag.status == "open"
    kinds = db.session.execute(select(Flag.kind, func.count()).where(open_)
                               .group_by(Flag.kind)).all()
    stations = db.session.execute(select(Flag.org_id, func.count()).where(open_)
                                  .group_by(Flag.org_id)).all()
    companies = db.session.execute(
        select(Cylinder.owner_org_id, func.count()).select_from(Flag)
        .outerjoin(Cylinder, Cylinder.id == Flag.cylinder_id).where(open_)
        .group_by(Cylinder.owner_org_id)).all()
    areas = db.session.execute(select(Flag.area_id, func.count()).where(open_)
                               .group_by(Flag.area_id)).all()
    end = utcnow().astimezone(DISTRICT_TZ).date()  # flags carry the real clock's time
    first = end - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=DISTRICT_TZ)
    trend: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    for kind, raised_at in db.session.execute(select(Flag.kind, Flag.raised_at)
                                              .where(Flag.raised_at >= since)):
        index = (raised_at.astimezone(DISTRICT_TZ).date() - first).days
        if 0 <= index < days:
            trend[kind][index] += 1
    reports = db.session.scalar(select(func.count()).select_from(PublicReport)
                                .where(PublicReport.status == "open")) or 0
    return Dashboard(
        by_kind=sorted(((k, flag_label(k), n) for k, n in kinds), key=lambda t: -t[2]),
        by_station=_named(stations, _("No unit")),
        by_company=_named(companies, _("No cylinder")), by_area=_areas(areas),
        days=[first + dt.timedelta(days=i) for i in range(days)],
        trend=dict(sorted(trend.items())), open_total=sum(n for _, n in kinds),
        open_reports=reports)


def work_queue(kind: str | None = None, area_id: int | None = None,
               limit: int = 100, cylinder_id: int | None = None) -> list[Flag]:
    """Open flags to work through, most recently seen first (one cylinder's, when given: its
    page links here, and an old flag of a busy kind may be past the first `limit`)."""
    query = select(Flag).where(Flag.status == "open").order_by(Flag.last_seen_at.desc())
    if kind:
        query = query.where(Flag.kind == kind)
    if area_id is not None:
        query = query.where(Flag.area_id == area_id)
    if cylinder_id is not None:
        query = query.where(Flag.cylinder_id == cylinder_id)
    return list(db.session.scalars(query.limit(limit)))


def _local_time(stamp: Any) -> str:
    """An ISO time stored in a flag's details, as district wall-clock time."""
    try:
        when = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")


def queue_evidence(queue: list[Flag]) -> dict[int, str]:
    """For each clone flag, its rule and the two sightings (step, district time, unit)."""
    from app.oversight.timeline import EVENT_LABELS

    def sightings(flag: Flag) -> list[dict[str, Any]]:
        details = flag.details or {}
        return [s for s in (details.get("first"), details.get("second")) if isinstance(s, dict)]

    names = org_names({s.get("org_id") for f in queue for s in sightings(f) if s.get("org_id")})
    out: dict[int, str] = {}
    for flag in queue:
        rule = (flag.details or {}).get("rule")
        if not rule:
            continue
        parts = [rule_label(rule)]
        for s in sightings(flag):
            step = str(EVENT_LABELS.get(s.get("type", ""), s.get("type") or ""))
            parts.append(" ".join(p for p in (step, _local_time(s.get("at")),
                                               names.get(s.get("org_id") or 0, "")) if p))
        out[flag.id] = " · ".join(parts)
    return out


def open_reports(limit: int = 100) -> list[PublicReport]:
    """Public reports waiting for a regulator, oldest first."""
    return list(db.session.scalars(select(PublicReport).where(PublicReport.status == "open")
                                   .order_by(PublicReport.created_at).limit(limit)))
