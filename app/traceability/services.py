"""Rules of the registry: issuing codes, registering cylinders, their state and flags."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Organisation, User
from app.auth.policy import is_oversight
from app.auth.services import get_org
from app.clock import today
from app.database import utcnow
from app.errors import N_, APIError, Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.locks import lock_name
from app.text_rules import text_problem
from app.traceability.codes import CodeError, format_code, new_code, parse_code, payload_for
from app.traceability.events import record_event
from app.traceability.flags import open_flags
from app.traceability.models import Code, CodeBatch, Cylinder
from app.traceability.names import normalise_name, serial_identity
from app.traceability.rule_store import life_rules, spec_for
from app.traceability.rules import CylinderFacts, CylinderState, default_design_life, derive_state

MAX_BATCH = 100_000
# units that own cylinders (产权单位), hence their codes and entrustments; the pages offer
# these as owners to oversight (the services accept any organisation, as the API does)
OWNER_KINDS = ("gas_company", "filling_station")


def public_base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


class CodeRejected(APIError):
    status = 400

    def __init__(self, exc: CodeError) -> None:
        super().__init__(str(exc), code=exc.code)


def parse(text: str) -> str:
    """Parse a typed code or scanned payload into a bare code, or raise a 400."""
    try:
        return parse_code(text, public_base_url()).code
    except CodeError as exc:
        raise CodeRejected(exc) from exc


# --- codes -----------------------------------------------------------------------------

def issue_codes(actor: User, owner_org_id: int, count: int) -> CodeBatch:
    """Issue a batch of fresh codes for an owning organisation."""
    owner = get_org(owner_org_id)
    if not is_oversight(actor) and actor.org_id != owner.id:
        raise Forbidden(N_("You may request codes only for your own organisation."))
    if not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise ValidationFailed(N_("count must be between 1 and %(max)s."),
                               values={"max": MAX_BATCH}, code="invalid_count")
    batch = CodeBatch(owner_org_id=owner.id, count=count, requested_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {new_code() for _ in range(count - len(codes))} - codes
        for chunk in _chunks(sorted(fresh), 5000):
            # 75 random bits make a collision practically impossible; stay unique anyway
            fresh -= set(db.session.scalars(select(Code.code).where(Code.code.in_(chunk))))
        codes |= fresh
    now = utcnow()
    for chunk in _chunks(sorted(codes), 5000):
        db.session.execute(Code.__table__.insert(), [
            {"code": c, "batch_id": batch.id, "owner_org_id": owner.id, "status": "issued",
             "issued_at": now} for c in chunk])
    return batch


def owner_orgs() -> list[Organisation]:
    """The organisations that own cylinders, by name, for an owner choice on a page."""
    return list(db.session.scalars(select(Organisation).where(
        Organisation.kind.in_(OWNER_KINDS)).order_by(Organisation.name)))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def batch_codes(batch: CodeBatch) -> list[str]:
    """Return a batch's codes in a stable order."""
    return list(db.session.scalars(
        select(Code.code).where(Code.batch_id == batch.id).order_by(Code.code)))


def code_entry(code: str) -> dict[str, str]:
    """A code as the API hands it out."""
    return {"code": code, "display": format_code(code),
            "payload": payload_for(code, public_base_url())}


# --- cylinders -------------------------------------------------------------------------

@dataclass
class Registration:
    code: str
    serial_no: str
    manufacturer: str
    model: str
    manufactured_on: dt.date
    owner_org_id: int
    registration_no: str | None = None
    last_inspected_on: dt.date | None = None
    design_life_years: int | None = None

    def __post_init__(self) -> None:
        # stored, compared and blacklisted in one spelling (app/traceability/names.py)
        self.serial_no = normalise_name(self.serial_no)
        self.manufacturer = normalise_name(self.manufacturer)


def registration_from(fields: dict[str, Any]) -> Registration:
    """A registration from the API's body or the page's form: the code typed, or the payload
    a scanner read (a QR URL), either way as the bare code."""
    return Registration(
        code=parse(fields.get("code") or fields["payload"]), serial_no=fields["serial_no"],
        manufacturer=fields["manufacturer"], model=fields["model"],
        manufactured_on=fields["manufactured_on"], owner_org_id=fields["owner_org_id"],
        registration_no=fields.get("registration_no"),
        last_inspected_on=fields.get("last_inspected_on"),
        design_life_years=fields.get("design_life_years"))


