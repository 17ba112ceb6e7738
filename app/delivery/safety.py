"""The doorstep safety check (随瓶安检) and the hazard ledger (隐患台账).

Every failed checklist item becomes a ledger entry that moves open -> rectified -> verified,
verified by someone other than the reporter; a clean check is kept as a record too.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.auth.policy import is_oversight
from app.clock import DISTRICT_TZ, today
from app.database import utcnow
from app.delivery.fleet import assignment_on, get_customer
from app.delivery.models import Customer, Hazard, SafetyCheck
from app.delivery.photos import store_photo
from app.delivery.rules import checklist_problems, failed_items, hazard_deadline, is_overdue
from app.delivery.services import delivery_rules
from app.errors import N_, Conflict, Forbidden, NotFound, Term, ValidationFailed
from app.extensions import db
from app.text_fields import require_clean_text
from app.traceability.events import MAX_CLOCK_SKEW
from app.traceability.flags import raise_flag, resolve_flag
from app.traceability.models import Flag

HAZARD_STATES = ("open", "rectified", "verified")


@dataclass
class CheckIn:
    customer_id: int
    items: dict[str, str]
    photos: dict[str, str]
    check_id: uuid.UUID | None = None
    occurred_at: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None
    notes: str | None = None


def _same_check(existing: SafetyCheck, actor: User, data: CheckIn) -> SafetyCheck:
    if existing.driver_id != actor.id or existing.customer_id != data.customer_id:
        raise Conflict(N_("This event_id was already used for a different check."),
                       code="event_id_reused")
    return existing


def record_safety_check(actor: User, data: CheckIn) -> tuple[SafetyCheck, bool]:
    """Keep a checklist (once per client id) and open a ledger entry per failed item."""
    if data.check_id is not None and (found := db.session.get(SafetyCheck, data.check_id)):
        return _same_check(found, actor, data), False
    customer = get_customer(actor, data.customer_id)
    rules = delivery_rules()
    problems = checklist_problems(data.items, data.photos, rules)
    if problems:
        first = problems[0]
        raise ValidationFailed(first.message, code=first.code, details={
            "problems": [{"item": p.field, "code": p.code, "message": p.message}
                         for p in problems]})
    received = utcnow()
    occurred = data.occurred_at or received
    if occurred.tzinfo is None:
        raise ValidationFailed(N_("occurred_at needs a time zone."), code="naive_time")
    if occurred - received > MAX_CLOCK_SKEW:
        raise ValidationFailed(N_("occurred_at lies in the future."), code="time_in_future")
    assignment = assignment_on(actor.id, occurred.astimezone(DISTRICT_TZ).date())
    failed = failed_items(data.items, rules)
    check = SafetyCheck(
        id=data.check_id or uuid.uuid4(), org_id=customer.org_id, customer_id=customer.id,
        driver_id=actor.id, vehicle_id=assignment.vehicle_id if assignment else None,
        area_id=customer.area_id, occurred_at=occurred, received_at=received,
        lat=data.lat, lon=data.lon, items=dict(data.items),
        result="hazards" if failed else "clean", notes=data.notes)
    try:
        with db.session.begin_nested():
            db.session.add(check)
            db.session.flush()
    except IntegrityError:
        # the same check arrived twice at once: the other request stored it
        found = db.session.get(SafetyCheck, check.id)
        if found is None:
            raise
        return _same_check(found, actor, data), False
    for item in failed:
        photo = store_photo(customer.org_id, data.photos[item])
        open_hazard(customer, item, actor, found_at=occurred, safety_check_id=check.id,
                    photo_id=photo.id)
    return check, True


def open_hazard(customer: Customer, item: str, actor: User, *, found_at: dt.datetime,
                safety_check_id: uuid.UUID | None = None,
                delivery_event_id: uuid.UUID | None = None, photo_id: int | None = None,
                note: str | None = None) -> Hazard | None:
    """Open a ledger entry; a rule-raised hazard already open for the customer is not doubled."""
    if safety_check_id is None and db.session.scalar(select(Hazard.id).where(
            Hazard.customer_id == customer.id, Hazard.item == item, Hazard.status == "open")):
        return None
    rules = delivery_rules()
    severity = rules.item(item).severity
    hazard = Hazard(
        org_id=customer.org_id, customer_id=customer.id, area_id=customer.area_id,
        safety_check_id=safety_check_id, delivery_event_id=delivery_event_id, item=item,
        severity=severity, status="open", found_by_id=actor.id, found_at=found_at,
        deadline=hazard_deadline(found_at.astimezone(DISTRICT_TZ).date(), severity, rules),
        responsible_person=customer.contact_name or customer.name, photo_id=photo_id, note=note)
    db.session.add(hazard)
    db.session.flush()
    return hazard


# --- moving an entry -----------------------------------------------------------------------

def get_hazard(actor: User, hazard_id: int, *, lock: bool = False) -> Hazard:
    """A hazard the actor may see. With `lock` its row is locked and read afresh, so two
    steps on one hazard at once run one after the other and the second sees the first's
    status (SQLite writers already hold the write lock)."""
    hazard = db.session.get(Hazard, hazard_id, with_for_update=lock or None,
                            populate_existing=lock)
    if hazard is None or not (is_oversight(actor) or hazard.org_id == actor.org_id):
        raise NotFound(N_("No hazard %(id)s."), values={"id": hazard_id}, code="hazard_not_found")
    return hazard


RECTIFYING_ROLES = frozenset({"admin", "driver"})
# a hazard's status inside a refusal's sentence, in the reader's language
HAZARD_STATE_WORDS = {"open": N_("open"), "rectified": N_("rectified"), "verified": N_("verified")}


def may_rectify(user: User) -> bool:
    """The company puts its hazards right (its admin or drivers); regulators only verify."""
    return user.role in RECTIFYING_ROLES


def rectify_hazard(actor: User, hazard_id: int, evidence: str,
                   photo: str | None = None) -> Hazard:
    """Record how an open hazard was put right, with evidence."""
    hazard = get_hazard(actor, hazard_id, lock=True)
    if not may_rectify(actor):
        raise Forbidden(N_("Only the company's staff rectify hazards; regulators verify them."),
                        code="rectify_forbidden")
    if hazard.status != "open":
        raise Conflict(N_("The hazard is %(status)s, not open."),
                       values={"status": Term(hazard.status, HAZARD_STATE_WORDS)},
                       code="hazard_not_open")
    if not evidence or not evidence.strip():
        raise ValidationFailed(N_("Describe the rectification (evidence)."),
                               code="evidence_required")
    require_clean_text(evidence, "evidence", multiline=True, label=N_("Evidence"))
    hazard.status = "rectified"
    hazard.rectified_at = utcnow()
    hazard.rectified_by_id = actor.id
    hazard.evidence = evidence.strip()
    if photo:
        hazard.evidence_photo_id = store_photo(hazard.org_id, photo).id
    if hazard.overdue_flag_id is not None:
        flag = db.session.get(Flag, hazard.overdue_flag_id)
        if flag is not None and flag.status == "open":
            resolve_flag(actor, flag.id, f"hazard {hazard.id} rectified")
    db.session.flush()
    return hazard


def verify_hazard(actor: User, hazard_id: int, note: str | None = None) -> Hazard:
    """Confirm a rectification; whoever reported or rectified the hazard may not verify it."""
    hazard = get_hazard(actor, hazard_id, lock=True)
    if hazard.status != "rectified":
        raise Conflict(N_("The hazard is %(status)s; only a rectified hazard is verified."),
                       values={"status": Term(hazard.status, HAZARD_STATE_WORDS)},
                       code="hazard_not_rectified")
    if hazard.found_by_id == actor.id:
        raise Forbidden(N_("The person who reported a hazard may not verify it."),
                        code="reporter_cannot_verify")
    if hazard.rectified_by_id == actor.id:  # a second pair of eyes, as for the reporter
        raise Forbidden(N_("The person who rectified a hazard may not verify it."),
                        code="rectifier_cannot_verify")
    require_clean_text(note, "note", multiline=True, label=N_("Note"))
    hazard.status = "verified"
    hazard.verified_at = utcnow()
    hazard.verified_by_id = actor.id
    hazard.verification_note = (note or "").strip() or None
    db.session.flush()
    return hazard


def flag_overdue_hazards(on: dt.date | None = None) -> int:
    """Raise a `hazard_overdue` flag for every open hazard past its deadline; count them."""
    on = on or today()
    count = 0
    for hazard in db.session.scalars(select(Hazard).where(
            Hazard.status == "open", Hazard.deadline < on,
            Hazard.overdue_flag_id.is_(None)).order_by(Hazard.id)):
        flag = raise_flag("hazard_overdue", code=f"hazard:{hazard.id}", details={
            "hazard_id": hazard.id, "customer_id": hazard.customer_id, "item": hazard.item,
            "deadline": hazard.deadline.isoformat()})
        flag.org_id = hazard.org_id
        hazard.overdue_flag_id = flag.id
        count += 1
    db.session.flush()
    return count


# --- reading the ledger --------------------------------------------------------------------

@dataclass
class LedgerFilter:
    org_id: int | None = None
    status: str | None = None
    area_id: int | None = None
    driver_id: int | None = None
    item: str | None = None
    customer_id: int | None = None
    overdue: bool | None = None
    found_from: dt.date | None = None
    found_to: dt.date | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), DISTRICT_TZ)


def ledger_org(actor: User, requested: int | None) -> int | None:
    """Whose ledger the actor reads: their own company's; regulators any or all."""
    if is_oversight(actor):
        return requested
    if actor.org.kind != "gas_company":
        raise Forbidden(N_("Only gas companies and regulators keep hazard ledgers."))
    return actor.org_id


