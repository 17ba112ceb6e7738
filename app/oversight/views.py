"""Regulators' pages: search, a cylinder's timeline and actions, blacklist and reports."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.models import Organisation
from app.auth.policy import allow
from app.clock import today
from app.downloads import PDF, XLSX
from app.errors import N_, APIError, Forbidden, ValidationFailed, page_message
from app.extensions import db
from app.oversight import blacklist, inspections, seizure
from app.oversight.forms import (
    UNCONFIRMED_LIFT,
    form_event_id,
    new_event_id,
    refusal,
    require_confirmation,
    require_ticked,
)
from app.oversight.labels import FLAG_KIND_LABELS
from app.oversight.models import BlacklistEntry
from app.oversight.reports.data import DISTRICT_TZ, monthly_report, parse_month
from app.oversight.reports.pdf import report_pdf
from app.oversight.reports.scope import report_scope
from app.oversight.reports.xlsx import report_xlsx
from app.oversight.schemas import FLAG_KINDS, SearchQuery
from app.oversight.search import STATUSES, run_search
from app.oversight.search_export import search_rows, search_workbook
from app.oversight.services import area_names, cylinder_for_oversight, is_regulator
from app.oversight.timeline import timeline
from app.query_args import choice_arg, id_arg
from app.traceability import services as registry
from app.traceability.codes import format_code
from app.traceability.flags import open_flags

bp = Blueprint("oversight", __name__, url_prefix="/oversight", template_folder="templates")
STATUS_LABELS = {
    "in_service": _l("In service"), "inspection_overdue": _l("Inspection overdue"),
    "beyond_service_life": _l("Beyond service life"), "seized": _l("Seized"),
    "scrapped": _l("Scrapped"), "registration_cancelled": _l("Registration cancelled"),
}


@bp.app_context_processor
def inject_labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "flag_labels": FLAG_KIND_LABELS, "tz": DISTRICT_TZ}


@bp.context_processor
def event_ids() -> dict[str, Any]:
    """Each action form carries a fresh event id: a double submit records one step."""
    return {"new_event_id": new_event_id}


def _orgs() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.kind,
                                                                 Organisation.name)))


def _areas() -> list[tuple[int, str]]:
    """The delivery areas this user may report on, as (id, "company · area")."""
    from app.delivery.models import DeliveryArea

    query = select(DeliveryArea.id)
    if not is_regulator(current_user):
        query = query.where(DeliveryArea.org_id == current_user.org_id)
    names = area_names(set(db.session.scalars(query)))
    return sorted(names.items(), key=lambda t: t[1])


# the search form's fields as its labels name them, for saying which ones are wrong
SEARCH_FIELDS = {
    "code": _l("Code (whole, start or mistyped)"), "serial_no": _l("Serial number"),
    "manufacturer": _l("Manufacturer"), "model": _l("Model"), "status": _l("Status"),
    "owner_org_id": _l("Owner"), "station_org_id": _l("Last filled at"),
    "customer_id": _l("Customer number"), "driver_id": _l("Driver number"),
    "flag": _l("Open flag"), "made_from": _l("Made from"), "made_to": _l("Made to"),
    "due_from": _l("Inspection due from"), "due_to": _l("Inspection due to"),
    "seen_from": _l("Last seen from"), "seen_to": _l("Last seen to"),
}


def _search_args(args: MultiDict) -> tuple[dict[str, Any], list[str]]:
    """Parse the search form with the API's schema; errors name the wrong fields by their
    labels (the page said `customer_id, made_from` in English), not a 500."""
    # `lang` picks the page's language (app.select_locale) on any page: it is not a filter
    # `format` asks for the results as a file (search_export): not a filter either
    raw = {k: v for k, v in args.items() if v not in ("", None) and k not in ("lang", "format")}
    errors = SearchQuery().validate(raw)
    if errors:
        return {"page": 1, "per_page": 25}, [str(SEARCH_FIELDS.get(k, k)) for k in errors]
    return SearchQuery().load(raw), []


@bp.route("/search")
@allow("admin", "regulator", "inspector")
def search() -> str | Response:
    """Search cylinders and list them page by page."""
    from app.oversight.api import scoped_filters

    args, errors = _search_args(request.args)
    searched = any(k not in ("page", "per_page") for k in args)
    if choice_arg("format", ("html", "xlsx"), "html") == "xlsx" and searched:
        items, more = search_rows(scoped_filters(args))
        return Response(search_workbook(items, more, today(), STATUS_LABELS), mimetype=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="cylinders-'
                                 f'{today().isoformat()}.xlsx"'})
    page = run_search(scoped_filters(args), args["page"], args["per_page"]) if searched else None
    status = 400 if errors else 200
    return render_template("oversight/search.html", page=page, args=request.args,
                           errors=errors, orgs=_orgs(), statuses=STATUSES, kinds=FLAG_KINDS,
                           state=registry.cylinder_state, fmt=format_code), status


@bp.route("/cylinders/<code>")
@allow("admin", "regulator", "inspector")
def cylinder(code: str) -> str:
    """Show a cylinder's stamped data, state and whole life, with the chain badge."""
    cyl = cylinder_for_oversight(current_user, code)
    steps, chain = timeline(cyl)
    agency = seizure.current_agency(cyl) if cyl.seized_at else None
    return render_template("oversight/cylinder.html", cyl=cyl, steps=steps, chain=chain,
                           state=registry.cylinder_state(cyl), flags=open_flags(cyl),
                           agency=agency, agency_name=registry.org_name(agency) if agency else "",
                           owner=registry.org_name(cyl.owner_org_id), fmt=format_code,
                           today=today(), is_regulator=is_regulator(current_user))


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(N_("%(field)s is not a date."), values={"field": field},
                               code="invalid_date") from exc


