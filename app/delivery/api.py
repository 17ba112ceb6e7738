"""JSON API of a gas company's set-up: vehicles, areas, drivers, assignments, customers."""
from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.policy import allow, is_oversight
from app.delivery import assignment_edit, fleet, fleet_edit
from app.delivery.models import Assignment, Customer, DeliveryArea, DriverProfile, Vehicle
from app.delivery.schemas import (
    AreaEdit,
    AreaIn,
    AreaOut,
    AssignmentEdit,
    AssignmentEnd,
    AssignmentIn,
    AssignmentOut,
    CertificateIn,
    CustomerEdit,
    CustomerIn,
    CustomerOut,
    DriverOut,
    RefusalOut,
    RetiredOut,
    VehicleEdit,
    VehicleIn,
    VehicleOut,
)
from app.extensions import db
from app.query_args import id_arg

blp = Blueprint("delivery_setup_api", __name__, url_prefix="/api/v1",
                description="A gas company's vehicles, areas, drivers, assignments, customers")


def _scope(query: Any, column: Any) -> Any:
    """Own company's rows; regulators all, or one company's with ?org_id=."""
    if is_oversight(current_user):
        org_id = id_arg("org_id")
        return query.where(column == org_id) if org_id else query
    return query.where(column == current_user.org_id)


def vehicle_dict(v: Vehicle) -> dict:
    return {"id": v.id, "org_id": v.org_id, "plate": v.plate, "permit_no": v.permit_no,
            "permit_expires_on": v.permit_expires_on, "active": v.active}


def area_dict(a: DeliveryArea) -> dict:
    return {"id": a.id, "org_id": a.org_id, "name": a.name, "polygon": a.polygon,
            "active": a.active}


def assignment_dict(a: Assignment) -> dict:
    return {"id": a.id, "org_id": a.org_id, "driver_id": a.driver_id, "vehicle_id": a.vehicle_id,
            "area_id": a.area_id, "starts_on": a.starts_on.isoformat(),
            "ends_on": a.ends_on.isoformat(), "ended_by_id": a.ended_by_id,
            "ended_at": a.ended_at, "end_reason": a.end_reason}


def customer_dict(c: Customer) -> dict:
    return {key: getattr(c, key) for key in (
        "id", "org_id", "name", "id_kind", "id_number", "kind", "address", "lat", "lon",
        "premises", "has_cylinder_room", "storage_capacity_kg", "contact_name", "phone",
        "area_id", "active")}


@blp.route("/vehicles", methods=["POST"])
@allow("admin")
@blp.arguments(VehicleIn)
@blp.response(201, VehicleOut)
def create_vehicle(body: dict) -> dict:
    """Register a vehicle with its hazardous-goods transport permit."""
    return vehicle_dict(fleet.register_vehicle(current_user, body["plate"], body["permit_no"],
                                               body["permit_expires_on"]))


@blp.route("/vehicles", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, VehicleOut(many=True))
def list_vehicles() -> list:
    """List the company's vehicles."""
    query = _scope(select(Vehicle), Vehicle.org_id).order_by(Vehicle.plate)
    return [vehicle_dict(v) for v in db.session.scalars(query)]


@blp.route("/areas", methods=["POST"])
@allow("admin")
@blp.arguments(AreaIn)
@blp.response(201, AreaOut)
def create_area(body: dict) -> dict:
    """Draw a fixed delivery area (固定配送区域) as a polygon of [lon, lat] points."""
    return area_dict(fleet.create_area(current_user, body["name"], body["polygon"]))


@blp.route("/areas", methods=["GET"])
@allow("admin", "regulator", "driver")
@blp.response(200, AreaOut(many=True))
def list_areas() -> list:
    """List the company's delivery areas."""
    query = _scope(select(DeliveryArea), DeliveryArea.org_id).order_by(DeliveryArea.name)
    return [area_dict(a) for a in db.session.scalars(query)]


@blp.route("/drivers", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, DriverOut(many=True))
def list_drivers() -> list:
    """List the company's drivers with their certificates."""
    org_id = current_user.org_id
    if is_oversight(current_user):
        org_id = id_arg("org_id") or 0
    return [{"id": u.id, "name": u.name, "display_name": u.display_name,
             "certificate_no": p.certificate_no if p else None,
             "certificate_expires_on": p.certificate_expires_on.isoformat() if p else None}
            for u, p in fleet.drivers_of(org_id)]


@blp.route("/drivers/<int:driver_id>/certificate", methods=["PUT"])
@allow("admin")
@blp.arguments(CertificateIn)
@blp.response(200, DriverOut)
def put_certificate(body: dict, driver_id: int) -> dict:
    """Record a driver's delivery certificate and its expiry."""
    profile: DriverProfile = fleet.set_certificate(
        current_user, driver_id, body["certificate_no"], body["certificate_expires_on"])
    driver = fleet.get_driver(current_user, driver_id)
    return {"id": driver.id, "name": driver.name, "display_name": driver.display_name,
            "certificate_no": profile.certificate_no,
            "certificate_expires_on": profile.certificate_expires_on.isoformat()}


@blp.route("/assignments", methods=["POST"])
@allow("admin")
@blp.arguments(AssignmentIn)
@blp.response(201, AssignmentOut)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def create_assignment(body: dict) -> dict:
    """Bind a driver to a vehicle and an area for a period (人车对应); refuse expired papers."""
    return assignment_dict(fleet.create_assignment(
        current_user, body["driver_id"], body["vehicle_id"], body["area_id"],
        body["starts_on"], body["ends_on"]))


