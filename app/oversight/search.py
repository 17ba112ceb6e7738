"""Search cylinders for regulators: filters as one unexecuted select, and code suggestions.

Suggestions for a mistyped code: every code one edit away (a wrong, missing, extra or
swapped character) that passes the mod-37 check is looked up by primary key, and codes
sharing the typed prefix come from an indexed range scan; rapidfuzz ranks that bounded set.
Nothing scans the whole table, so this stays fast at a million cylinders.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import Select, and_, false, func, select

from app.clock import today
from app.errors import N_
from app.extensions import db
from app.oversight.models import CylinderParty, CylinderTrace
from app.traceability.codes import (
    ALPHABET,
    BODY_LEN,
    CODE_LEN,
    CodeError,
    is_valid,
    normalise,
    parse_code,
)
from app.traceability.models import Code, Cylinder, Flag
from app.traceability.names import search_key
from app.traceability.services import public_base_url

STATUSES = ("in_service", "inspection_overdue", "beyond_service_life", "seized", "scrapped",
            "registration_cancelled")
PREFIX_MIN = 3
MAX_PREFIX_CANDIDATES = 200
COUNT_CAP = 1_000  # "1000+": an exact count of a broad filter costs a full scan
NOT_REGISTERED = N_("No cylinder registered in this district has this code.")


@dataclass
class Filters:
    """Everything a regulator can search by; None means "any"."""

    code: str | None = None
    serial_no: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    owner_org_id: int | None = None
    station_org_id: int | None = None
    customer_id: int | None = None
    driver_id: int | None = None
    status: str | None = None
    flag: str | None = None
    made_from: dt.date | None = None
    made_to: dt.date | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    seen_from: dt.date | None = None
    seen_to: dt.date | None = None


def status_condition(status: str, on: dt.date) -> Any:
    """The derived status (see traceability.rules.derive_state) as SQL over stored columns."""
    cancelled = Cylinder.registration_cancelled_at.is_not(None)
    scrapped = Cylinder.scrapped_at.is_not(None)
    seized = Cylinder.seized_at.is_not(None)
    alive = and_(Cylinder.registration_cancelled_at.is_(None), Cylinder.scrapped_at.is_(None),
                 Cylinder.seized_at.is_(None))
    return {
        "registration_cancelled": cancelled,
        "scrapped": and_(scrapped, ~cancelled),
        "seized": and_(seized, Cylinder.scrapped_at.is_(None),
                       Cylinder.registration_cancelled_at.is_(None)),
        "beyond_service_life": and_(alive, Cylinder.service_life_ends <= on),
        "inspection_overdue": and_(alive, Cylinder.service_life_ends > on,
                                   Cylinder.next_inspection_due < on),
        "in_service": and_(alive, Cylinder.service_life_ends > on,
                           Cylinder.next_inspection_due >= on),
    }[status]


def search_query(f: Filters, on: dt.date | None = None) -> Select:
    """Build the search as a select over cylinders, newest first (not executed)."""
    on = on or today()
    q = select(Cylinder)
    if f.code:
        text = normalise(f.code)
        if "://" in f.code:  # a handheld scanner types the whole QR payload into the box
            try:
                text = parse_code(f.code, public_base_url()).code
            except CodeError:
                text = ""
        if not text:
            q = q.where(false())  # nothing of a code in it: no cylinder matches
        elif len(text) >= CODE_LEN:
            q = q.where(Cylinder.code == text)
        else:
            q = q.where(Cylinder.code >= text, Cylinder.code < text + "~")
    if f.serial_no:  # whole, in any case, through ix_cylinders_serial_key
        q = q.where(Cylinder.serial_key == search_key(f.serial_no))
    if f.manufacturer:  # any part of the name, in any case; % and _ are plain characters
        q = q.where(Cylinder.manufacturer_key.contains(search_key(f.manufacturer),
                                                       autoescape=True))
    if f.model:
        q = q.where(Cylinder.model == f.model.strip())
    if f.owner_org_id is not None:
        q = q.where(Cylinder.owner_org_id == f.owner_org_id)
    if f.station_org_id or f.seen_from or f.seen_to:
        q = q.join(CylinderTrace, CylinderTrace.cylinder_id == Cylinder.id)
        if f.station_org_id:
            q = q.where(CylinderTrace.last_fill_org_id == f.station_org_id)
        if f.seen_from:
            q = q.where(CylinderTrace.last_seen_on >= f.seen_from)
        if f.seen_to:
            q = q.where(CylinderTrace.last_seen_on <= f.seen_to)
    # IN (subquery) rather than EXISTS: the planner starts from the small indexed side.
    for kind, ref in (("customer", f.customer_id), ("driver", f.driver_id)):
        if ref is not None:
            q = q.where(Cylinder.id.in_(select(CylinderParty.cylinder_id).where(
                CylinderParty.kind == kind, CylinderParty.ref_id == ref)))
    if f.status:
        q = q.where(status_condition(f.status, on))
    if f.flag:
        q = q.where(Cylinder.id.in_(select(Flag.cylinder_id).where(
            Flag.status == "open", Flag.kind == f.flag)))
    for column, low, high in ((Cylinder.manufactured_on, f.made_from, f.made_to),
                              (Cylinder.next_inspection_due, f.due_from, f.due_to)):
        if low:
            q = q.where(column >= low)
        if high:
            q = q.where(column <= high)
    return q.order_by(Cylinder.id.desc())


@dataclass
class Page:
    items: list[Cylinder]
    page: int
    per_page: int
    total: int
    total_capped: bool
    suggestions: list[str]
    # why the typed code can match no cylinder (another system's QR, a failed check), if so
    code_problem: str | None = None


def run_search(f: Filters, page: int = 1, per_page: int = 25) -> Page:
    """Run a search for one page; count up to a cap so huge result sets stay fast."""
    query = search_query(f)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    if len(items) < per_page and (page == 1 or items):
        total, capped = (page - 1) * per_page + len(items), False
    else:
        ids = query.with_only_columns(Cylinder.id).order_by(None).limit(COUNT_CAP + 1)
        total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
    suggestions = (suggest_codes(f.code, owner_org_id=f.owner_org_id)
                   if f.code and not items else [])
    problem = code_problem(f.code) if f.code and not items and not suggestions else None
    return Page(items, page, per_page, total, capped, suggestions, problem)


def code_problem(typed: str) -> str | None:
    """Why a typed code or scanned QR text can be no cylinder's code (a message id), or None
    when it may be one, or the start of one.

    A QR from another district's platform or a code failing its check found "0 cylinders"
    and nothing more: the regulator could not tell a foreign label from a missing record.
    """
    text = typed.strip()
    if "://" not in text and len(normalise(text)) < CODE_LEN - 1 and all(
            ch in ALPHABET for ch in normalise(text)):
        return None  # the start of a code: a prefix search
    try:
        parse_code(text, public_base_url())
    except CodeError as exc:
        return str(exc)
    return NOT_REGISTERED


# --- mistyped codes ------------------------------------------------------------------------

def one_edit_variants(text: str) -> set[str]:
    """Every code one substitution, swap, deletion or insertion away that passes the check."""
    out: set[str] = set()
    n = len(text)
    if n == CODE_LEN:
        for i in range(n):
            for ch in ALPHABET:
                if ch != text[i]:
                    out.add(text[:i] + ch + text[i + 1:])
            if i + 1 < n:
                out.add(text[:i] + text[i + 1] + text[i] + text[i + 2:])
    elif n == CODE_LEN + 1:
        out.update(text[:i] + text[i + 1:] for i in range(n))
    elif n == BODY_LEN:
        out.update(text[:i] + ch + text[i:] for i in range(n + 1) for ch in ALPHABET)
    return {c for c in out if c != text and is_valid(c)}


def suggest_codes(typed: str, limit: int = 5, *, owner_org_id: int | None = None) -> list[str]:
    """Return the nearest issued codes to a partial or mistyped code, best first.

    With `owner_org_id` only that owner's codes are offered: the search is scoped to one
    owner (always so outside oversight), and a suggestion must not name another unit's code.
    """
    text = normalise(typed or "")
    if not text or any(ch not in ALPHABET for ch in text):
        return []
    codes = select(Code.code)
    if owner_org_id is not None:
        codes = codes.where(Code.owner_org_id == owner_org_id)
    candidates: set[str] = set()
    variants = one_edit_variants(text)
    if variants:
        candidates.update(db.session.scalars(codes.where(Code.code.in_(variants))))
    # A partial code is a prefix; a full but wrong one shares its first half with the right one.
    prefix = text if len(text) < CODE_LEN else text[:CODE_LEN // 2]
    if len(prefix) >= PREFIX_MIN:
        candidates.update(db.session.scalars(
            codes.where(Code.code >= prefix, Code.code < prefix + "~")
            .order_by(Code.code).limit(MAX_PREFIX_CANDIDATES)))
    candidates.discard(text)

    def distance(code: str) -> int:
        target = code[:len(text)] if len(text) < CODE_LEN else code
        return DamerauLevenshtein.distance(text, target)

    return sorted(candidates, key=lambda c: (distance(c), c))[:limit]