ACTIONS = ("seize", "hand_over", "scrap", "cancel", "inspect", "assess")


def _act(action: str, cyl: Any, form: MultiDict) -> None:
    note = (form.get("note") or "").strip()
    event_id = form_event_id(form)
    if action in ("seize", "hand_over", "scrap", "cancel") and not note:
        raise ValidationFailed(N_("Write a note."), code="note_required")
    require_confirmation(action, form)
    if action == "seize":
        seizure.seize_cylinder(current_user, cyl, note=note, order_no=form.get("order_no"),
                               event_id=event_id)
    elif action == "hand_over":
        seizure.hand_to_agency(current_user, cyl, note=note, event_id=event_id)
    elif action == "scrap":
        seizure.scrap_cylinder(current_user, cyl, note=note, event_id=event_id)
    elif action == "cancel":
        seizure.cancel_registration(current_user, cyl, note=note, order_no=form.get("order_no"),
                                    event_id=event_id)
    elif action == "inspect":
        inspections.record_inspection(current_user, cyl, result=form.get("result", ""),
                                      inspected_on=_date(form.get("on"), "on") or today(),
                                      note=note, event_id=event_id)
    else:
        inspections.record_safety_assessment(
            current_user, cyl, result=form.get("result", ""),
            extended_until=_date(form.get("extended_until"), "extended_until"), note=note,
            event_id=event_id)


@bp.route("/cylinders/<code>/act", methods=["POST"])
@allow("admin", "regulator", "inspector")
def act(code: str) -> Response:
    """Do one step on a cylinder from its page (seize, hand over, scrap, cancel, inspect)."""
    cyl = cylinder_for_oversight(current_user, code)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise ValidationFailed(N_("Unknown action."), code="invalid_action")
    try:
        _act(action, cyl, request.form)
    except (APIError, ValueError) as exc:
        db.session.rollback()
        flash(refusal(exc) if isinstance(exc, APIError) else str(exc), "bad")
        return redirect(url_for("oversight.cylinder", code=cyl.code), 303)
    flash(_("Saved."), "ok")
    return redirect(url_for("oversight.cylinder", code=cyl.code), 303)


@bp.route("/blacklist", methods=["GET", "POST"])
@allow("admin", "regulator")
def blacklist_page() -> str | Response:
    """List the product blacklist and add to it."""
    if not is_regulator(current_user):
        raise Forbidden(N_("Only regulators keep the blacklist."), code="regulator_only")
    if request.method == "POST":
        form = request.form
        try:
            if form.get("lift"):
                require_ticked(form, UNCONFIRMED_LIFT)
                blacklist.lift_entry(current_user, int(form["lift"]))
            else:
                made = parse_month(form["made_in"])[0] if form.get("made_in") else None
                blacklist.add_entry(current_user, scope=form.get("scope", ""),
                                    reason=form.get("reason", ""),
                                    manufacturer=form.get("manufacturer"),
                                    model=form.get("model"), made_in=made)
        except (APIError, ValueError) as exc:
            db.session.rollback()
            flash(page_message(exc) if isinstance(exc, APIError) else str(exc), "bad")
        else:
            flash(_("Saved."), "ok")
        return redirect(url_for("oversight.blacklist_page"), 303)
    entries = list(db.session.scalars(select(BlacklistEntry).order_by(
        BlacklistEntry.active.desc(), BlacklistEntry.id.desc())))
    lifting = next((e for e in entries if e.active and e.id == id_arg("lift")), None)
    return render_template("oversight/blacklist.html", entries=entries, lifting=lifting,
                           covered={e.id: blacklist.count_covered(e) for e in entries})


@bp.route("/reports")
@allow("admin", "regulator")
def reports() -> str | Response:
    """Choose a month and a unit; see the numbers and download XLSX or PDF."""
    month = request.args.get("month") or (today().replace(day=1) - dt.timedelta(1)).strftime(
        "%Y-%m")
    org_id, area_id = id_arg("org_id"), id_arg("area_id")  # ?org_id=abc: 400, not the district
    fmt = choice_arg("format", ("html", "xlsx", "pdf"), "html")
    scope = report_scope(current_user, org_id, area_id)
    choice = {"month": month, "org_id": org_id, "area_id": area_id,
              "orgs": _orgs() if is_regulator(current_user) else [], "areas": _areas(),
              "latest": today().strftime("%Y-%m")}
    try:
        report = monthly_report(month, *scope)
    except ValidationFailed as exc:
        if fmt != "html":
            raise
        # a future or mistyped month: the form again with the reason, not a dead-end error page
        return render_template("oversight/reports.html", report=None, error=refusal(exc),
                               error_code=exc.code, **choice), 400
    if fmt in ("xlsx", "pdf"):
        body = report_xlsx(report) if fmt == "xlsx" else report_pdf(report)
        return Response(body, mimetype=XLSX if fmt == "xlsx" else PDF,
                        headers={"Content-Disposition":
                                 f'attachment; filename="monthly-report-{month}.{fmt}"'})
    return render_template("oversight/reports.html", report=report, error=None, **choice)
