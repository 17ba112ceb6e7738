"""Count a month's work from the events and flags that record it.

Everything is counted from `events` (by the device time `occurred_at`, in the district's time
zone), `flags` and the delivery package's `hazards`. Titles, headers and row labels are in the
request's language (Chinese by default), so the files and the JSON read as the page does;
section keys, codes and names stay as stored. A report for a delivery area counts what
happened in that area: flags seen there, deliveries by drivers assigned to it and hazards at its
customers; fills, refusals and inspections happen at stations and agencies, which belong to no
delivery area, so those sections say so instead of counting.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.sql import ColumnElement

from app.clock import DISTRICT_TZ, today
from app.delivery.models import Hazard
from app.errors import N_, ValidationFailed
from app.extensions import db
from app.filling.rules import MESSAGES as REASON_MESSAGES
from app.oversight.labels import flag_label
from app.oversight.services import area_names, org_names
from app.traceability.models import Event, Flag

BLACK_STEPS = ("seized", "handed_to_agency", "scrapped", "registration_cancelled")
BLACK_LABELS = {"seized": _l("Seizure"),
                "handed_to_agency": _l("Hand-over to an inspection agency"),
                "scrapped": _l("Scrapping"),
                "registration_cancelled": _l("Cancellation of registration")}


@dataclass
class Section:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str | None = None


@dataclass
class MonthlyReport:
    month: str
    scope: str
    org_id: int | None
    sections: list[Section]
    totals: dict[str, int]
    area_id: int | None = None

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """Parse YYYY-MM into the first day of that month and of the next."""
    try:
        first = dt.datetime.strptime(text or "", "%Y-%m").date()
    except ValueError as exc:
        raise ValidationFailed(N_("month must look like 2026-05."), code="invalid_month") from exc
    latest = max(today(), dt.datetime.now(DISTRICT_TZ).date())  # a fixed test clock may lag
    if first > latest:
        raise ValidationFailed(N_("That month has not begun yet."), code="month_in_future")
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt


def generated_at() -> str:
    """When a report file is made, in the district's time: a report filed at 07:00 in Baoding
    said 23:00 the day before (UTC)."""
    from app.database import utcnow

    return utcnow().astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")


EARLIEST_MONTH = dt.date(2000, 1, 1)  # no cylinder in the district was traced before


def report_month(text: str) -> tuple[dt.date, dt.date]:
    """Parse the month of a report: not in the future, and not before EARLIEST_MONTH (1900-01
    would answer a page of zeros, and 0001-01 overflows the time zone's arithmetic)."""
    first, nxt = parse_month(text)
    if first < EARLIEST_MONTH:
        raise ValidationFailed(N_("Monthly reports begin with 2000-01."),
                               code="month_too_early")
    return first, nxt


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=DISTRICT_TZ).astimezone(dt.UTC)


BASIS = _l("Lianchi District work plan for the urban and rural gas safety campaign, section "
           "5(3): reported before the 20th of each month")
NOT_AREA_BOUND = _l("Not counted in a delivery area's report: filling stations and inspection "
                    "agencies belong to no delivery area; see the report by unit.")


class _Window:
    def __init__(self, month: str, org_id: int | None, area_id: int | None = None) -> None:
        first, nxt = report_month(month)
        self.start, self.end, self.org_id = _utc(first), _utc(nxt), org_id
        self.area_id = area_id

    def events(self, *types: str) -> list[ColumnElement[bool]]:
        terms = [Event.type.in_(types), Event.occurred_at >= self.start,
                 Event.occurred_at < self.end]
        if self.org_id is not None:
            terms.append(Event.actor_org_id == self.org_id)
        return terms

    def flags(self, column: Any) -> list[ColumnElement[bool]]:
        terms = [column >= self.start, column < self.end]
        if self.org_id is not None:
            terms.append(Flag.org_id == self.org_id)
        if self.area_id is not None:
            terms.append(Flag.area_id == self.area_id)
        return terms

    def not_area_bound(self, section: Section) -> Section:
        """Blank a station's or agency's section in a report for a delivery area."""
        if self.area_id is not None:
            section.rows, section.note = [], str(NOT_AREA_BOUND)
        return section


