"""Rules of the gas company's set-up: drivers' certificates, vehicles, delivery areas,
assignments (人车对应) and customers registered by real name."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as NumberInvalid

from app.auth.models import User
from app.auth.policy import is_oversight
from app.clock import today
from app.delivery import geo
from app.delivery.errors import Refused
from app.delivery.models import Assignment, Customer, DeliveryArea, DriverProfile, Vehicle
from app.delivery.rules import CUSTOMER_KINDS, ID_KINDS, PREMISES
from app.errors import N_, Conflict, Forbidden, NotFound, Term, ValidationFailed
from app.extensions import db
from app.locks import lock_name
from app.text_fields import require_clean_text
from app.traceability.checks import Reason

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE = re.compile(rf"^[{PROVINCES}][A-Z][A-HJ-NP-Z0-9]{{5,6}}$")
# words inside a refusal of an identity number, as the page says them
ID_KIND_WORDS = {"person": N_("resident ID"), "business_licence": N_("business licence")}
NUMBER_PROBLEMS = {
    "The number has an invalid length.": N_("it has the wrong number of characters"),
    "The number's checksum or check digit is invalid.": N_("its check digit is wrong"),
    "The number has an invalid format.": N_("it is not written as such a number"),
    "One of the parts of the number are invalid or unknown.": N_("a part of it (such as the "
                                                                   "date of birth) is invalid"),
}


def require_company_admin(user: User) -> int:
    """Only a gas company's administrator sets up its fleet and customers; return its org id."""
    if user.role != "admin" or user.org.kind != "gas_company":
        raise Forbidden(N_("Only a gas company's administrator may do this."))
    return user.org_id


def visible_org(user: User, org_id: int) -> bool:
    """A company's own staff and the regulators see its fleet and customers."""
    return is_oversight(user) or user.org_id == org_id


# --- drivers -------------------------------------------------------------------------------

def get_driver(actor: User, driver_id: int) -> User:
    """A driver of the actor's company (404 for anyone else's)."""
    driver = db.session.get(User, driver_id)
    if driver is None or driver.role != "driver" or not visible_org(actor, driver.org_id):
        raise NotFound(N_("No driver %(id)s."), values={"id": driver_id}, code="driver_not_found")
    return driver


def set_certificate(actor: User, driver_id: int, certificate_no: str,
                    expires_on: dt.date) -> DriverProfile:
    """Record a driver's delivery certificate."""
    org_id = require_company_admin(actor)
    driver = get_driver(actor, driver_id)
    if driver.org_id != org_id:
        raise NotFound(N_("No driver %(id)s."), values={"id": driver_id}, code="driver_not_found")
    if not certificate_no.strip():
        raise ValidationFailed(N_("certificate_no is required."), code="certificate_required")
    profile = db.session.get(DriverProfile, driver.id)
    if profile is None:
        profile = DriverProfile(user_id=driver.id)
        db.session.add(profile)
    profile.certificate_no = certificate_no.strip()
    profile.certificate_expires_on = expires_on
    db.session.flush()
    return profile


def certificate_reasons(driver: User, start: dt.date, end: dt.date) -> list[Reason]:
    """A driver may work only with a certificate valid for the whole period."""
    profile = db.session.get(DriverProfile, driver.id)
    if profile is None:
        return [Reason("driver_no_certificate", "送气工未登记从业资格证",
                       "The driver has no certificate on record.")]
    if profile.certificate_expires_on < start:
        return [Reason("driver_certificate_expired",
                       f"送气工从业资格证已于 {profile.certificate_expires_on} 过期",
                       f"The driver's certificate expired on {profile.certificate_expires_on}.")]
    if profile.certificate_expires_on < end:
        return [Reason("driver_certificate_expires",
                       f"送气工从业资格证将于 {profile.certificate_expires_on} 过期，早于分配结束",
                       f"The driver's certificate expires on {profile.certificate_expires_on}, "
                       "before the assignment ends.")]
    return []


def drivers_of(org_id: int) -> list[tuple[User, DriverProfile | None]]:
    """The company's drivers with their certificates."""
    rows = db.session.execute(
        select(User, DriverProfile).outerjoin(DriverProfile, DriverProfile.user_id == User.id)
        .where(User.org_id == org_id, User.role == "driver").order_by(User.name))
    return [(user, profile) for user, profile in rows]


# --- vehicles ------------------------------------------------------------------------------

def normalise_plate(plate: str) -> str:
    return re.sub(r"[\s·.\-]", "", plate or "").upper()


