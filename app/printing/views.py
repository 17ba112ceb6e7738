"""The print shop's page: pick a batch and template, preview the first sheet, download."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.policy import allow
from app.printing import render, services

bp = Blueprint("printing", __name__, template_folder="templates")
BATCH_STATUS_LABELS = {"issued": _l("Issued"), "assigned": _l("Assigned"),
                       "printed": _l("Printed"), "delivered": _l("Labels delivered")}


@bp.route("/printing")
@allow("printer", "admin", "regulator")
def index() -> str:
    """List the batches this user prints, with template choice, preview and downloads."""
    batches = services.batches_for(current_user)
    jobs = services.jobs_for(current_user)[:20]
    return render_template("printing/index.html", batches=batches, jobs=jobs,
                           templates=services.templates().values(),
                           status_names=BATCH_STATUS_LABELS)


@bp.route("/printing/reprint", methods=["POST"])
@allow("printer", "admin", "regulator")
def reprint() -> Response:
    """Reprint the codes typed into the form, with the reason given."""
    codes = [c for c in request.form.get("codes", "").split() if c.strip()]
    req = services.reprint_codes(current_user, codes, request.form.get("template", ""),
                                 "pdf", request.form.get("reason", ""))
    with render.pdf_file(req, 0) as sheets:  # a spooled temporary file: closed here, not by GC
        resp = Response(sheets.read(), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = "attachment; filename=reprint.pdf"
    return resp
