"""The inspection desk (检验台): scan a cylinder, see its facts, record the result, next.

A bench does a hundred cylinders a day. The code field takes a scanner's keystrokes and Enter,
a typed code or the QR payload URL; a photo is read by the server's decoder. Results go
through the same services as the API and the cylinder page. A fail is confirmed first, as it
scraps the cylinder for good. Each rendered form carries a fresh event id, so a retry or a
double tap records once. Only an agency's inspectors use the desk: it is nothing but their
forms and their agency's day (regulators and admins read the same facts on the cylinder page).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.auth.policy import allow
from app.clock import today
from app.database import commit_now, reads_first
from app.errors import N_, APIError, ValidationFailed, coded_error
from app.extensions import db
from app.filling.photos import codes_in_photo
from app.oversight import desk, inspections
from app.oversight.forms import STALE_FORM, new_event_id, refusal
from app.oversight.schemas import AssessmentIn, InspectionIn
from app.oversight.services import cylinder_for_oversight
from app.traceability.codes import format_code
from app.traceability.events import Recorded
from app.traceability.models import Cylinder

bp = Blueprint("oversight_desk", __name__, url_prefix="/oversight", template_folder="templates")
SCHEMAS = {"inspect": InspectionIn(), "assess": AssessmentIn()}
# What a form says for a field the API's schema refuses (its own messages are English).
FIELD_WORDS = {
    "inspected_on": N_("Enter the inspection date as a date, such as 2026-06-15."),
    "extended_until": N_("Enter the new end of service life as a date, such as 2030-03-01, "
                         "or leave it empty."),
    "note": N_("The note is too long: at most 2000 characters."),
    "result": N_("Choose pass or fail."),
    "event_id": STALE_FORM,
}


@dataclass(frozen=True)
class Pending:
    """A result as the form sent it: given back with its refusal, or awaiting confirmation."""

    action: str
    result: str
    inspected_on: str
    extended_until: str
    note: str
    event_id: str

    @classmethod
    def from_form(cls, form: MultiDict) -> Pending:
        def text(name: str) -> str:
            return (form.get(name) or "").strip()

        return cls(text("action"), text("result"), text("inspected_on"),
                   text("extended_until"), text("note"), text("event_id"))

    def load(self) -> dict[str, Any]:
        """Check the fields with the API's schema; a refused field is said in the page's words."""
        if self.action not in SCHEMAS:
            raise ValidationFailed(N_("Unknown action."), code="invalid_action")
        raw = {"result": self.result, "note": self.note, "event_id": self.event_id or None}
        if self.action == "inspect":
            raw["inspected_on"] = self.inspected_on or today().isoformat()
        else:
            raw["extended_until"] = self.extended_until or None
        try:
            return SCHEMAS[self.action].load(raw)
        except ValidationError as exc:
            coded = coded_error(exc.messages)
            if coded:  # a note with a hidden character: say which, and where
                raise coded from exc
            field = next((f for f in FIELD_WORDS if f in exc.messages), "result")
            raise ValidationFailed(FIELD_WORDS[field], code="invalid_field") from exc


@bp.context_processor
def desk_helpers() -> dict[str, Any]:
    """A fresh event id for each form, and refusals in the reader's language."""
    return {"new_event_id": new_event_id, "refusal": refusal, "fmt": format_code}


def _render(text: str = "", cyl: Cylinder | None = None, *, error: str | None = None,
            pending: Pending | None = None, confirm: bool = False,
            status: int = 200) -> tuple[str, int]:
    return render_template(
        "oversight/desk.html", text=text, error=error, pending=pending, confirm=confirm,
        offer=desk.offer_for(current_user, cyl) if cyl is not None else None,
        entries=desk.day_entries(current_user.org_id), today=today()), status


def _find(text: str) -> tuple[Cylinder | None, APIError | None]:
    try:
        return cylinder_for_oversight(current_user, text), None
    except APIError as exc:  # unreadable (400) or unknown (404) code
        return None, exc


@bp.route("/inspect")
@allow("inspector")
def desk_page() -> tuple[str, int]:
    """Show the desk, and the scanned cylinder's facts with what may be recorded on it."""
    text = request.args.get("code", "").strip()
    if not text:
        return _render()
    cyl, error = _find(text)
    if error is not None:
        return _render(text, error=refusal(error), status=error.status)
    return _render(text, cyl)


def _record(action: str, cyl: Cylinder, body: dict[str, Any]) -> Recorded:
    if action == "inspect":
        return inspections.record_inspection(
            current_user, cyl, result=body["result"], inspected_on=body["inspected_on"],
            note=body["note"], event_id=body.get("event_id"))
    return inspections.record_safety_assessment(
        current_user, cyl, result=body["result"], extended_until=body.get("extended_until"),
        note=body["note"], event_id=body.get("event_id"))


def _summary(cyl: Cylinder, recorded: Recorded) -> str:
    """What was recorded, from the stored event: a replayed retry says the same."""
    data, code = recorded.event.data, format_code(cyl.code)
    if recorded.event.type == "inspected":
        if data["result"] == "pass":
            return _("%(code)s passed the inspection of %(day)s: next inspection due %(due)s.",
                     code=code, day=data["inspected_on"], due=data["next_due"])
        return _("%(code)s failed the inspection of %(day)s and is scrapped: its code is "
                 "retired.", code=code, day=data["inspected_on"])
    if data["result"] == "pass":
        return _("%(code)s passed the safety assessment: service life extended to %(day)s.",
                 code=code, day=data["extended_until"])
    return _("%(code)s failed the safety assessment and is scrapped: its code is retired.",
             code=code)


@bp.route("/inspect", methods=["POST"])
@allow("inspector")
def record() -> Response | tuple[str, int]:
    """Record a pass or (once confirmed) a fail, then be ready for the next code."""
    text = (request.form.get("code") or "").strip()
    cyl, error = _find(text)
    if cyl is None:
        assert error is not None
        return _render(text, error=refusal(error), status=error.status)
    pending = Pending.from_form(request.form)
    try:
        body = pending.load()
        if body["result"] == "fail" and request.form.get("confirm") != "yes":
            problem = inspections.refusal_for(current_user, cyl, "fail")
            if problem is not None:
                raise problem
            return _render(text, cyl, pending=pending, confirm=True)
        recorded = _record(pending.action, cyl, body)
    except APIError as exc:  # refused: nothing is written, the form comes back with why
        db.session.rollback()
        return _render(text, cyl, error=refusal(exc), pending=pending, status=exc.status)
    commit_now()  # before the flash: a failed commit must not leave 'recorded' behind
    flash(_summary(cyl, recorded), "ok" if recorded.event.data["result"] == "pass" else "warn")
    return redirect(url_for(".desk_page"), 303)


@bp.route("/inspect/photo", methods=["POST"])
@allow("inspector")
@reads_first
def photo() -> Response | tuple[str, int]:
    """Read the code in a photo with the server's decoder and open that cylinder."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return _render(error=_("Choose a photo of the code."), status=400)
    try:
        seen = codes_in_photo(upload.read())
    except APIError as exc:  # too large, not a picture, corrupt
        return _render(error=_("The photo could not be read: take it again"), status=exc.status)
    if not seen:
        return _render(error=_("No QR code in the photo: take it again, closer"), status=422)
    if len(seen) > 1:
        return _render(error=_("The photo shows several codes: photograph one cylinder's "
                               "label."), status=422)
    return redirect(url_for(".desk_page", code=seen[0].text), 303)