def validate_registration(reg: Registration, on: dt.date) -> list[tuple[str, str, str]]:
    """Check a registration's own fields; return (field, code, message) for each problem."""
    problems = []
    texts = {"serial_no": "Serial number", "manufacturer": "Manufacturer",
             "registration_no": "Registration number"}
    for name, label in texts.items():
        # invisible, unprintable on a label, and a NUL is refused by PostgreSQL alone
        # (serial number and manufacturer come folded: invisible characters dropped)
        problem = text_problem(getattr(reg, name) or "")
        if problem is not None:
            problems.append((name, "control_character",
                             f"{label} contains {problem.codepoint}, a character that "
                             f"does not show; type it again."))
    if not reg.serial_no.strip():
        problems.append(("serial_no", "required", "Serial number is required."))
    if not reg.manufacturer.strip():
        problems.append(("manufacturer", "required", "Manufacturer is required."))
    if reg.manufactured_on > on:
        problems.append(("manufactured_on", "in_future", "Manufacture date lies in the future."))
    if reg.last_inspected_on is not None:
        if reg.last_inspected_on < reg.manufactured_on:
            problems.append(("last_inspected_on", "before_manufacture",
                             "Last inspection is before manufacture."))
        if reg.last_inspected_on > on:
            problems.append(("last_inspected_on", "in_future",
                             "Last inspection lies in the future."))
    if reg.design_life_years is not None and not 1 <= reg.design_life_years <= 30:
        problems.append(("design_life_years", "out_of_range", "Design life must be 1 to 30 years."))
    return problems


def facts_of(cyl: Cylinder) -> CylinderFacts:
    return CylinderFacts(
        manufactured_on=cyl.manufactured_on, last_inspected_on=cyl.last_inspected_on,
        design_life_years=cyl.design_life_years, life_extended_until=cyl.life_extended_until,
        seized=cyl.seized_at is not None, scrapped=cyl.scrapped_at is not None,
        registration_cancelled=cyl.registration_cancelled_at is not None)


def refresh_derived(cyl: Cylinder) -> CylinderState:
    """Recompute and store the due dates after any change to their inputs."""
    state = derive_state(facts_of(cyl), spec_for(cyl.model), life_rules(), today())
    cyl.next_inspection_due = state.next_inspection_due
    cyl.service_life_ends = state.service_life_ends
    return state


def recompute_model(model: str, chunk: int = 2000) -> int:
    """Recompute stored due dates of every cylinder of a model after its rules changed."""
    changed = 0
    last_id = 0
    while True:
        rows = list(db.session.scalars(select(Cylinder).where(
            Cylinder.model == model, Cylinder.id > last_id).order_by(Cylinder.id).limit(chunk)))
        if not rows:
            return changed
        for cyl in rows:
            before = (cyl.next_inspection_due, cyl.service_life_ends)
            refresh_derived(cyl)
            changed += before != (cyl.next_inspection_due, cyl.service_life_ends)
        last_id = rows[-1].id
        db.session.flush()


def cylinder_state(cyl: Cylinder, on: dt.date | None = None) -> CylinderState:
    """Derive a cylinder's state for a day (today by default)."""
    return derive_state(facts_of(cyl), spec_for(cyl.model), life_rules(), on or today())


def snapshot_values(values: dict[str, Any], status: str) -> dict[str, Any]:
    """The fields an event records as the cylinder's state before or after it."""

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None

    return {"owner_org_id": values["owner_org_id"], "model": values["model"],
            "registration_no": values.get("registration_no"),
            "last_inspected_on": iso(values.get("last_inspected_on")),
            "design_life_years": values["design_life_years"],
            "life_extended_until": iso(values.get("life_extended_until")),
            "status": status}


def snapshot(cyl: Cylinder) -> dict[str, Any]:
    """Snapshot a stored cylinder for an event's before/after."""
    values = {k: getattr(cyl, k) for k in ("owner_org_id", "model", "registration_no",
                                           "last_inspected_on", "design_life_years",
                                           "life_extended_until")}
    return snapshot_values(values, cylinder_state(cyl).status)


