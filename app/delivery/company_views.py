"""The gas company's pages: vehicles, areas on an SVG map, assignments, customers, ledger.

Forms post back to the page, go through the same schemas and services as the API, and show
the service's refusal in the page instead of an error document.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth.models import User
from app.auth.policy import allow
from app.clock import today
from app.delivery import assignment_edit, fleet, fleet_edit, geo, safety
from app.delivery.customer_labels import CUSTOMER_KIND_LABELS, PREMISES_LABELS
from app.delivery.errors import Refused
from app.delivery.form_words import field_problem
from app.delivery.ledger_export import label_counts, ledger_rows
from app.delivery.ledger_labels import STATUS_LABELS, item_choices
from app.delivery.models import Assignment, Customer, DeliveryArea, Vehicle
from app.delivery.rules import CUSTOMER_KINDS, PREMISES
from app.delivery.schemas import (
    AreaEdit,
    AssignmentEdit,
    AssignmentEnd,
    AssignmentIn,
    CertificateIn,
    CustomerEdit,
    CustomerIn,
    LedgerQuery,
    VehicleEdit,
    VehicleIn,
)
from app.delivery.services import delivery_rules
from app.errors import N_, APIError, BadParameter, Forbidden, page_message
from app.extensions import db

bp = Blueprint("company_pages", __name__, template_folder="templates", url_prefix="/company")


@bp.context_processor
def customer_labels() -> dict[str, Any]:
    return {"kind_labels": CUSTOMER_KIND_LABELS, "premises_labels": PREMISES_LABELS}


def _company() -> int:
    """These pages belong to a gas company's administrator."""
    if current_user.org.kind != "gas_company":
        raise Forbidden(N_("These pages belong to a gas company's administrator."))
    return current_user.org_id


# A flash travels in the session cookie (4 KB at most in browsers): a form posted with 1,500
# unknown fields, or an outline of 300 'nan' points, listed them all and outgrew it.
SHOWN_FIELDS, SHOWN_CHARS = 5, 200


def _field_problems(messages: dict[str, Any]) -> str:
    """The schema's refusal, field by field, cut to what a flash can carry."""
    shown = [field_problem(k, v, SHOWN_CHARS) for k, v in list(messages.items())[:SHOWN_FIELDS]]
    more = len(messages) - SHOWN_FIELDS
    return "; ".join(shown + ([_("%(n)s more", n=more)] if more > 0 else []))


def _attempt(action: Callable[[], Any], done: str | None) -> bool:
    """Run a service call and say what happened: the refusal in the page, not an error page."""
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        flash(_("Please correct: %(fields)s", fields=_field_problems(exc.messages)), "bad")
    except Refused as exc:
        db.session.rollback()
        flash("；".join(r.message for r in exc.reasons), "bad")
    except APIError as exc:
        db.session.rollback()
        flash(page_message(exc), "bad")
    else:
        if done:
            flash(done, "ok")
        return True
    return False


def _submit(schema: Schema, action: Callable[[dict], Any], done: str,
            drop: tuple[str, ...] = (), extra: dict[str, Any] | None = None) -> bool:
    """Validate a form with the API's schema and run the service."""
    form: dict[str, Any] = {k: v for k, v in request.form.items()
                            if k not in ("csrf_token", "form", *drop) and v != ""}
    for key, value in form.items():
        if key.endswith("_id") and value.isascii() and value.isdigit():
            form[key] = int(value)  # the API's ids are strict integers
    form.update(extra or {})
    return _attempt(lambda: action(schema.load(form)), done)


def _form_page(template: str, **context: Any) -> tuple[str, int]:
    """The page again after a POST: a refused form comes back as typed (400), since the
    redirect that follows a saved one used to empty the form a refusal had just named."""
    refused = request.method == "POST"
    return render_template(template, kept=request.form if refused else None,
                           **context), 400 if refused else 200


@bp.route("/vehicles", methods=["GET", "POST"])
@allow("admin")
def vehicles() -> tuple[str, int] | Response:
    """List and register vehicles with their transport permits."""
    org_id = _company()
    if request.method == "POST" and _submit(VehicleIn(), lambda b: fleet.register_vehicle(
            current_user, b["plate"], b["permit_no"], b["permit_expires_on"]),
            _("Vehicle registered.")):
        return redirect(url_for(".vehicles"))
    rows = db.session.scalars(select(Vehicle).where(Vehicle.org_id == org_id)
                              .order_by(Vehicle.active.desc(), Vehicle.plate))
    return _form_page("delivery/vehicles.html", vehicles=list(rows), on=today())


def _parse_outline(text: str) -> list[list[float]]:
    points = []
    for line in text.replace(";", "\n").splitlines():
        parts = line.replace(",", " ").split()
        if len(parts) == 2:
            try:
                points.append([float(parts[0]), float(parts[1])])
            except ValueError:
                continue
    return points


