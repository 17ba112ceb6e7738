"""Where a flag was seen, as a delivery area, so regulators can count flags by area.

The customer's registered area comes first (that is where it happened), then the area of the
driver's assignment; flags raised at a filling station or by the public have no area.
"""
from __future__ import annotations

from typing import Any

from app.auth.models import User
from app.clock import today
from app.delivery.fleet import assignment_on
from app.delivery.models import Customer, Hazard
from app.extensions import db
from app.traceability.checks import register_flag_locator
from app.traceability.models import Cylinder


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@register_flag_locator
def delivery_area_of_flag(kind: str, cylinder: Cylinder | None, actor: User | None,
                          details: dict[str, Any]) -> int | None:
    """The delivery area of the customer, hazard or driver a flag's details name."""
    if (customer_id := _int(details.get("customer_id"))) is not None:
        customer = db.session.get(Customer, customer_id)
        if customer is not None and customer.area_id is not None:
            return customer.area_id
    if (hazard_id := _int(details.get("hazard_id"))) is not None:
        hazard = db.session.get(Hazard, hazard_id)
        if hazard is not None and hazard.area_id is not None:
            return hazard.area_id
    zone = details.get("zone")
    if isinstance(zone, dict) and (area_id := _int(zone.get("area_id"))) is not None:
        return area_id
    if actor is not None and actor.role == "driver":
        assignment = assignment_on(actor.id, today())
        return assignment.area_id if assignment is not None else None
    return None