def checked_plate(plate: str, permit_no: str, vehicle_id: int | None = None) -> str:
    """Check a plate (new or edited) and the permit number; return the normalised plate."""
    plate = normalise_plate(plate)
    if not PLATE.match(plate):
        raise ValidationFailed(N_("'%(plate)s' is not a Chinese licence plate."),
                               values={"plate": plate}, code="invalid_plate")
    if not permit_no.strip():
        raise ValidationFailed(N_("permit_no is required."), code="permit_required")
    if db.session.scalar(select(Vehicle.id).where(Vehicle.plate == plate,
                                                  Vehicle.id != (vehicle_id or 0))):
        raise Conflict(N_("The vehicle %(plate)s is registered already."), values={"plate": plate},
                       code="duplicate_vehicle")
    return plate


def register_vehicle(actor: User, plate: str, permit_no: str,
                     permit_expires_on: dt.date) -> Vehicle:
    """Register a vehicle with its hazardous-goods transport permit."""
    org_id = require_company_admin(actor)
    plate = checked_plate(plate, permit_no)
    vehicle = Vehicle(org_id=org_id, plate=plate, permit_no=permit_no.strip(),
                      permit_expires_on=permit_expires_on)
    db.session.add(vehicle)
    db.session.flush()
    return vehicle


def get_vehicle(actor: User, vehicle_id: int) -> Vehicle:
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or not visible_org(actor, vehicle.org_id):
        raise NotFound(N_("No vehicle %(id)s."), values={"id": vehicle_id},
                       code="vehicle_not_found")
    return vehicle


def permit_reasons(vehicle: Vehicle, start: dt.date, end: dt.date) -> list[Reason]:
    """A vehicle may carry LPG only with a transport permit valid for the whole period."""
    plate, expires = vehicle.plate, vehicle.permit_expires_on
    if not vehicle.active:
        return [Reason("vehicle_inactive", f"车辆 {plate} 已停用",
                       f"Vehicle {plate} is deactivated.")]
    if expires < start:
        return [Reason("vehicle_permit_expired",
                       f"车辆 {plate} 危险货物运输许可已于 {expires} 过期",
                       f"Vehicle {plate}'s transport permit expired on {expires}.")]
    if expires < end:
        return [Reason("vehicle_permit_expires",
                       f"车辆 {plate} 运输许可将于 {expires} 过期，早于分配结束",
                       f"Vehicle {plate}'s permit expires on {expires}, "
                       "before the assignment ends.")]
    return []


# --- areas ---------------------------------------------------------------------------------

def create_area(actor: User, name: str, polygon: list) -> DeliveryArea:
    """Draw a fixed delivery area; areas of one company may not overlap."""
    org_id = require_company_admin(actor)
    name, shape = checked_area(org_id, name, polygon)
    area = DeliveryArea(org_id=org_id, name=name,
                        polygon=[[float(lon), float(lat)] for lon, lat in polygon])
    db.session.add(area)
    db.session.flush()
    for customer in db.session.scalars(select(Customer).where(Customer.org_id == org_id,
                                                              Customer.area_id.is_(None))):
        if geo.contains(shape, customer.lon, customer.lat):
            customer.area_id = area.id
    return area


def checked_area(org_id: int, name: str, polygon: list, area_id: int | None = None,
                 overlap: bool = True) -> tuple[str, Any]:
    """Check an area's name and outline (new or edited) against the company's active areas."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(N_("name is required."), code="name_required")
    require_clean_text(name, "name", label=N_("Name"))  # the page posts without the schema
    try:
        shape = geo.to_polygon(polygon)
    except geo.AreaInvalid as exc:
        raise ValidationFailed(exc.template, values=exc.values, code="invalid_polygon") from exc
    # two requests for one company (new areas or edits) must not both pass the overlap check
    # (PostgreSQL runs them side by side; SQLite writers queue already)
    lock_name(f"areas:{org_id}")
    if db.session.scalar(select(DeliveryArea.id).where(
            DeliveryArea.org_id == org_id, DeliveryArea.name == name,
            DeliveryArea.id != (area_id or 0))):
        raise Conflict(N_("An area named '%(name)s' exists already."), values={"name": name},
                       code="duplicate_area")
    for other in areas_of(org_id) if overlap else []:
        if other.id == area_id:
            continue
        shared = geo.overlap_m2(shape, geo.to_polygon(other.polygon))
        if shared > 1.0:
            raise Conflict(N_("The area overlaps '%(other)s' by %(m2).0f m²."),
                           values={"other": other.name, "m2": shared},
                           code="area_overlaps", details={"area_id": other.id})
    return name, shape


def areas_of(org_id: int, *, everyone: bool = False) -> list[DeliveryArea]:
    """The company's areas in use (with `everyone`, the deactivated ones too)."""
    query = select(DeliveryArea).where(DeliveryArea.org_id == org_id)
    if not everyone:
        query = query.where(DeliveryArea.active.is_(True))
    return list(db.session.scalars(query.order_by(DeliveryArea.name)))


