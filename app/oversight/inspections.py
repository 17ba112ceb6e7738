"""Periodic inspections and safety assessments recorded by inspection agencies.

A pass sets the new due date; a fail scraps the cylinder. A passed safety assessment extends
the service life once, by at most the rule table's extension (hard end at design life + 4 y),
and only near the design end. An agency records results only on cylinders in its hands: never
on one another agency holds, and on a seized one only once it was handed to this agency.
"""
from __future__ import annotations

import datetime as dt
import uuid

from app.auth.models import User
from app.clock import today
from app.errors import N_, Conflict, ValidationFailed
from app.oversight.seizure import require_with_agency, scrap_cylinder
from app.oversight.services import locked, record_step, replayed_step, require_agency_inspector
from app.traceability.events import Recorded
from app.traceability.models import Cylinder
from app.traceability.rule_store import life_rules
from app.traceability.rules import LifeRules, add_years, extension_window_opens
from app.traceability.services import refresh_derived, snapshot

RESULTS = ("pass", "fail")


class ExtensionRefused(ValueError):
    """A life extension the rules do not allow; `code` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def allowed_extension(manufactured_on: dt.date, design_life_years: int,
                      already_extended: bool, refurbished: bool, requested: dt.date | None,
                      rules: LifeRules, as_of: dt.date) -> dt.date:
    """Return the new end of service life a passed assessment grants, or refuse.

    The one extension is spent only when it is worth something: near the design end, and
    reaching past `as_of` (today).
    """
    if refurbished:
        raise ExtensionRefused("refurbished", "A refurbished cylinder's life is never extended.")
    if already_extended:
        raise ExtensionRefused("already_extended", "The service life was extended once already.")
    opens = extension_window_opens(manufactured_on, design_life_years)
    if as_of < opens:
        raise ExtensionRefused("assessment_too_early",
                               f"The life may be extended from {opens.isoformat()} on.")
    design_end = add_years(manufactured_on, design_life_years)
    hard_end = add_years(design_end, rules.extension_max_years)
    if hard_end <= as_of:
        raise ExtensionRefused("extension_already_past",
                               f"Any extension would end by {hard_end.isoformat()}, "
                               "which is past.")
    if requested is None:
        return hard_end
    if requested <= design_end:
        raise ExtensionRefused("extension_not_later",
                               "The extension must end after the design life.")
    if requested > hard_end:
        raise ExtensionRefused("extension_too_long",
                               f"The life may be extended to {hard_end.isoformat()} at most.")
    if requested <= as_of:
        raise ExtensionRefused("extension_already_past",
                               "The extension must end after today.")
    return requested


def _check_usable(cyl: Cylinder) -> None:
    if cyl.scrapped_at or cyl.registration_cancelled_at:
        raise Conflict(N_("This cylinder is scrapped; its code is dead."), code="already_scrapped")


def _check_in_hand(actor: User, cyl: Cylinder, result: str) -> None:
    """A seized cylinder never passes; any result needs the cylinder in this agency's hands.

    Checked before the result's event, which moves custody to the agency; a fail's scrap
    relies on this check (scrap_cylinder's `after_failed_inspection`).
    """
    if result == "pass" and cyl.seized_at:
        raise Conflict(N_("A seized cylinder cannot pass back into service."), code="seized")
    require_with_agency(actor, cyl, inspecting=True)


def record_inspection(actor: User, cyl: Cylinder, *, result: str, inspected_on: dt.date,
                      note: str = "", event_id: uuid.UUID | None = None) -> Recorded:
    """Record a periodic inspection: pass sets the next due date, fail scraps the cylinder."""
    require_agency_inspector(actor)
    if result not in RESULTS:
        raise ValidationFailed(N_("result must be pass or fail."), code="invalid_result")
    replay = replayed_step(event_id, cyl, "inspected")
    if replay:
        return replay
    cyl = locked(cyl)
    _check_usable(cyl)
    if inspected_on > today() or inspected_on < cyl.manufactured_on:
        raise ValidationFailed(N_("The inspection date must lie between manufacture and today."),
                               code="invalid_date")
    _check_in_hand(actor, cyl, result)
    before = snapshot(cyl)
    next_due = None
    if result == "pass":  # an older report entered late is history; it moves no date back
        cyl.last_inspected_on = max(inspected_on, cyl.last_inspected_on or inspected_on)
        next_due = refresh_derived(cyl).next_inspection_due.isoformat()
    recorded = record_step(cyl, "inspected", actor, event_id, {
        "result": result, "inspected_on": inspected_on.isoformat(), "next_due": next_due,
        "agency_org_id": actor.org_id, "note": note}, before)
    if result == "fail":
        scrap_cylinder(actor, cyl, note=note or "failed periodic inspection",
                       after_failed_inspection=True)
    return recorded


def record_safety_assessment(actor: User, cyl: Cylinder, *, result: str,
                             extended_until: dt.date | None = None, note: str = "",
                             event_id: uuid.UUID | None = None) -> Recorded:
    """Record a safety assessment: a pass extends the service life within the rules."""
    require_agency_inspector(actor)
    if result not in RESULTS:
        raise ValidationFailed(N_("result must be pass or fail."), code="invalid_result")
    replay = replayed_step(event_id, cyl, "safety_assessed")
    if replay:
        return replay
    cyl = locked(cyl)
    _check_usable(cyl)
    _check_in_hand(actor, cyl, result)
    before = snapshot(cyl)
    granted = None
    if result == "pass":
        try:
            granted = allowed_extension(cyl.manufactured_on, cyl.design_life_years,
                                        cyl.life_extended_until is not None, cyl.refurbished,
                                        extended_until, life_rules(), today())
        except ExtensionRefused as exc:
            raise Conflict(str(exc), code=exc.code) from exc
        cyl.life_extended_until = granted
    recorded = record_step(cyl, "safety_assessed", actor, event_id, {
        "result": result, "extended_until": granted.isoformat() if granted else None,
        "agency_org_id": actor.org_id, "note": note}, before)
    if result == "fail":
        scrap_cylinder(actor, cyl, note=note or "failed safety assessment",
                       after_failed_inspection=True)
    return recorded
