"""The registry's pages: register a cylinder (建档) from a form, or a file of them.

Both call the services the API calls (`register_cylinder`, `import_cylinders`), under the same
roles, and say the services' refusals in the reader's language by their codes.
"""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from marshmallow import validate
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.auth.models import Organisation
from app.auth.policy import access_for, allow, is_oversight
from app.downloads import XLSX
from app.errors import APIError
from app.extensions import db
from app.traceability import services
from app.traceability.codes import format_code
from app.traceability.import_files import parse_date
from app.traceability.import_template import template_xlsx
from app.traceability.importer import ImportRejected, import_cylinders
from app.traceability.labels import (
    COLUMN_LABELS,
    error_text,
    refusal_text,
    registration_problems,
)
from app.traceability.models import Code, Cylinder
from app.traceability.rule_store import model_specs
from app.traceability.schemas import CylinderIn

bp = Blueprint("registry_pages", __name__, url_prefix="/cylinders",
               template_folder="templates")
ROLES = ("admin", "regulator", "filler")  # as POST /api/v1/cylinders and /cylinders/import
OWNER_KINDS = ("gas_company", "filling_station")  # the units that own cylinders (产权单位)
TEXT_FIELDS = ("code", "serial_no", "manufacturer", "model", "registration_no")
FORM_FIELDS = (*TEXT_FIELDS, "manufactured_on", "last_inspected_on", "design_life_years",
               "owner_org_id")
REQUIRED_FIELDS = ("code", "serial_no", "manufacturer", "model", "manufactured_on")
# the API's length limits, so the form refuses what the API refuses
MAX_LENGTHS = {name: check.max for name, field in CylinderIn().fields.items()
               for check in field.validators
               if isinstance(check, validate.Length) and check.max is not None}
SHOWN_ERRORS = 500  # a file of bad rows lists the first ones; the count says how many


def _owners() -> list[Organisation]:
    """Whom a regulator or platform admin may register for; others register for their own."""
    if not is_oversight(current_user):
        return []
    return list(db.session.scalars(select(Organisation).where(
        Organisation.kind.in_(OWNER_KINDS)).order_by(Organisation.kind, Organisation.name)))


def _read_form(form: MultiDict) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The form as typed (to show back), as the registration's values, and what is wrong."""
    values = {key: (form.get(key) or "").strip() for key in FORM_FIELDS}
    errors: dict[str, str] = {}
    for key in REQUIRED_FIELDS:
        if not values[key]:
            errors[key] = error_text("required")
    for key, limit in MAX_LENGTHS.items():
        if len(values.get(key, "")) > limit:
            errors.setdefault(key, _("At most %(n)s characters.", n=limit))
    body: dict[str, Any] = {key: values[key] or None for key in TEXT_FIELDS}
    for key in ("manufactured_on", "last_inspected_on"):
        body[key] = None
        if values[key] and key not in errors:
            try:  # the stamp gives a month: 2023-05 (a month input) is its first day
                body[key] = parse_date(values[key])
            except ValueError:
                errors[key] = error_text("invalid_date")
    life = values["design_life_years"]
    body["design_life_years"] = int(life) if life.isascii() and life.isdigit() else None
    if life and body["design_life_years"] is None:
        errors["design_life_years"] = error_text("invalid_number")
    body["owner_org_id"] = current_user.org_id
    if is_oversight(current_user):
        owners = {str(org.id): org.id for org in _owners()}
        body["owner_org_id"] = owners.get(values["owner_org_id"])
        if body["owner_org_id"] is None:
            errors["owner_org_id"] = _("Choose the owner.")
    return values, body, errors


def _registered_message(code: str) -> str:
    """Say which code was registered, with a link to its page where the role may open it."""
    text = _("Cylinder %(code)s registered.", code=format_code(code))
    page = access_for(current_app, "oversight.cylinder")
    if page is None or not page.admits(current_user.role):
        return text
    return Markup('{} <a href="{}" data-testid="registered-link">{}</a>').format(
        text, url_for("oversight.cylinder", code=code), _("Open its page"))


