"""The owner's page for entrustments (托管): which stations may fill its cylinders, when; entrust
one, revoke one. The same services as `/api/v1/entrustments`; a refusal is shown in the form,
with what was chosen kept. A station's admin sees, read-only, who entrusted cylinders to it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth.models import Organisation, User
from app.auth.policy import allow, is_oversight
from app.clock import DISTRICT_TZ, today
from app.errors import N_, APIError, ValidationFailed, refusal_text
from app.extensions import db
from app.filling.entrustments import (
    STATION_KINDS,
    create_entrustment,
    entrustments_for,
    revoke_entrustment,
)
from app.filling.models import Entrustment
from app.query_args import form_id, id_arg
from app.traceability.services import owner_orgs

bp = Blueprint("entrustments", __name__, template_folder="templates")
FIELDS = ("owner_org_id", "station_org_id", "valid_from", "valid_to")
# the services' messages for these carry values (or are English only): the page says its own
WORDING = {
    "invalid_date": N_("Enter the first and the last day as dates."),
    "org_not_found": N_("Choose the owner and the station from the lists."),
    "self_entrustment": N_("A station cannot entrust cylinders to itself."),
    "same_org": N_("An owner fills its own cylinders without entrustment."),
    "not_a_station": N_("The chosen organisation does not fill cylinders."),
    "invalid_period": N_("The last day is before the first day."),
    "entrustment_overlaps": N_("An entrustment of these cylinders to this station already "
                               "covers part of this period (%(start)s to %(end)s); revoke it "
                               "first or choose other days."),
}
# an admin has no owner to choose (the page shows their organisation): name only the station
OWN_WORDING = {**WORDING, "org_not_found": N_("Choose the station from the list.")}
STATUS_NAMES = {"current": N_("in force today"), "future": N_("coming"),
                "ended": N_("ended"), "revoked": N_("revoked")}


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationFailed(N_("Not a date: %(text)s."), values={"text": repr(text)},
                               code="invalid_date") from exc


def _names(model: Any, ids: set[int | None]) -> dict[int, Any]:
    """Rows of `model` by id, one query for a whole list."""
    ids.discard(None)
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _page(status: int = 200, form: dict[str, str] | None = None,
          error: str | None = None) -> tuple[str, int]:
    """The page: the user's organisation's entrustments as owner (current, coming, past), those
    it received as a station, and the form (what was sent and the refusal, when refused)."""
    on, oversight = today(), is_oversight(current_user)
    rows = list(db.session.scalars(entrustments_for(current_user).limit(500)))
    given = [r for r in rows if oversight or r.owner_org_id == current_user.org_id]
    groups: dict[str, list[Entrustment]] = {"current": [], "future": [], "past": []}
    for row in given:
        state = row.status_on(on)
        groups[state if state in groups else "past"].append(row)
    stations = list(db.session.scalars(select(Organisation).where(
        Organisation.kind.in_(STATION_KINDS), Organisation.id != current_user.org_id)
        .order_by(Organisation.name)))
    orgs = _names(Organisation, {r.owner_org_id for r in rows} | {r.station_org_id for r in rows})
    return render_template(
        "filling/entrustments.html", groups=groups, on=on, oversight=oversight,
        received=[r for r in rows if not oversight and r.station_org_id == current_user.org_id],
        orgs=orgs, users=_names(User, {r.revoked_by_id for r in rows}), stations=stations,
        owners=owner_orgs() if oversight else [], status_names=STATUS_NAMES,
        district_tz=DISTRICT_TZ, form=form or {"valid_from": on.isoformat()},
        error=error, show_past=_shown_among(groups["past"])), status


def _shown_among(past: list[Entrustment]) -> bool:
    """Whether the row just revoked (?revoked=ID) is among the ended ones, so their list opens."""
    shown = id_arg("revoked")
    return shown is not None and any(row.id == shown for row in past)


@bp.route("/entrustments", methods=["GET", "POST"])
@allow("admin", "regulator")
def index() -> tuple[str, int] | Response:
    """List the entrustments the user's organisation is party to, and entrust cylinders."""
    if request.method == "GET":
        return _page()
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        # an admin entrusts their own organisation's cylinders; oversight names the owner
        owner = form_id("owner_org_id") if is_oversight(current_user) else current_user.org_id
        row = create_entrustment(current_user, owner, form_id("station_org_id"),
                                 _day(form["valid_from"]), _day(form["valid_to"]))
    except APIError as exc:
        db.session.rollback()
        other = (db.session.get(Entrustment, exc.details["id"])
                 if exc.code == "entrustment_overlaps" else None)
        dates = {"start": other.valid_from.isoformat(), "end": other.valid_to.isoformat()
                 } if other else {}
        message = refusal_text(exc, WORDING if is_oversight(current_user) else OWN_WORDING,
                               **dates)
        return _page(400 if exc.status == 404 else exc.status, form, message)
    station = db.session.get(Organisation, row.station_org_id)
    flash(_("Entrusted to %(station)s from %(start)s to %(end)s.", station=station.name,
            start=row.valid_from.isoformat(), end=row.valid_to.isoformat()), "ok")
    # the revoked row sits among the ended ones: open that list at it
    return redirect(url_for(".index", revoked=row.id, _anchor=f"entrustment-{row.id}"))


@bp.route("/entrustments/<int:entrustment_id>/revoke", methods=["POST"])
@allow("admin", "regulator")
def revoke(entrustment_id: int) -> Response:
    """End an entrustment now (another organisation's: 404; a second revocation keeps the first)."""
    row = revoke_entrustment(current_user, entrustment_id)
    station = db.session.get(Organisation, row.station_org_id)
    by = db.session.get(User, row.revoked_by_id) if row.revoked_by_id else None
    flash(_("The entrustment to %(station)s was revoked at %(at)s by %(who)s; from then on it "
            "may not fill these cylinders.", station=station.name,
            at=row.revoked_at.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M"),
            who=(by.display_name or by.name) if by else "?"), "ok")
    # the revoked row sits among the ended ones: open that list at it
    return redirect(url_for(".index", revoked=row.id, _anchor=f"entrustment-{row.id}"))