def _fills(w: _Window) -> Section:
    overfill = Event.data["overfill"].as_boolean()
    rows = db.session.execute(
        select(Event.actor_org_id, func.count(), func.sum(case((overfill.is_(True), 1), else_=0)))
        .where(*w.events("filled")).group_by(Event.actor_org_id)).all()
    names = org_names({r[0] for r in rows})
    body = sorted(([names.get(r[0], "—") if r[0] else "—", r[1], int(r[2] or 0)] for r in rows),
                  key=lambda r: (-r[1], r[0]))
    return w.not_area_bound(Section("fills", _("Filling"),
                                    [_("Filling unit"), _("Fills"), _("Overfills")], body))


def _refusals(w: _Window) -> Section:
    counts: Counter[str] = Counter()
    messages: dict[str, str] = {}
    english = str(get_locale()) == "en"
    said = "message_en" if english else "message"  # a refusal keeps both
    for data in db.session.scalars(select(Event.data).where(*w.events("fill_refused"))):
        for reason in (data or {}).get("reasons", []) or [{"code": "unknown"}]:
            code = str(reason.get("code", "unknown"))
            counts[code] += 1
            messages.setdefault(code, str(reason.get(said) or code))
    for code in messages.keys() & REASON_MESSAGES.keys():
        # a row counts every refusal of its code: the catalogue's words, not the first one's
        # detail (two banned models would both read as the first model)
        messages[code] = REASON_MESSAGES[code][1 if english else 0]
    rows = [[code, messages[code], n] for code, n in counts.most_common()]
    return w.not_area_bound(Section("refusals", _("Refused fills (by reason)"),
                                    [_("Reason code"), _("Reason"), _("Times")], rows))


def _flags(w: _Window) -> Section:
    raised = dict(db.session.execute(select(Flag.kind, func.count()).where(
        *w.flags(Flag.raised_at)).group_by(Flag.kind)).all())
    resolved = dict(db.session.execute(select(Flag.kind, func.count()).where(
        *w.flags(Flag.resolved_at)).group_by(Flag.kind)).all())
    kinds = sorted(set(raised) | set(resolved))
    rows = [[flag_label(k), k, raised.get(k, 0), resolved.get(k, 0)] for k in kinds]
    return Section("flags", _("Flags"), [_("Kind"), _("Kind code"), _("Raised"), _("Resolved")],
                   rows)


def _black(w: _Window) -> Section:
    counts = dict(db.session.execute(select(Event.type, func.count())
                                     .where(*w.events(*BLACK_STEPS)).group_by(Event.type)).all())
    sightings = db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.kind == "black_cylinder", *w.flags(Flag.raised_at))) or 0
    rows = [] if w.area_id is not None else [[str(BLACK_LABELS[s]), counts.get(s, 0)]
                                             for s in BLACK_STEPS]
    rows.append([_("Black cylinders found (flags)"), sightings])
    note = (_("Seizure, hand-over, scrapping and cancellation are done by regulators and "
              "inspection agencies and counted by unit; here only black cylinders found in "
              "this area are counted.") if w.area_id is not None else None)
    return Section("black", _("Black cylinders dealt with"), [_("Step"), _("Number")], rows,
                   note)


def _inspections(w: _Window) -> Section:
    result = Event.data["result"].as_string()
    counts = {(t, r): n for t, r, n in db.session.execute(
        select(Event.type, result, func.count()).where(*w.events("inspected", "safety_assessed"))
        .group_by(Event.type, result)).all()}
    rows = [[_("Periodic inspection"), counts.get(("inspected", "pass"), 0),
             counts.get(("inspected", "fail"), 0)],
            [_("Safety assessment (service life extended)"),
             counts.get(("safety_assessed", "pass"), 0),
             counts.get(("safety_assessed", "fail"), 0)]]
    return w.not_area_bound(Section("inspections", _("Inspections"),
                                    [pgettext("report", "Item"), _("Passed"), _("Failed")], rows))


def _deliveries(w: _Window) -> Section:
    checked = Event.data["safety_check_id"].as_string()
    out = Event.data["out_of_zone"].as_boolean()
    terms = w.events("delivered")
    if w.area_id is not None:  # the area of the driver's assignment, stored with the delivery
        terms.append(Event.data[("zone", "area_id")].as_integer() == w.area_id)
    total, with_check, out_zone = db.session.execute(select(
        func.count(), func.count(checked), func.sum(case((out.is_(True), 1), else_=0)))
        .where(*terms)).one()
    total, with_check = total or 0, with_check or 0
    rows = [[_("Deliveries"), total], [_("With a safety check"), with_check],
            [_("Without a safety check"), total - with_check],
            [_("Delivered outside its area"), int(out_zone or 0)]]
    return Section("deliveries", _("Deliveries and safety checks"),
                   [pgettext("report", "Item"), _("Number")], rows)