def get_area(actor: User, area_id: int) -> DeliveryArea:
    area = db.session.get(DeliveryArea, area_id)
    if area is None or not visible_org(actor, area.org_id):
        raise NotFound(N_("No delivery area %(id)s."), values={"id": area_id},
                       code="area_not_found")
    return area


def area_at(org_id: int, lon: float, lat: float) -> DeliveryArea | None:
    """The company's area that covers a position."""
    for area in areas_of(org_id):
        if geo.contains(geo.to_polygon(area.polygon), lon, lat):
            return area
    return None


# --- assignments ---------------------------------------------------------------------------

def _overlapping(column: Any, value: int, start: dt.date, end: dt.date,
                 other_than: int | None) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(
        column == value, Assignment.starts_on <= end, Assignment.ends_on >= start,
        Assignment.id != (other_than or 0)).limit(1))


def assignment_reasons(driver: User, vehicle: Vehicle, area: DeliveryArea, starts_on: dt.date,
                       ends_on: dt.date, assignment_id: int | None = None) -> list[Reason]:
    """Check a period (new or edited assignment): papers, areas in use, no double booking."""
    if ends_on < starts_on:
        raise ValidationFailed(N_("ends_on is before starts_on."), code="invalid_period")
    if (ends_on - starts_on).days > 366:
        raise ValidationFailed(N_("An assignment lasts at most a year."), code="invalid_period")
    check_from = max(starts_on, today())
    reasons = certificate_reasons(driver, check_from, ends_on)
    reasons += permit_reasons(vehicle, check_from, ends_on)
    if not area.active:
        reasons.append(Reason("area_inactive", f"配送区域 {area.name} 已停用",
                              f"The delivery area {area.name} is deactivated."))
    # two requests (new or edited assignments) must not both pass the double-booking checks
    # (PostgreSQL runs them side by side; SQLite writers queue already); the driver and the
    # vehicle are the company's, so one lock per company covers both
    lock_name(f"assignments:{vehicle.org_id}")
    clash = _overlapping(Assignment.driver_id, driver.id, starts_on, ends_on, assignment_id)
    if clash is not None:
        reasons.append(Reason("driver_already_assigned",
                              f"该送气工在 {clash.starts_on}~{clash.ends_on} 已有分配",
                              f"The driver is assigned from {clash.starts_on} to {clash.ends_on}."))
    clash = _overlapping(Assignment.vehicle_id, vehicle.id, starts_on, ends_on, assignment_id)
    if clash is not None:
        reasons.append(Reason("vehicle_already_assigned",
                              f"该车辆在 {clash.starts_on}~{clash.ends_on} 已分配给其他送气工",
                              f"The vehicle is assigned from {clash.starts_on} "
                              f"to {clash.ends_on}."))
    return reasons


def create_assignment(actor: User, driver_id: int, vehicle_id: int, area_id: int,
                      starts_on: dt.date, ends_on: dt.date) -> Assignment:
    """Bind one driver to one vehicle and one area for a period, or refuse with reasons."""
    org_id = require_company_admin(actor)  # then every get_* below is scoped to it
    driver = get_driver(actor, driver_id)
    vehicle = get_vehicle(actor, vehicle_id)
    area = get_area(actor, area_id)
    reasons = assignment_reasons(driver, vehicle, area, starts_on, ends_on)
    if reasons:
        raise Refused("assignment_refused", "The assignment is refused.", reasons)
    assignment = Assignment(org_id=org_id, driver_id=driver.id, vehicle_id=vehicle.id,
                            area_id=area.id, starts_on=starts_on, ends_on=ends_on,
                            created_by_id=actor.id)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def assignment_on(driver_id: int, on: dt.date) -> Assignment | None:
    """The driver's assignment for a day."""
    return db.session.scalar(select(Assignment).where(
        Assignment.driver_id == driver_id, Assignment.starts_on <= on,
        Assignment.ends_on >= on).order_by(Assignment.starts_on.desc()).limit(1))