@blp.route("/assignments", methods=["GET"])
@allow("admin", "regulator", "driver")
@blp.response(200, AssignmentOut(many=True))
def list_assignments() -> list:
    """List assignments (a driver sees their own)."""
    query = _scope(select(Assignment), Assignment.org_id)
    if current_user.role == "driver":
        query = query.where(Assignment.driver_id == current_user.id)
    return [assignment_dict(a) for a in db.session.scalars(
        query.order_by(Assignment.starts_on.desc()).limit(500))]


@blp.route("/customers", methods=["POST"])
@allow("admin")
@blp.arguments(CustomerIn)
@blp.response(201, CustomerOut)
def create_customer(body: dict) -> dict:
    """Register a customer by real name, with the facts the delivery rules need."""
    return customer_dict(fleet.register_customer(current_user, fleet.CustomerData(**body)))


@blp.route("/customers", methods=["GET"])
@allow("admin", "regulator", "driver")
@blp.response(200, CustomerOut(many=True))
def list_customers() -> list:
    """List customers (personal data: the serving company and regulators only)."""
    query = _scope(select(Customer), Customer.org_id).order_by(Customer.id)
    area_id = id_arg("area_id")
    if area_id:
        query = query.where(Customer.area_id == area_id)
    return [customer_dict(c) for c in db.session.scalars(query.limit(5000))]


@blp.route("/customers/<int:customer_id>", methods=["GET"])
@allow("admin", "regulator", "driver")
@blp.response(200, CustomerOut)
def get_customer(customer_id: int) -> dict:
    """Show one customer (404 to anyone outside the serving company and the regulators)."""
    return customer_dict(fleet.get_customer(current_user, customer_id))


# --- editing and retiring (the owning company's administrator only) -----------------------

RETIRE_DOC = ("An unused record is deleted; one with history (assignments, events, checks) is "
              "deactivated and kept. Refused (409, reasons) while it holds cylinders or has an "
              "assignment today or later.")


def _retired(obj_id: int, deleted: bool) -> dict:
    return {"id": obj_id, "deleted": deleted, "active": False}


@blp.route("/vehicles/<int:vehicle_id>", methods=["PATCH"])
@allow("admin")
@blp.arguments(VehicleEdit)
@blp.response(200, VehicleOut)
@blp.alt_response(409, schema=RefusalOut, description="Deactivation refused, with reasons")
def edit_vehicle(body: dict, vehicle_id: int) -> dict:
    """Correct a vehicle's plate or permit; `active` deactivates or reactivates it."""
    return vehicle_dict(fleet_edit.update_vehicle(current_user, vehicle_id, body))


@blp.route("/vehicles/<int:vehicle_id>", methods=["DELETE"])
@allow("admin")
@blp.response(200, RetiredOut, description=RETIRE_DOC)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def retire_vehicle(vehicle_id: int) -> dict:
    """Take a vehicle out of use."""
    return _retired(vehicle_id, fleet_edit.retire_vehicle(current_user, vehicle_id))


@blp.route("/areas/<int:area_id>", methods=["PATCH"])
@allow("admin")
@blp.arguments(AreaEdit)
@blp.response(200, AreaOut)
@blp.alt_response(409, schema=RefusalOut, description="Deactivation refused, with reasons")
def edit_area(body: dict, area_id: int) -> dict:
    """Rename or redraw an area (customers follow the outline); `active` as for vehicles."""
    return area_dict(fleet_edit.update_area(current_user, area_id, body))


@blp.route("/areas/<int:area_id>", methods=["DELETE"])
@allow("admin")
@blp.response(200, RetiredOut, description=RETIRE_DOC)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def retire_area(area_id: int) -> dict:
    """Take a delivery area out of use; its customers join the area that covers them, if any."""
    return _retired(area_id, fleet_edit.retire_area(current_user, area_id))


@blp.route("/customers/<int:customer_id>", methods=["PATCH"])
@allow("admin")
@blp.arguments(CustomerEdit)
@blp.response(200, CustomerOut)
@blp.alt_response(409, schema=RefusalOut, description="Deactivation refused, with reasons")
def edit_customer(body: dict, customer_id: int) -> dict:
    """Correct a customer's facts (checked as at registration); `active` as for vehicles."""
    return customer_dict(fleet_edit.update_customer(current_user, customer_id, body))


@blp.route("/customers/<int:customer_id>", methods=["DELETE"])
@allow("admin")
@blp.response(200, RetiredOut, description=RETIRE_DOC)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def retire_customer(customer_id: int) -> dict:
    """Take a customer out of service; nothing more is delivered there."""
    return _retired(customer_id, fleet_edit.retire_customer(current_user, customer_id))


@blp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@allow("admin")
@blp.arguments(AssignmentEnd)
@blp.response(200, AssignmentOut)
def end_assignment(body: dict, assignment_id: int) -> dict:
    """End an assignment early (illness, breakdown); driver, vehicle and area are free the day
    after. Its past is kept: the last day is today or later; who, when and why are recorded."""
    return assignment_dict(assignment_edit.end_assignment(
        current_user, assignment_id, body["ends_on"], body["reason"]))


@blp.route("/assignments/<int:assignment_id>", methods=["PATCH"])
@allow("admin")
@blp.arguments(AssignmentEdit)
@blp.response(200, AssignmentOut)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons; or "
                  "`assignment_started`: a started assignment can only be ended")
def edit_assignment(body: dict, assignment_id: int) -> dict:
    """Change an assignment that has not started: vehicle, area, dates (checked as at creation)."""
    return assignment_dict(assignment_edit.update_assignment(current_user, assignment_id, body))


@blp.route("/assignments/<int:assignment_id>", methods=["DELETE"])
@allow("admin")
@blp.response(204)
def delete_assignment(assignment_id: int) -> None:
    """Delete an assignment that has not started; a started one answers 409 `assignment_started`."""
    assignment_edit.delete_assignment(current_user, assignment_id)
