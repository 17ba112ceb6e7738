"""JSON and file API for print shops: batches, label sheets, ZPL, reprints, the audit."""
from __future__ import annotations

import io

from flask import Response, send_file
from flask_login import current_user
from flask_smorest import Blueprint

from app.auth.policy import allow
from app.database import writes
from app.downloads import PDF, PNG, SVG, ZPL, file_response
from app.errors import ValidationFailed
from app.printing import render, services
from app.printing.schemas import (
    AssignIn,
    LabelQuery,
    PrintBatchOut,
    PrintJobOut,
    ReprintIn,
    StatusIn,
    TemplateOut,
)

blp = Blueprint("printing_api", __name__, url_prefix="/api/v1", description="Label production")
PRINT_ROLES = ("printer", "admin", "regulator")


def _batch(batch: object) -> dict:
    return {k: getattr(batch, k) for k in ("id", "owner_org_id", "printer_org_id", "count",
                                           "status")} | {"created_at": batch.created_at.isoformat()}


def _download(data: object, mimetype: str, name: str) -> Response:
    if isinstance(data, bytes):
        data = io.BytesIO(data)
    resp = send_file(data, mimetype=mimetype, as_attachment=True, download_name=name)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/code-batches", methods=["GET"])
@allow(*PRINT_ROLES)
@blp.response(200, PrintBatchOut(many=True))
def list_batches() -> list:
    """List batches: a print shop sees only the batches assigned to it."""
    return [_batch(b) for b in services.batches_for(current_user)]


@blp.route("/code-batches/<int:batch_id>/assign", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(AssignIn)
@blp.response(200, PrintBatchOut)
def assign(body: dict, batch_id: int) -> dict:
    """Assign a batch to a print shop."""
    return _batch(services.assign_batch(current_user, batch_id, body["printer_org_id"]))


@blp.route("/code-batches/<int:batch_id>/status", methods=["POST"])
@allow("printer", "admin", "regulator")
@blp.arguments(StatusIn)
@blp.response(200, PrintBatchOut)
def set_status(body: dict, batch_id: int) -> dict:
    """Mark a batch printed or delivered."""
    return _batch(services.set_batch_status(current_user, batch_id, body["status"]))


@blp.route("/label-templates", methods=["GET"])
@allow(*PRINT_ROLES)
@blp.response(200, TemplateOut(many=True))
def list_templates() -> list:
    """List sheet templates (shipped presets and ones added under instance/label-templates)."""
    return [{"name": t.name, "title": t.title, "per_page": t.per_page,
             "label_width": t.label_width, "label_height": t.label_height}
            for t in services.templates().values()]


@blp.route("/code-batches/<int:batch_id>/labels.pdf", methods=["GET"])
@allow(*PRINT_ROLES)
@writes
@blp.arguments(LabelQuery, location="query")
@file_response(blp, PDF, description="The batch's label sheets as a PDF")
def batch_pdf(query: dict, batch_id: int) -> Response:
    """Download a batch's label sheets as a vector PDF (recorded; reprints need a reason)."""
    req = services.print_batch(current_user, batch_id, query["template"], "pdf",
                               query["skip"], query["reason"])
    return _download(render.pdf_file(req, query["skip"]), PDF,
                     f"batch-{batch_id}-{req.template.name}.pdf")


@blp.route("/code-batches/<int:batch_id>/labels.zpl", methods=["GET"])
@allow(*PRINT_ROLES)
@writes
@blp.arguments(LabelQuery, location="query")
@file_response(blp, ZPL, description="The batch as ZPL II, UTF-8")
def batch_zpl(query: dict, batch_id: int) -> Response:
    """Download a batch as ZPL II for thermal printers, one label per code."""
    req = services.print_batch(current_user, batch_id, query["template"], "zpl",
                               0, query["reason"])
    return _download(render.zpl_file(req, query["dpi"]), ZPL,
                     f"batch-{batch_id}-{query['dpi']}dpi.zpl")


@blp.route("/code-batches/<int:batch_id>/preview.png", methods=["GET"])
@allow(*PRINT_ROLES)
@writes
@blp.arguments(LabelQuery, location="query")
@file_response(blp, PNG, description="The first sheet as a PNG")
def batch_preview(query: dict, batch_id: int) -> Response:
    """Show the first sheet as a small PNG (recorded as a preview, not as printed)."""
    req = services.print_batch(current_user, batch_id, query["template"], "preview",
                               query["skip"])
    resp = Response(render.preview_png(req, query["skip"]), mimetype=PNG)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/codes/<code>/label.<fmt>", methods=["GET"])
@allow(*PRINT_ROLES)
@writes
@blp.arguments(LabelQuery, location="query")
@file_response(blp, PNG, SVG, description="The label as PNG (.png) or SVG (.svg)")
def single_label(query: dict, code: str, fmt: str) -> Response:
    """Download one label as PNG or SVG artwork (a reprint, with its reason, if printed
    before)."""
    if fmt not in ("png", "svg"):
        raise ValidationFailed("Label artwork comes as .png or .svg.", code="unsupported_format")
    req = services.label_artwork(current_user, code, query["template"], fmt, query["reason"])
    mimetype = PNG if fmt == "png" else SVG
    return _download(render.single_label(req, fmt), mimetype, f"{req.labels[0].code}.{fmt}")


@blp.route("/labels/reprint", methods=["POST"])
@allow(*PRINT_ROLES)
@blp.arguments(ReprintIn)
@file_response(blp, PDF, ZPL, description="The labels as PDF, or ZPL II (format=zpl)")
def reprint(body: dict) -> Response:
    """Reprint a hand-picked list of codes, with a reason regulators can see."""
    req = services.reprint_codes(current_user, body["codes"], body["template"], body["format"],
                                 body["reason"], body["skip"])
    if body["format"] == "zpl":
        return _download(render.zpl_file(req, body["dpi"]), ZPL,
                         "reprint.zpl")
    return _download(render.pdf_file(req, body["skip"]), PDF, "reprint.pdf")


@blp.route("/print-jobs", methods=["GET"])
@allow(*PRINT_ROLES)
@blp.response(200, PrintJobOut(many=True))
def list_jobs() -> list:
    """List print jobs: who printed which codes, when, with which template, and why."""
    return [j.to_dict() for j in services.jobs_for(current_user)]