def _map(org_id: int) -> dict[str, Any]:
    areas = fleet.areas_of(org_id)
    customers = list(db.session.scalars(select(Customer).where(Customer.org_id == org_id,
                                                              Customer.active.is_(True))))
    positions = [(lon, lat) for a in areas for lon, lat in a.polygon]
    positions += [(c.lon, c.lat) for c in customers]
    view = geo.viewport_for(positions)
    return {"view": view, "areas": [(a, view.points(a.polygon)) for a in areas],
            "points": [(c, *view.xy(c.lon, c.lat)) for c in customers]}


@bp.route("/areas", methods=["GET", "POST"])
@allow("admin")
def areas() -> tuple[str, int] | Response:
    """Draw fixed delivery areas and see them with the customers on a plain SVG map."""
    org_id = _company()
    if request.method == "POST":
        outline = _parse_outline(request.form.get("outline", ""))
        if _attempt(lambda: fleet.create_area(current_user, request.form.get("name", ""),
                                              outline), _("Area saved.")):
            return redirect(url_for(".areas"))
    retired = [a for a in fleet.areas_of(org_id, everyone=True) if not a.active]
    return _form_page("delivery/areas.html", retired=retired, **_map(org_id))


@bp.route("/assignments", methods=["GET", "POST"])
@allow("admin")
def assignments() -> tuple[str, int] | Response:
    """Bind drivers to vehicles and areas; keep drivers' certificates."""
    org_id = _company()
    if request.method == "POST" and request.form.get("form") == "certificate":
        driver_id = request.form.get("driver_id", type=int) or 0
        _submit(CertificateIn(), lambda b: fleet.set_certificate(
            current_user, driver_id, b["certificate_no"], b["certificate_expires_on"]),
            _("Certificate saved."), drop=("driver_id",))
        return redirect(url_for(".assignments"))
    if request.method == "POST" and request.form.get("form") == "end":
        assignment_id = request.form.get("assignment_id", type=int) or 0
        _submit(AssignmentEnd(), lambda b: assignment_edit.end_assignment(
            current_user, assignment_id, **b), _("Assignment ended."), drop=("assignment_id",))
        return redirect(url_for(".assignments"))
    if request.method == "POST" and _submit(
            AssignmentIn(), lambda b: fleet.create_assignment(current_user, **b),
            _("Assignment saved.")):
        return redirect(url_for(".assignments"))
    rows = db.session.execute(
        select(Assignment, User, Vehicle, DeliveryArea)
        .join(User, User.id == Assignment.driver_id)
        .join(Vehicle, Vehicle.id == Assignment.vehicle_id)
        .join(DeliveryArea, DeliveryArea.id == Assignment.area_id)
        .where(Assignment.org_id == org_id).order_by(Assignment.starts_on.desc()).limit(300)).all()
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.org_id == org_id,
                                                        Vehicle.active.is_(True))
                                  .order_by(Vehicle.plate))
    return _form_page("delivery/assignments.html", rows=rows,
                      drivers=fleet.drivers_of(org_id), vehicles=list(vehicles),
                      areas=fleet.areas_of(org_id), on=today())


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@allow("admin")
def edit_assignment(assignment_id: int) -> str | Response:
    """Change or delete an assignment that has not started (a started one is only ended)."""
    org_id = _company()
    assignment = fleet_edit.own(current_user, Assignment, assignment_id)  # another's: 404
    here = url_for(".edit_assignment", assignment_id=assignment_id)
    action = request.form.get("form") if request.method == "POST" else None
    if action == "edit":
        _submit(AssignmentEdit(), lambda b: assignment_edit.update_assignment(
            current_user, assignment_id, b), _("Saved."))
        return redirect(here)
    if action == "delete":
        if _attempt(lambda: assignment_edit.delete_assignment(current_user, assignment_id),
                    _("Assignment deleted.")):
            return redirect(url_for(".assignments"))
        return redirect(here)
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.org_id == org_id)
                                  .order_by(Vehicle.active.desc(), Vehicle.plate))
    return render_template(
        "delivery/assignment_edit.html", a=assignment, vehicles=list(vehicles),
        driver=db.session.get(User, assignment.driver_id),
        areas=fleet.areas_of(org_id, everyone=True),
        started=assignment_edit.started(assignment))


@bp.route("/customers", methods=["GET", "POST"])
@allow("admin")
def customers() -> tuple[str, int] | Response:
    """Register customers by real name with the facts the rules need."""
    org_id = _company()
    if request.method == "POST" and _submit(CustomerIn(), lambda b: fleet.register_customer(
            current_user, fleet.CustomerData(**b)), _("Customer registered.")):
        return redirect(url_for(".customers"))
    rows = db.session.scalars(select(Customer).where(Customer.org_id == org_id)
                              .order_by(Customer.active.desc(), Customer.id.desc()).limit(500))
    area_names = {a.id: a.name for a in fleet.areas_of(org_id, everyone=True)}
    return _form_page("delivery/customers.html", customers=list(rows), areas=area_names,
                      kinds=CUSTOMER_KINDS, premises=PREMISES)


