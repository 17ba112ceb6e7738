"""Changing an assignment (人车对应) after it was made: drivers fall ill, vehicles break down.

An assignment's past is history and is never rewritten: one that has started can only be
ended early (from today on, with a reason, who and when kept); one that has not started yet may
be changed (checked as at creation) or deleted. Ending is not a cylinder event, so it is
audited on the assignment itself. Only the owning company's administrator does any of this.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from app.auth.models import User
from app.clock import today
from app.database import utcnow
from app.delivery.errors import Refused
from app.delivery.fleet import assignment_reasons, get_area, get_driver, get_vehicle
from app.delivery.fleet_edit import own
from app.delivery.models import Assignment
from app.errors import N_, Conflict, ValidationFailed
from app.extensions import db


def started(assignment: Assignment) -> bool:
    """Whether the assignment's first day has come (from then on it is history)."""
    return assignment.starts_on <= today()


def _not_ended(assignment: Assignment) -> None:
    if assignment.ended_at is not None:
        raise Conflict(N_("The assignment was ended early already."), code="assignment_ended")


def end_assignment(actor: User, assignment_id: int, ends_on: dt.date,
                   reason: str) -> Assignment:
    """End an assignment early; the driver, vehicle and area are free from the next day."""
    assignment = own(actor, Assignment, assignment_id, lock=True)
    _not_ended(assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(N_("A reason is required."), code="reason_required")
    if assignment.ends_on < today():
        raise Conflict(N_("The assignment is over; its history is not changed."),
                       code="assignment_over")
    if ends_on < assignment.starts_on:
        raise ValidationFailed(N_("ends_on is before starts_on."), code="invalid_period")
    if ends_on < today():
        raise ValidationFailed(N_("An assignment cannot be ended in the past."),
                               code="end_in_past")
    if ends_on >= assignment.ends_on:
        raise ValidationFailed(N_("Ending early needs a day before the planned end."),
                               code="not_earlier")
    assignment.ends_on = ends_on
    assignment.ended_by_id, assignment.ended_at, assignment.end_reason = (
        actor.id, utcnow(), reason)
    db.session.flush()
    return assignment


def _future(actor: User, assignment_id: int) -> Assignment:
    """An assignment that has not started: the only kind that may be changed or deleted."""
    assignment = own(actor, Assignment, assignment_id, lock=True)
    if started(assignment):
        raise Conflict(N_("The assignment has started; it can only be ended early."),
                       code="assignment_started")
    return assignment


def update_assignment(actor: User, assignment_id: int, changes: dict[str, Any]) -> Assignment:
    """Change a future assignment's vehicle, area or dates, checked as a new one would be."""
    assignment = _future(actor, assignment_id)
    _not_ended(assignment)
    driver = get_driver(actor, assignment.driver_id)
    vehicle = get_vehicle(actor, changes.get("vehicle_id", assignment.vehicle_id))
    area = get_area(actor, changes.get("area_id", assignment.area_id))
    starts_on = changes.get("starts_on", assignment.starts_on)
    ends_on = changes.get("ends_on", assignment.ends_on)
    if starts_on < today():
        raise ValidationFailed(N_("An assignment cannot start in the past."),
                               code="start_in_past")
    reasons = assignment_reasons(driver, vehicle, area, starts_on, ends_on, assignment.id)
    if reasons:
        raise Refused("assignment_refused", "The assignment is refused.", reasons)
    assignment.vehicle_id, assignment.area_id = vehicle.id, area.id
    assignment.starts_on, assignment.ends_on = starts_on, ends_on
    db.session.flush()
    return assignment


def delete_assignment(actor: User, assignment_id: int) -> None:
    """Delete an assignment that has not started (nobody worked under it yet)."""
    db.session.delete(_future(actor, assignment_id))
    db.session.flush()
