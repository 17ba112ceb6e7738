"""JSON API of the round: loading, handing over, taking back, unloading, the doorstep check,
the offline batch, and where a cylinder is now."""
from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from app.auth.policy import allow
from app.delivery import door, safety, services
from app.delivery.custody import custody_of, on_vehicle
from app.delivery.errors import refusal_response
from app.delivery.fleet import get_vehicle
from app.delivery.schemas import (
    BatchIn,
    BatchOut,
    CustodyOut,
    DeliveryIn,
    DispatchIn,
    RefusalOut,
    ReturnIn,
    SafetyCheckIn,
    SafetyCheckOut,
    StepOut,
    UnloadIn,
    VehicleLoadOut,
)
from app.delivery.sync import check_of, step_of, sync_batch
from app.traceability.services import get_cylinder_for

blp = Blueprint("delivery_round_api", __name__, url_prefix="/api/v1",
                description="The delivery round: dispatch, delivery, return, unload, offline sync")

REFUSED = {"dispatch_refused": "Loading is refused.", "delivery_refused": "Delivery is refused.",
           "return_refused": "Taking the cylinder back is refused."}


def answer(outcome: services.Outcome) -> Any:
    """201 when stored, 200 when this event id was stored before, 409 with reasons if refused."""
    if outcome.status == "refused":
        assert outcome.event is not None
        return refusal_response(outcome.event.type, REFUSED[outcome.event.type], outcome.reasons)
    return outcome.to_dict(), 201 if outcome.status == "stored" else 200


@blp.route("/dispatches", methods=["POST"])
@allow("driver", "filler", "admin")
@blp.arguments(DispatchIn)
@blp.response(201, StepOut)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def dispatch(body: dict) -> Any:
    """Load a cylinder onto a vehicle at the station (only if its last fill passed)."""
    return answer(services.dispatch_cylinder(current_user, step_of(body), body.get("vehicle_id"),
                                             body.get("driver_id")))


@blp.route("/deliveries", methods=["POST"])
@allow("driver")
@blp.arguments(DeliveryIn)
@blp.response(201, StepOut)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def deliver(body: dict) -> Any:
    """Hand a cylinder over at the door, with the phone's position and time."""
    return answer(door.deliver_cylinder(current_user, step_of(body), body["customer_id"],
                                            body.get("safety_check_id")))


@blp.route("/returns", methods=["POST"])
@allow("driver")
@blp.arguments(ReturnIn)
@blp.response(201, StepOut)
@blp.alt_response(409, schema=RefusalOut, description="Refused, with reasons")
def take_back(body: dict) -> Any:
    """Take an empty back from the customer onto the vehicle."""
    return answer(door.return_cylinder(current_user, step_of(body), body["customer_id"]))


@blp.route("/unloads", methods=["POST"])
@allow("driver", "filler", "admin")
@blp.arguments(UnloadIn)
@blp.response(201, StepOut)
def unload(body: dict) -> Any:
    """Unload a cylinder from a vehicle at a station."""
    return answer(services.unload_cylinder(current_user, step_of(body),
                                           body.get("station_org_id")))


@blp.route("/safety-checks", methods=["POST"])
@allow("driver")
@blp.arguments(SafetyCheckIn)
@blp.response(201, SafetyCheckOut)
def safety_check(body: dict) -> Any:
    """Record the doorstep safety check (随瓶安检): 13 items, a photo for each failure."""
    check, created = safety.record_safety_check(current_user, check_of(body))
    out = {"status": "stored" if created else "already_stored", **safety.check_to_dict(check)}
    return out, 201 if created else 200


@blp.route("/events/batch", methods=["POST"])
@allow("driver", "filler", "admin")
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
def batch(body: dict) -> dict:
    """Sync queued offline events; each is stored once and answered stored/already/refused."""
    return sync_batch(current_user, body["events"])


@blp.route("/cylinders/<code>/custody", methods=["GET"])
@allow("admin", "regulator", "filler", "driver", "inspector")
@blp.response(200, CustodyOut)
def custody(code: str) -> dict:
    """Say who holds a cylinder now: a station, a vehicle, a customer or an agency."""
    cyl = get_cylinder_for(current_user, code)
    return {"code": cyl.code, "holder": custody_of(cyl).to_dict()}


@blp.route("/vehicles/<int:vehicle_id>/load", methods=["GET"])
@allow("admin", "regulator", "driver")
@blp.response(200, VehicleLoadOut)
def vehicle_load(vehicle_id: int) -> dict:
    """List the cylinders on a vehicle now."""
    vehicle = get_vehicle(current_user, vehicle_id)
    return {"vehicle_id": vehicle.id, "plate": vehicle.plate,
            "codes": [c.code for c in on_vehicle(vehicle.id)]}