def _hazards(w: _Window) -> Section:
    """Hazards found, rectified and overdue in the month, from the delivery ledger."""
    scope = [Hazard.org_id == w.org_id] if w.org_id is not None else []
    if w.area_id is not None:
        scope.append(Hazard.area_id == w.area_id)

    def count(*terms: Any) -> int:
        return db.session.scalar(select(func.count(Hazard.id)).where(*scope, *terms)) or 0

    # overdue as the month ended (as of today in the month still running), as the ledger
    # counts it: still open then, and its deadline before that day; a later rectification
    # does not change a month already reported
    as_of = min(w.end.astimezone(DISTRICT_TZ).date(), today())
    rows = [[_("Hazards found"), count(Hazard.found_at >= w.start, Hazard.found_at < w.end)],
            [_("Rectified"), count(Hazard.rectified_at >= w.start, Hazard.rectified_at < w.end)],
            [_("Overdue, not rectified"),
             count(or_(Hazard.rectified_at.is_(None), Hazard.rectified_at >= w.end),
                   Hazard.deadline < as_of)]]
    return Section("hazards", _("Hazard checks and rectification"),
                   [pgettext("report", "Item"), _("Number")], rows)


def _refusal_count(w: _Window) -> int:
    """Refused attempts, each once (the section above counts reasons: one refusal has several)."""
    if w.area_id is not None:
        return 0  # stations belong to no delivery area (NOT_AREA_BOUND)
    return db.session.scalar(select(func.count()).select_from(Event)
                             .where(*w.events("fill_refused"))) or 0


def _digest(w: _Window) -> Section:
    """The month's last chain digest, so the filed report carries it outside the system."""
    from app.oversight.digests import grouped, last_digest_between, local_text

    section = Section("digest", _("Chain digest"),
                      [_("Covers records received before"), _("Cylinders"), _("Events"),
                       _("Digest")])
    last = last_digest_between(w.start, w.end)
    if last is None:
        section.note = _("No chain digest was taken this month (run `flask chain digest` "
                         "daily, or take one on the chain digests page).")
        return section
    section.note = _("Keep this report: with this digest, the history up to the cutoff can "
                     "be proved unchanged later (chain digests page).")
    text = grouped(last.root)
    section.rows = [[local_text(last.cutoff),
                     last.cylinders, last.events, f"{text[:39]}\n{text[40:]}"]]
    return section


def monthly_report(month: str, org_id: int | None = None,
                   area_id: int | None = None) -> MonthlyReport:
    """Count one month's fills, refusals, flags, black cylinders, inspections and deliveries."""
    w = _Window(month, org_id, area_id)
    sections = [_fills(w), _refusals(w), _flags(w), _black(w), _inspections(w), _deliveries(w),
                _hazards(w)]
    if org_id is None and area_id is None:
        sections.append(_digest(w))
    scope = org_names({org_id}).get(org_id or 0, "—") if org_id else _("Whole district")
    if area_id is not None:
        area = area_names({area_id}).get(area_id, "—")  # "company · area"
        # the area's own company is named once; another unit's name stays in front
        scope = area if org_id is None or area.startswith(f"{scope} · ") else f"{scope} · {area}"
    totals = {"fills": sum(r[1] for r in sections[0].rows),
              "refusals": _refusal_count(w),
              "flags_raised": sum(r[2] for r in sections[2].rows),
              "flags_resolved": sum(r[3] for r in sections[2].rows),
              "deliveries": sections[5].rows[0][1]}
    return MonthlyReport(month, scope, org_id, sections, totals, area_id)


def report_to_dict(report: MonthlyReport) -> dict[str, Any]:
    """Render the report's numbers as JSON."""
    return {"month": report.month, "scope": report.scope, "org_id": report.org_id,
            "area_id": report.area_id,
            "totals": report.totals,
            "sections": [{"key": s.key, "title": s.title, "headers": s.headers, "rows": s.rows,
                          "note": s.note} for s in report.sections]}