def hazard_query(actor: User, f: LedgerFilter) -> Select:
    """The unexecuted select of the hazards a filter picks, newest first."""
    query = select(Hazard)
    org_id = ledger_org(actor, f.org_id)
    if org_id is not None:
        query = query.where(Hazard.org_id == org_id)
    if f.status:
        query = query.where(Hazard.status == f.status)
    for column, value in ((Hazard.area_id, f.area_id), (Hazard.found_by_id, f.driver_id),
                          (Hazard.item, f.item), (Hazard.customer_id, f.customer_id)):
        if value is not None:
            query = query.where(column == value)
    if f.overdue is not None:
        overdue = (Hazard.status == "open") & (Hazard.deadline < today())
        query = query.where(overdue if f.overdue else ~overdue)
    if f.found_from:
        query = query.where(Hazard.found_at >= _day_start(f.found_from))
    if f.found_to:
        query = query.where(Hazard.found_at < _day_start(f.found_to + dt.timedelta(days=1)))
    return query.order_by(Hazard.found_at.desc(), Hazard.id.desc())


def hazard_counts(actor: User, f: LedgerFilter) -> dict[str, Any]:
    """Counts of the filtered hazards by area, driver, item and status, and clean visits."""
    base = hazard_query(actor, f).order_by(None).subquery()
    counts: dict[str, Any] = {}
    for name, column in (("by_area", base.c.area_id), ("by_driver", base.c.found_by_id),
                         ("by_item", base.c.item), ("by_status", base.c.status)):
        rows = db.session.execute(select(column, func.count()).group_by(column)
                                  .order_by(func.count().desc()))
        counts[name] = [{"key": key, "count": n} for key, n in rows]
    counts["total"] = sum(row["count"] for row in counts["by_status"])
    counts["overdue"] = db.session.scalar(select(func.count()).select_from(base).where(
        base.c.status == "open", base.c.deadline < today()))
    checks = select(func.count()).select_from(SafetyCheck).where(SafetyCheck.result == "clean")
    org_id = ledger_org(actor, f.org_id)
    for column, value in ((SafetyCheck.org_id, org_id), (SafetyCheck.area_id, f.area_id),
                          (SafetyCheck.driver_id, f.driver_id),
                          (SafetyCheck.customer_id, f.customer_id)):
        if value is not None:
            checks = checks.where(column == value)
    if f.found_from:
        checks = checks.where(SafetyCheck.occurred_at >= _day_start(f.found_from))
    if f.found_to:
        checks = checks.where(
            SafetyCheck.occurred_at < _day_start(f.found_to + dt.timedelta(days=1)))
    counts["clean_visits"] = db.session.scalar(checks)
    return counts


