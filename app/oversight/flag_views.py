"""The flags dashboard page and its work queue (flags and the public's reports)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.policy import allow
from app.errors import N_, APIError, Forbidden, page_message
from app.extensions import db
from app.oversight.dashboard import dashboard, open_reports, queue_evidence, work_queue
from app.oversight.labels import FLAG_KIND_LABELS
from app.oversight.public import REPORT_CATEGORIES, close_report
from app.oversight.reports.charts import trend_svg
from app.oversight.schemas import FLAG_KINDS
from app.oversight.services import is_regulator, org_names
from app.query_args import choice_arg, id_arg
from app.traceability.codes import format_code
from app.traceability.flags import resolve_flag
from app.traceability.models import Cylinder

bp = Blueprint("oversight_flags", __name__, url_prefix="/oversight",
               template_folder="templates")


def _regulators_only() -> None:
    if not is_regulator(current_user):
        raise Forbidden(N_("Only regulators work the flag queue."), code="regulator_only")


@bp.route("/flags")
@allow("admin", "regulator")
def flags() -> str:
    """Show open flags by kind, station, company and area, their trend, and the work queue."""
    _regulators_only()
    kind, area_id, cylinder_id = choice_arg("kind", FLAG_KINDS), id_arg("area_id"), id_arg(
        "cylinder_id")
    d = dashboard()
    queue = work_queue(kind, area_id, cylinder_id=cylinder_id)
    reports = open_reports()
    codes = {c.id: c.code for c in db.session.query(Cylinder).filter(Cylinder.id.in_(
        {f.cylinder_id for f in queue if f.cylinder_id}
        | {r.cylinder_id for r in reports if r.cylinder_id}))}
    chart = trend_svg(d.days, d.trend, {k: str(v) for k, v in FLAG_KIND_LABELS.items()})
    cylinder = db.session.get(Cylinder, cylinder_id) if cylinder_id else None
    return render_template("oversight/flags.html", d=d, queue=queue, kind=kind, chart=chart,
                           area_id=area_id, cylinder=cylinder, fmt=format_code,
                           area={a: n for a, n, _n in d.by_area}.get(area_id),
                           labels=FLAG_KIND_LABELS, codes=codes, evidence=queue_evidence(queue),
                           orgs=org_names({f.org_id for f in queue}), reports=reports,
                           categories=REPORT_CATEGORIES)


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@allow("admin", "regulator")
def resolve(flag_id: int) -> Response:
    """Resolve a flag with a note, from the work queue."""
    _regulators_only()
    try:
        resolve_flag(current_user, flag_id, request.form.get("note", ""))
    except APIError as exc:
        db.session.rollback()
        flash(page_message(exc), "bad")
    else:
        flash(_("Flag resolved."), "ok")
    back = {k: request.form.get(k) or None for k in ("kind", "area_id", "cylinder_id")}
    return redirect(url_for("oversight_flags.flags", **back), 303)


@bp.route("/public-reports/<int:report_id>/close", methods=["POST"])
@allow("admin", "regulator")
def close(report_id: int) -> Response:
    """Close a public report with a note."""
    _regulators_only()  # before, a station's admin got a redirect, not a refusal
    try:
        close_report(current_user, report_id, request.form.get("note", ""))
    except APIError as exc:
        db.session.rollback()
        flash(page_message(exc), "bad")
    else:
        flash(_("Report closed."), "ok")
    return redirect(url_for("oversight_flags.flags") + "#reports", 303)