def vehicle_driver_on(vehicle_id: int, on: dt.date) -> int | None:
    """The driver assigned to a vehicle for a day."""
    return db.session.scalar(select(Assignment.driver_id).where(
        Assignment.vehicle_id == vehicle_id, Assignment.starts_on <= on,
        Assignment.ends_on >= on).limit(1))


# --- customers -----------------------------------------------------------------------------

@dataclass
class CustomerData:
    name: str
    id_kind: str
    id_number: str
    kind: str
    address: str
    lat: float
    lon: float
    premises: str = "ground"
    has_cylinder_room: bool = False
    storage_capacity_kg: float | None = None
    contact_name: str | None = None
    phone: str | None = None


def _resident_id(number: str) -> str:
    """Check length, birth date and check digit of a resident ID (GB 11643).

    Not the birthplace: stdnum's region table predates renumbered districts (Lianchi has been
    130606 since 2015), and a real customer must not be refused for that.
    """
    number = ric.compact(number)
    if len(number) != 18 or not (number.isascii() and number[:17].isdigit()):
        raise InvalidLength()
    ric.get_birth_date(number)
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    return number


def normalise_identity(id_kind: str, kind: str, number: str) -> str:
    """Check a real-name identity: resident ID for a household, licence code for a business."""
    if id_kind not in ID_KINDS:
        raise ValidationFailed(N_("id_kind must be one of %(choices)s."),
                               values={"choices": ", ".join(ID_KINDS)}, code="invalid_id_kind")
    if (kind == "household") != (id_kind == "person"):
        raise ValidationFailed(N_("A household registers with a resident ID, a business with its "
                                  "business licence (unified social credit code)."),
                               code="identity_kind_mismatch")
    try:
        return _resident_id(number) if id_kind == "person" else uscc.validate(number)
    except NumberInvalid as exc:  # stdnum's reason ends in its own full stop
        raise ValidationFailed(N_("The %(id_kind)s number is not valid: %(why)s"),
                               values={"id_kind": Term(id_kind, ID_KIND_WORDS),
                                       "why": Term(str(exc), NUMBER_PROBLEMS)},
                               code="invalid_id_number") from exc


def checked_identity(org_id: int, data: CustomerData, customer_id: int | None = None) -> str:
    """Check a customer's facts (new or edited); return the normalised identity number."""
    if data.kind not in CUSTOMER_KINDS:
        raise ValidationFailed(N_("kind must be one of %(choices)s."),
                               values={"choices": ", ".join(CUSTOMER_KINDS)},
                               code="invalid_customer_kind")
    if data.premises not in PREMISES:
        raise ValidationFailed(N_("premises must be one of %(choices)s."),
                               values={"choices": ", ".join(PREMISES)}, code="invalid_premises")
    number = normalise_identity(data.id_kind, data.kind, data.id_number)
    if not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
        raise ValidationFailed(N_("lat/lon are not a position."), code="invalid_position")
    if db.session.scalar(select(Customer.id).where(
            Customer.org_id == org_id, Customer.id_kind == data.id_kind,
            Customer.id_number == number, Customer.id != (customer_id or 0))):
        raise Conflict(N_("This customer is registered already."), code="duplicate_customer")
    return number


def register_customer(actor: User, data: CustomerData) -> Customer:
    """Register a customer by real name, with the facts the delivery rules need."""
    org_id = require_company_admin(actor)
    number = checked_identity(org_id, data)
    area = area_at(org_id, data.lon, data.lat)
    customer = Customer(
        org_id=org_id, name=data.name.strip(), id_kind=data.id_kind, id_number=number,
        kind=data.kind, address=data.address.strip(), lat=data.lat, lon=data.lon,
        premises=data.premises, has_cylinder_room=data.has_cylinder_room,
        storage_capacity_kg=data.storage_capacity_kg, contact_name=data.contact_name,
        phone=data.phone, area_id=area.id if area else None)
    db.session.add(customer)
    db.session.flush()
    return customer


def get_customer(actor: User, customer_id: int, *, served: bool = False) -> Customer:
    """A customer the actor may see: the serving company's staff and regulators (else 404).

    With `served`, a deactivated customer is refused: nothing more is delivered there.
    """
    customer = db.session.get(Customer, customer_id)
    if customer is None or not visible_org(actor, customer.org_id):
        raise NotFound(N_("No customer with this id is visible to you."),
                       code="customer_not_found", details={"customer_id": customer_id})
    if served and not customer.active:
        raise Conflict(N_("The customer is deactivated; nothing more is delivered there."),
                       code="customer_inactive", details={"customer_id": customer_id})
    return customer
