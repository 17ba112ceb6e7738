"""Expiry alerts (到期提醒): live cylinders whose inspection or service life falls due.

An owner must send a cylinder to the inspection agency before its periodic inspection is due
(GB/T 8334: every four years) and retire it before its service life ends, or the filling
interlock refuses it at the scale. Each live cylinder (not seized, scrapped or cancelled)
that needs doing within the window has exactly one kind, the most urgent one:

    beyond_service_life  service_life_ends <= today
    inspection_overdue   next_inspection_due < today, life not ended
    life_ending          life ends within the window (retire or assess it; an inspection
                         before then would be wasted)
    inspection_due       inspection due within the window (today included), life goes on

The queries use the stored due dates, so they run on the indexes
(owner_org_id, next_inspection_due) and (owner_org_id, service_life_ends).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from app.auth.services import get_org
from app.clock import today
from app.extensions import db
from app.oversight.services import owner_scope
from app.traceability.models import Cylinder

KINDS = ("inspection_overdue", "beyond_service_life", "inspection_due", "life_ending")
WINDOW_DEFAULT = 60
WINDOW_MIN, WINDOW_MAX = 1, 366
WINDOW_CHOICES = (30, 60, 90, 180)
CHART_MONTHS = 12

_due = Cylinder.next_inspection_due
_ends = Cylinder.service_life_ends


@dataclass(frozen=True)
class Window:
    """The day the alerts are for and the last day of the window."""

    on: dt.date
    until: dt.date

    @classmethod
    def of(cls, within_days: int, on: dt.date | None = None) -> Window:
        on = on or today()
        return cls(on, on + dt.timedelta(days=within_days))


@dataclass
class DueItem:
    cylinder: Cylinder
    kind: str
    date: dt.date  # the date its kind is about: the inspection due, or the end of life
    days_left: int  # negative once the date has passed


@dataclass
class DuePage:
    summary: dict[str, int]
    items: list[DueItem]
    page: int
    per_page: int
    total: int


def _alive() -> Any:
    return and_(Cylinder.registration_cancelled_at.is_(None), Cylinder.scrapped_at.is_(None),
                Cylinder.seized_at.is_(None))


def kind_condition(kind: str, w: Window) -> Any:
    """One kind as SQL over the stored dates; the four never overlap."""
    return and_(_alive(), {
        "beyond_service_life": _ends <= w.on,
        "inspection_overdue": and_(_ends > w.on, _due < w.on),
        "life_ending": and_(_ends > w.on, _ends <= w.until, _due >= w.on),
        "inspection_due": and_(_ends > w.until, _due >= w.on, _due <= w.until),
    }[kind])


def _kind_expr(w: Window) -> Any:
    return case((_ends <= w.on, "beyond_service_life"), (_due < w.on, "inspection_overdue"),
                (_ends <= w.until, "life_ending"), else_="inspection_due")


def _date_expr(w: Window) -> Any:
    return case((or_(_ends <= w.on, and_(_due >= w.on, _ends <= w.until)), _ends), else_=_due)


def _scoped(query: Select, owner_org_id: int | None) -> Select:
    return query if owner_org_id is None else query.where(Cylinder.owner_org_id == owner_org_id)


def due_query(w: Window, kind: str | None = None, owner_org_id: int | None = None) -> Select:
    """Cylinders needing action in the window, nearest date first (not executed)."""
    if kind is not None:
        where = kind_condition(kind, w)
    else:  # the union of the four kinds, written so each half can use an index
        where = and_(_alive(), or_(_due <= w.until, _ends <= w.until))
    query = select(Cylinder, _kind_expr(w).label("kind"), _date_expr(w).label("date"))
    return _scoped(query.where(where), owner_org_id).order_by(_date_expr(w), Cylinder.id)


def due_summary(w: Window, owner_org_id: int | None = None) -> dict[str, int]:
    """Count the cylinders of each kind in one pass."""
    query = select(*(func.sum(case((kind_condition(k, w), 1), else_=0)) for k in KINDS)).where(
        _alive(), or_(_due <= w.until, _ends <= w.until))
    row = db.session.execute(_scoped(query, owner_org_id)).one()
    return {k: int(n or 0) for k, n in zip(KINDS, row, strict=True)}


def list_due(within_days: int = WINDOW_DEFAULT, *, kind: str | None = None,
             owner_org_id: int | None = None, page: int = 1, per_page: int = 25,
             on: dt.date | None = None) -> DuePage:
    """One page of the alerts with the counts per kind (for the whole scope, any kind)."""
    w = Window.of(within_days, on)
    summary = due_summary(w, owner_org_id)
    total = summary[kind] if kind else sum(summary.values())
    rows = db.session.execute(due_query(w, kind, owner_org_id)
                              .limit(per_page).offset((page - 1) * per_page))
    items = [DueItem(cyl, k, d, (d - w.on).days) for cyl, k, d in rows]
    return DuePage(summary, items, page, per_page, total)


def all_due(within_days: int = WINDOW_DEFAULT, *, kind: str | None = None,
            owner_org_id: int | None = None, limit: int = 50_000) -> list[DueItem]:
    """Every alert in scope (for the workbook), nearest date first."""
    w = Window.of(within_days)
    rows = db.session.execute(due_query(w, kind, owner_org_id).limit(limit))
    return [DueItem(cyl, k, d, (d - w.on).days) for cyl, k, d in rows]


def month_starts(on: dt.date, months: int = CHART_MONTHS) -> list[dt.date]:
    """The first day of this month and of each following month (one more, as the end)."""
    first = on.replace(day=1)
    return [dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(months + 1)]


def _per_month(column: Any, starts: list[dt.date], on: dt.date, extra: Any,
               owner_org_id: int | None) -> list[int]:
    bucket = case(*((column < start, i) for i, start in enumerate(starts[1:-1])),
                  else_=len(starts) - 2).label("bucket")
    inner = _scoped(select(bucket).where(_alive(), column >= on, column < starts[-1], extra),
                    owner_org_id).subquery()
    counts = dict(db.session.execute(select(inner.c.bucket, func.count())
                                     .group_by(inner.c.bucket)).all())
    return [int(counts.get(i, 0)) for i in range(len(starts) - 1)]


def due_by_month(owner_org_id: int | None = None, on: dt.date | None = None,
                 months: int = CHART_MONTHS) -> tuple[list[dt.date], dict[str, list[int]]]:
    """How many inspections fall due, and lives end, in each of the coming months."""
    on = on or today()
    starts = month_starts(on, months)
    # an inspection falling due after the end of life will never be done
    inspections = _per_month(_due, starts, on, _ends > _due, owner_org_id)
    lives = _per_month(_ends, starts, on, _ends > on, owner_org_id)
    return starts[:-1], {"inspection_due": inspections, "life_ending": lives}


def due_scope(user: Any, owner_org_id: int | None) -> int | None:
    """The owner to list, as the search scopes it (`owner_scope`). An owner that does not
    exist is 404 `org_not_found`, as the monthly report answers."""
    if owner_org_id is not None:
        get_org(owner_org_id)
    return owner_scope(user, owner_org_id)
