"""The print shop's page: pick a batch and template, preview the first sheet, download."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.policy import allow
from app.database import writes
from app.downloads import PDF, ZPL
from app.errors import APIError, NotFound, page_message
from app.extensions import db
from app.printing import render, services

bp = Blueprint("printing", __name__, template_folder="templates")
BATCH_STATUS_LABELS = {"issued": _l("Issued"), "assigned": _l("Assigned"),
                       "printed": _l("Printed"), "delivered": _l("Labels delivered")}
PAGE_ZPL_DPI = 203  # the page's ZPL button; the API also offers 300 dpi


def _page(status: int = 200, **form: object) -> tuple[str, int]:
    """The page, with `errors` (by batch id, or "reprint") and what was chosen or typed."""
    return render_template("printing/index.html", batches=services.batches_for(current_user),
                           jobs=services.jobs_for(current_user)[:20],
                           templates=services.templates().values(),
                           status_names=BATCH_STATUS_LABELS,
                           **{"errors": {}, "chosen": {}, "reprint_form": {}, **form}), status


def _refused(exc: APIError) -> str:
    db.session.rollback()
    return page_message(exc)


@bp.route("/printing")
@allow("printer", "admin", "regulator")
def index() -> tuple[str, int]:
    """List the batches this user prints, with template choice, preview and downloads."""
    return _page()


def _skip(text: str) -> int:
    """The typed number of used cells; anything else is -1, which the service refuses."""
    text = text.strip() or "0"
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else -1


@bp.route("/printing/<int:batch_id>/labels")
@allow("printer", "admin", "regulator")
@writes
def download(batch_id: int) -> Response | tuple[str, int]:
    """Download a batch's sheets as PDF or ZPL with the template and reason chosen.

    The page's forms used to open the API's URLs, so a refusal (a second download without a
    reason) showed the print shop a JSON document; it is now said beside the batch.
    """
    args: Mapping[str, str] = request.args
    fmt = "zpl" if args.get("format") == "zpl" else "pdf"
    skip = _skip(args.get("skip", "")) if fmt == "pdf" else 0
    try:
        req = services.print_batch(current_user, batch_id,
                                   args.get("template") or services.DEFAULT_TEMPLATE, fmt, skip,
                                   args.get("reason"))
    except NotFound:
        raise  # another shop's batch is answered as a missing one
    except APIError as exc:
        return _page(exc.status, errors={batch_id: _refused(exc)}, chosen={batch_id: args})
    if fmt == "zpl":
        sheets, mimetype = render.zpl_file(req, PAGE_ZPL_DPI), ZPL
        name = f"batch-{batch_id}-{PAGE_ZPL_DPI}dpi.zpl"
    else:
        sheets, mimetype = render.pdf_file(req, skip), PDF
        name = f"batch-{batch_id}-{req.template.name}.pdf"
    with sheets:  # a spooled temporary file: closed here, not by GC
        resp = Response(sheets.read(), mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename={name}"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/printing/reprint", methods=["POST"])
@allow("printer", "admin", "regulator")
def reprint() -> Response | tuple[str, int]:
    """Reprint the codes typed into the form, with the reason given; a refusal is said in the
    form, with what was typed kept."""
    codes = [c for c in request.form.get("codes", "").split() if c.strip()]
    try:
        req = services.reprint_codes(current_user, codes, request.form.get("template", ""),
                                     "pdf", request.form.get("reason", ""))
    except APIError as exc:
        return _page(exc.status, errors={"reprint": _refused(exc)}, reprint_form=request.form)
    with render.pdf_file(req, 0) as sheets:  # a spooled temporary file: closed here, not by GC
        resp = Response(sheets.read(), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = "attachment; filename=reprint.pdf"
    return resp