def register_cylinder(actor: User, reg: Registration,
                      occurred_at: dt.datetime | None = None) -> Cylinder:
    """Bind one issued, unused code to one physical cylinder (建档), now or as of a time."""
    owner = get_org(reg.owner_org_id)
    if not is_oversight(actor) and actor.org_id != owner.id:
        raise Forbidden(N_("You may register cylinders only for your own organisation."))
    code_row = db.session.get(Code, reg.code, with_for_update=True)
    if code_row is None:
        raise NotFound(N_("This code was never issued."), code="unknown_code")
    if code_row.status != "issued":
        raise Conflict(N_("This code is already bound to a cylinder."), code="code_already_bound")
    if code_row.owner_org_id != owner.id:
        raise Conflict(N_("This code was issued to another organisation."),
                       code="code_owner_mismatch")
    spec = spec_for(reg.model)
    problems = validate_registration(reg, today())
    if problems:
        field, code, message = problems[0]
        raise ValidationFailed(message, code=code, details={"field": field, "all": problems})
    if spec.banned:
        raise Conflict(N_("Model %(model)s is banned: %(reason)s"),
                       values={"model": spec.model, "reason": spec.banned_reason},
                       code="banned_model")
    maker, serial = serial_identity(reg.manufacturer, reg.serial_no)
    lock_name(f"serial:{maker}:{serial}")  # two spellings of one stamp at once: one wins
    duplicate = db.session.scalar(select(Cylinder.code).where(
        Cylinder.manufacturer_key == maker, Cylinder.serial_key == serial))
    if duplicate:
        raise Conflict(N_("This manufacturer's serial number is registered already."),
                       code="duplicate_serial")
    design_life = reg.design_life_years or default_design_life(reg.manufactured_on, life_rules())
    cyl = Cylinder(code=reg.code, serial_no=reg.serial_no.strip(),
                   manufacturer=reg.manufacturer.strip(), model=spec.model,
                   manufactured_on=reg.manufactured_on, owner_org_id=owner.id,
                   registration_no=reg.registration_no, last_inspected_on=reg.last_inspected_on,
                   design_life_years=design_life, event_count=0)
    refresh_derived(cyl)
    code_row.status = "bound"
    db.session.add(cyl)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("This cylinder or code is registered already."),
                       code="duplicate_serial") from exc
    record_event(cyl, "registered", actor, occurred_at=occurred_at, data={
        "serial_no": cyl.serial_no, "manufacturer": cyl.manufacturer,
        "manufactured_on": cyl.manufactured_on.isoformat()}, after=snapshot(cyl))
    return cyl


def find_cylinder(code: str) -> Cylinder | None:
    """Return the cylinder bound to a bare code."""
    return db.session.scalar(select(Cylinder).where(Cylinder.code == code))


def can_view_cylinder(user: User, cyl: Cylinder) -> bool:
    """Oversight sees every cylinder; everyone else only their organisation's."""
    return is_oversight(user) or cyl.owner_org_id == user.org_id


def get_cylinder_for(user: User, text: str) -> Cylinder:
    """Find a cylinder by code or payload that this user may see (else 404, not 403)."""
    code = parse(text)
    cyl = find_cylinder(code)
    if cyl is None or not can_view_cylinder(user, cyl):
        raise NotFound(N_("No cylinder with this code is visible to you."),
                       code="cylinder_not_found")
    return cyl


def cylinder_to_dict(cyl: Cylinder) -> dict[str, Any]:
    """Render a cylinder with its derived state and open flags."""
    state = cylinder_state(cyl)
    return {
        "code": cyl.code, "display_code": format_code(cyl.code),
        "payload": payload_for(cyl.code, public_base_url()),
        "serial_no": cyl.serial_no, "manufacturer": cyl.manufacturer, "model": cyl.model,
        "manufactured_on": cyl.manufactured_on.isoformat(), "owner_org_id": cyl.owner_org_id,
        "registration_no": cyl.registration_no,
        "last_inspected_on": cyl.last_inspected_on.isoformat() if cyl.last_inspected_on else None,
        "design_life_years": cyl.design_life_years,
        "life_extended_until": (cyl.life_extended_until.isoformat()
                                if cyl.life_extended_until else None),
        "status": state.status, "next_inspection_due": state.next_inspection_due.isoformat(),
        "service_life_ends": state.service_life_ends.isoformat(),
        "flags": [{"id": f.id, "kind": f.kind, "raised_at": f.raised_at.isoformat()}
                  for f in open_flags(cyl)],
    }


def org_name(org_id: int | None) -> str | None:
    org = db.session.get(Organisation, org_id) if org_id else None
    return org.name if org else None
