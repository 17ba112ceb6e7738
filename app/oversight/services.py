"""Shared rules of oversight: who acts across organisations, lookups and idempotent steps."""
from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.auth.models import Organisation, User
from app.auth.policy import is_oversight
from app.errors import N_, Conflict, Forbidden
from app.extensions import db
from app.text_fields import require_clean_text
from app.traceability import services as registry
from app.traceability.events import Recorded, find_event, lock_cylinder, record_event
from app.traceability.models import Cylinder

# Events the regulators and agencies record themselves; they never count as a new sighting.
OVERSIGHT_EVENTS = frozenset({"seized", "handed_to_agency", "scrapped", "registration_cancelled",
                              "inspected", "safety_assessed", "blacklisted", "flag_raised",
                              "flag_resolved"})



NO_ORG = 0  # no organisation has id 0: an owner filter that matches nothing


def owner_scope(user: User, owner_org_id: int | None) -> int | None:
    """Whose cylinders a list shows: oversight the district, or the owner it names; anyone
    else only their own organisation's, and asking for another owner's finds nothing."""
    if is_oversight(user):
        return owner_org_id
    own = user.org_id
    return own if owner_org_id in (None, own) else NO_ORG


def is_regulator(user: User) -> bool:
    """Regulators and platform admins supervise every organisation."""
    return user.role == "regulator" or user.is_platform_admin


def require_regulator(user: User) -> None:
    """Refuse anyone but a regulator (or platform admin)."""
    if not is_regulator(user):
        raise Forbidden(N_("Only regulators may do this."), code="regulator_only")


def require_agency_inspector(user: User) -> None:
    """Refuse anyone but an inspector of an inspection agency."""
    if user.role != "inspector" or user.org.kind != "inspection_agency":
        raise Forbidden(N_("Only inspectors of an inspection agency may do this."),
                        code="inspector_only")


def cylinder_for_oversight(user: User, text: str) -> Cylinder:
    """Find a cylinder by code: oversight sees all, others their own (404 otherwise)."""
    return registry.get_cylinder_for(user, text)


def replayed_step(event_id: uuid.UUID | None, cyl: Cylinder, type_: str) -> Recorded | None:
    """Return the stored step when a client retries with the same event id."""
    existing = find_event(event_id)
    if existing is None:
        return None
    if existing.cylinder_id != cyl.id or existing.type != type_:
        raise Conflict(N_("This event_id was already used for a different event."),
                       code="event_id_reused")
    return Recorded(existing, False)


def record_step(cyl: Cylinder, type_: str, actor: User, event_id: uuid.UUID | None,
                data: dict[str, Any], before: dict[str, Any]) -> Recorded:
    """Record an oversight step with the cylinder's state before and after it."""
    require_clean_text(data.get("note"), "note", multiline=True, label=N_("Note"))
    require_clean_text(data.get("order_no"), "order_no", label=N_("Order number"))
    registry.refresh_derived(cyl)
    return record_event(cyl, type_, actor, event_id=event_id, data=data, before=before,
                        after=registry.snapshot(cyl))


def locked(cyl: Cylinder) -> Cylinder:
    """Lock the cylinder row before checking its state, so two steps cannot interleave."""
    return lock_cylinder(cyl.id)


def org_names(ids: set[int | None]) -> dict[int, str]:
    """Map organisation ids to names in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.name)
                              .where(Organisation.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def area_names(ids: set[int | None]) -> dict[int, str]:
    """Map delivery area ids to "company · area" in one query."""
    from app.delivery.models import DeliveryArea

    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(DeliveryArea.id, DeliveryArea.name, Organisation.name)
                              .join(Organisation, Organisation.id == DeliveryArea.org_id)
                              .where(DeliveryArea.id.in_(wanted)))
    return {area_id: f"{company} · {name}" for area_id, name, company in rows}


def setting(name: str, default: float) -> float:
    """Read a numeric oversight setting from config."""
    return float(current_app.config.get(name, default))
