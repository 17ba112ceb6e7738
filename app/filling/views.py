"""The filling page: scan or type a code, see ALLOW or REFUSE full screen, and today's work.

The scan goes to the JSON API from the page's script (the verdict must come in a second,
without leaving the page). A held cylinder's re-weigh is a plain form posted back to the page:
a rare step whose refusals are shown beside the cylinder in the reader's language.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.auth.policy import allow
from app.clock import today
from app.database import commit_now
from app.errors import HTTP_PAGE_MESSAGES, N_, APIError, page_message
from app.extensions import db
from app.filling import ledger, services
from app.filling.entrustments import owners_entrusting
from app.filling.rules import PRECHECK_ITEMS
from app.filling.schemas import MASS, ReweighIn
from app.traceability.codes import format_code

bp = Blueprint("filling", __name__, template_folder="templates")
STATIC = Path(__file__).with_name("static")
REWEIGH_IN = ReweighIn()
NOT_HERE = N_("No fill with this event id at your station.")


@dataclass(frozen=True)
class Problem:
    """A refused re-weigh, shown beside its cylinder: which fill, what was typed, and why."""

    fill: str
    value: str
    message: str
    status: int


@bp.context_processor
def reweigh_ids() -> dict[str, Callable[[], str]]:
    """A fresh event id for each re-weigh form: a double tap on its button records one."""
    return {"new_event_id": lambda: str(uuid.uuid4())}


def _kg(mass: float) -> str:
    return f"{mass:g}"


def _mass_message() -> str:
    return _("Enter the scale's net mass in kg: a number above %(min)s and at most %(max)s.",
             min=_kg(MASS.min), max=_kg(MASS.max))


def _error_words() -> dict[str, str]:
    """What the verdict says for an API error the operator can act on, by error code (the
    API's own message is English); `failed` for any other, with its status."""
    return {
        "unauthorized": _("You were signed out: tap to sign in again, then scan again."),
        "csrf_failed": _("This page is out of date: tap to reload it, then scan again."),
        "net_mass_kg": _mass_message(),
        "payload_too_large": _("The photo is too large: take it again or type the code."),
        "rate_limited": page_message(HTTP_PAGE_MESSAGES[429]),
        "failed": _("The check failed (error %(status)s): try again; if it keeps failing, "
                    "type the code or call the office."),
    }


def _reweigh(form: MultiDict) -> Problem | None:
    """Record the re-weigh the form sends; say why not when the service or schema refuses."""
    fill, value = form.get("fill", ""), form.get("net_mass_kg", "").strip()
    try:
        fill_id = uuid.UUID(fill)
    except ValueError:  # as the API answers a malformed id: no such fill here
        return Problem(fill, value, page_message(NOT_HERE), 404)
    try:
        body = REWEIGH_IN.load({"net_mass_kg": value, "event_id": form.get("event_id") or None})
        done = services.reweigh_held(current_user, fill_id, body["net_mass_kg"],
                                     body.get("event_id"))
    except ValidationError as exc:
        message = (_mass_message() if "net_mass_kg" in exc.messages
                   else page_message("The request has invalid fields."))
        return Problem(fill, value, message, 400)
    except APIError as exc:  # another station's fill is not found (404), as in the API
        db.session.rollback()
        return Problem(fill, value, page_message(exc), exc.status)
    commit_now()  # before the flash: a failed commit must not leave 'hold lifted' behind
    words = {"code": format_code(done.fill.code), "mass": _kg(body["net_mass_kg"]),
             "rated": _kg(done.fill.rated_fill_kg)}
    if done.cleared:
        flash(_("%(code)s re-weighed at %(mass)s kg, within the rated %(rated)s kg: the hold "
                "is lifted.", **words), "ok")
    else:
        flash(_("%(code)s re-weighed at %(mass)s kg, still above the rated %(rated)s kg: it "
                "stays on hold. Take the excess gas out and re-weigh again.", **words), "warn")
    return None


@bp.route("/filling", methods=["GET", "POST"])
@allow("filler")
def index() -> Response | tuple[str, int]:
    """Show the interlock for the operator at the scale; record a held cylinder's re-weigh."""
    problem = None
    if request.method == "POST":
        problem = _reweigh(request.form)
        if problem is None:
            return redirect(url_for(".index"), 303)  # the answer sits under the scan card
    org_id = current_user.org_id
    return render_template("filling/index.html", precheck_items=list(PRECHECK_ITEMS),
                           entries=ledger.day_entries(org_id), held=ledger.held_entries(org_id),
                           entrusting=owners_entrusting(org_id, today()),
                           error_words=_error_words(),
                           login_url=url_for("web.login", next=url_for(".index")),
                           problem=problem), problem.status if problem else 200


@bp.route("/filling/today")
@allow("filler")
def today_fragment() -> str:
    """Render today's fills and refusals, for the page to refresh after each scan."""
    return render_template("filling/_today.html", entries=ledger.day_entries(current_user.org_id))


@bp.route("/filling/held")
@allow("filler")
def held_fragment() -> str:
    """Render the cylinders held for a re-weigh, for the page to refresh after an overfill."""
    return render_template("filling/_held.html", held=ledger.held_entries(current_user.org_id),
                           problem=None)


@bp.route("/filling/static/<path:filename>")
@allow("public")
def static_file(filename: str) -> Response:
    """Serve the page's script (the blueprint's own static view has no access rule)."""
    return send_from_directory(STATIC, filename, max_age=3600)