def hazard_to_dict(hazard: Hazard, on: dt.date | None = None) -> dict[str, Any]:
    """Render a ledger entry for the API."""
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": hazard.id, "org_id": hazard.org_id, "customer_id": hazard.customer_id,
            "area_id": hazard.area_id, "item": hazard.item, "severity": hazard.severity,
            "status": hazard.status, "found_by_id": hazard.found_by_id,
            "found_at": hazard.found_at.isoformat(), "deadline": hazard.deadline.isoformat(),
            "overdue": is_overdue(hazard.status, hazard.deadline, on or today()),
            "responsible_person": hazard.responsible_person,
            "safety_check_id": str(hazard.safety_check_id) if hazard.safety_check_id else None,
            "photo_id": hazard.photo_id, "note": hazard.note,
            "rectified_at": iso(hazard.rectified_at), "rectified_by_id": hazard.rectified_by_id,
            "evidence": hazard.evidence, "evidence_photo_id": hazard.evidence_photo_id,
            "verified_at": iso(hazard.verified_at), "verified_by_id": hazard.verified_by_id,
            "verification_note": hazard.verification_note,
            "overdue_flag_id": hazard.overdue_flag_id}


def check_to_dict(check: SafetyCheck, hazards: list[int] | None = None) -> dict[str, Any]:
    """Render a safety check for the API."""
    return {"id": str(check.id), "customer_id": check.customer_id, "driver_id": check.driver_id,
            "vehicle_id": check.vehicle_id, "occurred_at": check.occurred_at.isoformat(),
            "received_at": check.received_at.isoformat(), "lat": check.lat, "lon": check.lon,
            "items": check.items, "result": check.result, "notes": check.notes,
            "hazards": hazards if hazards is not None else list(db.session.scalars(
                select(Hazard.id).where(Hazard.safety_check_id == check.id)
                .order_by(Hazard.id)))}