def _date_warning(cyl: Cylinder) -> str | None:
    """A cylinder registered already past a date the interlock checks: the clerk hears it now,
    not the filler at the scale (a 1990 cylinder was registered with a plain "registered")."""
    state = services.cylinder_state(cyl)
    if state.status == "beyond_service_life":
        return _("Its service life ended on %(day)s: filling will refuse it; it is due for "
                 "scrapping.", day=state.service_life_ends.isoformat())
    if state.status == "inspection_overdue":
        return _("Its periodic inspection was due on %(day)s: filling will refuse it until it "
                 "is inspected.", day=state.next_inspection_due.isoformat())
    return None


def _unused_codes() -> int | None:
    """How many of the organisation's codes wait for a cylinder (not for oversight)."""
    if is_oversight(current_user):
        return None
    return db.session.scalar(select(func.count()).select_from(Code).where(
        Code.owner_org_id == current_user.org_id, Code.status == "issued"))


@bp.route("/new", methods=["GET", "POST"])
@allow(*ROLES)
def register() -> Response | tuple[str, int]:
    """Register one cylinder: its code (typed or scanned) and its stamped data."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, body, errors = _read_form(request.form)
        if not errors:
            try:
                cyl = services.register_cylinder(current_user,
                                                 services.registration_from(body))
            except APIError as exc:  # refused: nothing written, the form comes back filled
                db.session.rollback()
                errors = registration_problems(exc)
            else:
                flash(_registered_message(cyl.code), "ok")
                warning = _date_warning(cyl)
                if warning:
                    flash(warning, "warn")
                return redirect(url_for(".register"), 303)
    general = errors.pop("", None)
    return render_template(
        "traceability/register.html", values=values, errors=errors, general=general,
        specs=sorted(model_specs().values(), key=lambda s: s.model), owners=_owners(),
        labels=COLUMN_LABELS, lengths=MAX_LENGTHS, unused=_unused_codes(),
    ), 400 if errors or general else 200


def _outcome(kind: str, report: dict[str, Any]) -> dict[str, Any]:
    """An import's report as the page shows it: counts and the first rows' errors."""
    errors = report.get("errors", [])
    return {"kind": kind, "rows": report.get("rows", 0), "imported": report.get("imported", 0),
            "bad_rows": len({e["line"] for e in errors}), "errors": errors[:SHOWN_ERRORS],
            "more": max(0, len(errors) - SHOWN_ERRORS)}


def _run_import(check: bool, skip_invalid: bool) -> dict[str, Any] | None:
    """Check or import the uploaded file; None when every row was imported."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return {"kind": "problem", "message": error_text("file_required")}
    try:  # a check reports every row and writes nothing: a dry run that keeps going
        report = import_cylinders(current_user, upload.read(), upload.filename,
                                  skip_invalid=check or skip_invalid, dry_run=check,
                                  max_rows=current_app.config["IMPORT_MAX_ROWS"])
    except ImportRejected as exc:
        db.session.rollback()
        return _outcome("rejected", exc.details or {})
    except APIError as exc:
        db.session.rollback()
        return {"kind": "problem", "message": refusal_text(exc)}
    if check:
        db.session.rollback()
        return _outcome("checked", report.to_dict())
    if report.errors:
        return _outcome("imported", report.to_dict())
    flash(_("%(n)s cylinders imported.", n=report.imported), "ok")
    return None


@bp.route("/import", methods=["GET", "POST"])
@allow(*ROLES)
def import_page() -> Response | tuple[str, int]:
    """Check a CSV or XLSX file of cylinders row by row, or import it."""
    result = None
    if request.method == "POST":
        result = _run_import(request.form.get("action") != "import",
                             request.form.get("skip_invalid") == "on")
        if result is None:
            return redirect(url_for(".import_page"), 303)
    failed = result is not None and result["kind"] in ("problem", "rejected")
    return render_template(
        "traceability/import.html", result=result, labels=COLUMN_LABELS,
        error_text=error_text, org=None if is_oversight(current_user) else current_user.org,
        skip_invalid=request.form.get("skip_invalid") == "on",
    ), 400 if failed else 200


@bp.route("/import/template.xlsx")
@allow(*ROLES)
def import_template() -> Response:
    """The template to fill: the header row the importer reads, and an example row."""
    owner = current_user.org.name
    if is_oversight(current_user):
        owner = next((org.name for org in _owners() if org.kind == "gas_company"), "")
    return Response(template_xlsx(owner), mimetype=XLSX, headers={
        "Content-Disposition": 'attachment; filename="cylinder-import-template.xlsx"'})
