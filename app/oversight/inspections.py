"""Periodic inspections and safety assessments recorded by inspection agencies.

A pass sets the new due date; a fail scraps the cylinder. A passed safety assessment extends
the service life once, by at most the rule table's extension (hard end at design life + 4 y),
and only near the design end. An agency records results only on cylinders in its hands: never
on one another agency holds, and on a seized one only once it was handed to this agency.
"""
from __future__ import annotations

import datetime as dt
import uuid

from flask import has_request_context
from flask_babel import gettext

from app.auth.models import User
from app.clock import today
from app.errors import N_, APIError, Conflict, ValidationFailed
from app.oversight.seizure import require_with_agency, scrap_cylinder
from app.oversight.services import locked, record_step, replayed_step, require_agency_inspector
from app.traceability.events import Recorded
from app.traceability.models import Cylinder
from app.traceability.rule_store import life_rules
from app.traceability.rules import LifeRules, add_years, extension_window_opens
from app.traceability.services import refresh_derived, snapshot

RESULTS = ("pass", "fail")
# the scrap's note when the inspector wrote none: stored as is (it is hashed into the chain),
# shown in the reader's language
FAILED_INSPECTION = N_("failed periodic inspection")
FAILED_ASSESSMENT = N_("failed safety assessment")
DEFAULT_SCRAP_NOTES = (FAILED_INSPECTION, FAILED_ASSESSMENT)


class ExtensionRefused(ValueError):
    """A life extension the rules do not allow; `code` names the rule.

    The message is a catalog msgid with its values apart, so a page can say it in the
    reader's language; str() is the English text the API answers.
    """

    def __init__(self, code: str, message: str, **values: str) -> None:
        super().__init__(message % values if values else message)
        self.code = code
        self.message = message
        self.values = values

    def in_reader_language(self) -> str:
        """The refusal in the page's language (English outside a request)."""
        return gettext(self.message, **self.values) if has_request_context() else str(self)

    def conflict(self) -> Conflict:
        """The 409 the services raise, with the page's wording kept for forms."""
        return Conflict(self.message, values=self.values, code=self.code)


def allowed_extension(manufactured_on: dt.date, design_life_years: int,
                      already_extended: bool, refurbished: bool, requested: dt.date | None,
                      rules: LifeRules, as_of: dt.date) -> dt.date:
    """Return the new end of service life a passed assessment grants, or refuse.

    The one extension is spent only when it is worth something: near the design end, and
    reaching past `as_of` (today).
    """
    if refurbished:
        raise ExtensionRefused("refurbished",
                               N_("A refurbished cylinder's life is never extended."))
    if already_extended:
        raise ExtensionRefused("already_extended",
                               N_("The service life was extended once already."))
    opens = extension_window_opens(manufactured_on, design_life_years)
    if as_of < opens:
        raise ExtensionRefused("assessment_too_early",
                               N_("The life may be extended from %(day)s on."),
                               day=opens.isoformat())
    design_end = add_years(manufactured_on, design_life_years)
    hard_end = add_years(design_end, rules.extension_max_years)
    if hard_end <= as_of:
        raise ExtensionRefused("extension_already_past",
                               N_("Any extension would end by %(day)s, which is past."),
                               day=hard_end.isoformat())
    if requested is None:
        return hard_end
    if requested <= design_end:
        raise ExtensionRefused("extension_not_later",
                               N_("The extension must end after the design life."))
    if requested > hard_end:
        raise ExtensionRefused("extension_too_long",
                               N_("The life may be extended to %(day)s at most."),
                               day=hard_end.isoformat())
    if requested <= as_of:
        raise ExtensionRefused("extension_already_past",
                               N_("The extension must end after today."))
    return requested


def extension_for(cyl: Cylinder, requested: dt.date | None = None) -> dt.date:
    """The end of service life a passed assessment of this cylinder grants today, or refuse."""
    return allowed_extension(cyl.manufactured_on, cyl.design_life_years,
                             cyl.life_extended_until is not None, cyl.refurbished, requested,
                             life_rules(), today())


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


def refusal_for(actor: User, cyl: Cylinder, result: str) -> APIError | None:
    """Why recording `result` on this cylinder would be refused now, or None.

    For a page to offer only what the services take; they check again as they record.
    """
    try:
        require_agency_inspector(actor)
        _check_usable(cyl)
        _check_in_hand(actor, cyl, result)
    except APIError as exc:
        return exc
    return None


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
        scrap_cylinder(actor, cyl, note=note or FAILED_INSPECTION,
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
            granted = extension_for(cyl, extended_until)
        except ExtensionRefused as exc:
            raise exc.conflict() from exc
        cyl.life_extended_until = granted
    recorded = record_step(cyl, "safety_assessed", actor, event_id, {
        "result": result, "extended_until": granted.isoformat() if granted else None,
        "agency_org_id": actor.org_id, "note": note}, before)
    if result == "fail":
        scrap_cylinder(actor, cyl, note=note or FAILED_ASSESSMENT,
                       after_failed_inspection=True)
    return recorded