@bp.route("/hazards", methods=["GET", "POST"])
@allow("admin", "regulator")
def hazards() -> str | Response:
    """The hazard ledger: filters, counts by area, driver and item, rectify, verify, export."""
    if not safety.is_oversight(current_user):
        _company()
    if request.method == "POST":
        hazard_id = request.form.get("hazard_id", type=int) or 0
        try:
            if request.form.get("action") == "rectify":
                safety.rectify_hazard(current_user, hazard_id, request.form.get("evidence", ""))
                flash(_("Rectification recorded."), "ok")
            else:
                safety.verify_hazard(current_user, hazard_id, request.form.get("note"))
                flash(_("Hazard verified and closed."), "ok")
        except APIError as exc:
            db.session.rollback()
            flash(page_message(exc), "bad")
        return redirect(request.full_path if request.query_string else url_for(".hazards"))
    args = {k: v for k, v in request.args.items() if v != ""}
    try:  # a bad filter is refused, not dropped (the whole ledger looked like its answer)
        query = LedgerQuery().load(args, unknown=EXCLUDE)
    except ValidationError as exc:
        raise BadParameter(sorted(exc.messages)[0], details=exc.messages) from exc
    f = safety.LedgerFilter(**{k: v for k, v in query.items()
                               if k in safety.LedgerFilter.__dataclass_fields__})
    rules = delivery_rules()
    items = list(db.session.scalars(safety.hazard_query(current_user, f).limit(300)))
    counts = label_counts(safety.hazard_counts(current_user, f), rules)
    org_id = safety.ledger_org(current_user, f.org_id)
    drivers = fleet.drivers_of(org_id) if org_id else []
    return render_template(
        "delivery/hazards.html", rows=ledger_rows(items, rules, today()),
        counts=counts,
        args=args, areas=fleet.areas_of(org_id, everyone=True) if org_id else [], drivers=drivers,
        items=item_choices(rules), statuses=STATUS_LABELS,
        # the filters as chosen: the filter form sends every box, and the API refuses `area_id=`
        export_query=urlencode(args), may_rectify=safety.may_rectify(current_user))


EDITABLE: dict[str, tuple[type, Schema, Callable[..., Any], Callable[..., bool]]] = {
    "vehicles": (Vehicle, VehicleEdit(), fleet_edit.update_vehicle, fleet_edit.retire_vehicle),
    "areas": (DeliveryArea, AreaEdit(), fleet_edit.update_area, fleet_edit.retire_area),
    "customers": (Customer, CustomerEdit(), fleet_edit.update_customer,
                  fleet_edit.retire_customer),
}
ID_OF = {"vehicles": "vehicle_id", "areas": "area_id", "customers": "customer_id"}


@bp.route("/vehicles/<int:vehicle_id>", methods=["GET", "POST"])
@bp.route("/areas/<int:area_id>", methods=["GET", "POST"])
@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
@allow("admin")
def edit(**ids: int) -> tuple[str, int] | Response:
    """Correct a vehicle, area or customer, take it out of use, or bring it back."""
    _company()
    kind = next(k for k, key in ID_OF.items() if key in ids)
    obj_id = ids[ID_OF[kind]]
    model, schema, update, retire = EDITABLE[kind]
    obj = fleet_edit.own(current_user, model, obj_id)  # another company's: 404
    here, listing = url_for(".edit", **ids), url_for(f".{kind}")
    action = request.form.get("form") if request.method == "POST" else None
    if action == "edit":
        extra, drop = {}, ()
        if kind == "areas":
            extra, drop = {"polygon": _parse_outline(request.form.get("outline", ""))}, ("outline",)
        if _submit(schema, lambda b: update(current_user, obj_id, b), _("Saved."), drop, extra):
            return redirect(here)
    if action == "reactivate":
        _attempt(lambda: update(current_user, obj_id, {"active": True}), _("Back in use."))
        return redirect(here)
    if action == "retire":
        deleted: list[bool] = []
        if _attempt(lambda: deleted.append(retire(current_user, obj_id)), None):
            flash(_("Deleted: it was never used.") if deleted[0] else
                  _("Deactivated; its history is kept."), "ok")
            return redirect(listing if deleted[0] else here)
        return redirect(here)
    return _form_page("delivery/edit.html", kind=kind, obj=obj, listing=listing,
                      kinds=CUSTOMER_KINDS, premises=PREMISES, on=today())
