"""Where a flag was seen, as a delivery area, so regulators can count flags by area.

The customer's registered area comes first (that is where it happened), then the hazard's, the
delivery's zone, the active area that contains the position the phone sent (a station's scan
carries one when the phone has a fix; areas of the cylinder's owner first, where areas of two
companies overlap), then the area of the driver's assignment. Flags without any of these (a
station scan without a position, a public scan) have no area.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.clock import today
from app.delivery import geo
from app.delivery.fleet import assignment_on
from app.delivery.models import Customer, DeliveryArea, Hazard
from app.extensions import db
from app.traceability.checks import register_flag_locator
from app.traceability.models import Cylinder


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def area_at(lon: float, lat: float, prefer_org_id: int | None = None) -> int | None:
    """The active delivery area containing a position; the preferred company's first."""
    areas = db.session.execute(select(DeliveryArea.id, DeliveryArea.org_id, DeliveryArea.polygon)
                               .where(DeliveryArea.active.is_(True))
                               .order_by(DeliveryArea.id)).all()
    inside = [(org_id != prefer_org_id, area_id) for area_id, org_id, polygon in areas
              if geo.contains(geo.to_polygon(polygon), lon, lat)]
    return min(inside)[1] if inside else None


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
    lon, lat = _number(details.get("lon")), _number(details.get("lat"))
    if lon is not None and lat is not None:
        area_id = area_at(lon, lat, cylinder.owner_org_id if cylinder is not None else None)
        if area_id is not None:
            return area_id
    if actor is not None and actor.role == "driver":
        assignment = assignment_on(actor.id, today())
        return assignment.area_id if assignment is not None else None
    return None
