"""JSON API of the registry: code batches, cylinders, history, import, rules and their
changes, flags."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.policy import allow, is_oversight
from app.errors import N_, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.query_args import choice_arg, id_arg
from app.traceability import flags, services
from app.traceability.events import cylinder_events, event_to_dict, verify_events
from app.traceability.importer import import_cylinders
from app.traceability.models import CodeBatch, ModelSpecRow
from app.traceability.rule_changes import change_model_rule, model_history
from app.traceability.schemas import (
    CodeBatchIn,
    CodeBatchOut,
    CylinderIn,
    CylinderOut,
    FlagFullOut,
    FlagResolveIn,
    HistoryOut,
    ImportQuery,
    ImportReportOut,
    ModelSpecIn,
    ModelSpecOut,
    RuleChangeOut,
)

blp = Blueprint("registry_api", __name__, url_prefix="/api/v1",
                description="Codes, cylinders and their history")


def _batch_dict(batch: CodeBatch, with_codes: bool = True) -> dict:
    out = {"id": batch.id, "owner_org_id": batch.owner_org_id, "count": batch.count,
           "status": batch.status, "created_at": batch.created_at.isoformat()}
    if with_codes:
        out["codes"] = [services.code_entry(c) for c in services.batch_codes(batch)]
    return out


@blp.route("/code-batches", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(CodeBatchIn)
@blp.response(201, CodeBatchOut)
def create_code_batch(body: dict) -> dict:
    """Issue a batch of unguessable codes for an owning organisation."""
    batch = services.issue_codes(current_user, body["owner_org_id"], body["count"])
    return _batch_dict(batch)


@blp.route("/code-batches/<int:batch_id>", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, CodeBatchOut)
def get_code_batch(batch_id: int) -> dict:
    """Show a batch and its codes."""
    batch = db.session.get(CodeBatch, batch_id)
    if batch is None or not (is_oversight(current_user)
                             or batch.owner_org_id == current_user.org_id):
        raise NotFound(N_("No code batch %(id)s."), values={"id": batch_id})
    return _batch_dict(batch)


@blp.route("/cylinders", methods=["POST"])
@allow("admin", "regulator", "filler")
@blp.arguments(CylinderIn)
@blp.response(201, CylinderOut)
def register_cylinder(body: dict) -> dict:
    """Register a cylinder (建档): bind an issued code to its stamped data."""
    reg = services.registration_from(body)
    return services.cylinder_to_dict(services.register_cylinder(current_user, reg))


@blp.route("/cylinders/<code>", methods=["GET"])
@allow("admin", "regulator", "filler", "driver", "inspector")
@blp.response(200, CylinderOut)
def get_cylinder(code: str) -> dict:
    """Show a cylinder with its derived state and open flags."""
    return services.cylinder_to_dict(services.get_cylinder_for(current_user, code))


@blp.route("/cylinders/<code>/history", methods=["GET"])
@allow("admin", "regulator", "filler", "driver", "inspector")
@blp.response(200, HistoryOut)
def cylinder_history(code: str) -> dict:
    """Show every event of a cylinder and whether its hash chain verifies."""
    cyl = services.get_cylinder_for(current_user, code)
    events = cylinder_events(cyl.id)
    report = verify_events(cyl, events)
    return {"code": cyl.code, "events": [event_to_dict(e) for e in events],
            "chain_ok": report.ok, "chain_problems": list(report.problems)}


@blp.route("/cylinders/import", methods=["POST"])
@allow("admin", "regulator", "filler")
@blp.arguments(ImportQuery, location="query")
@blp.response(201, ImportReportOut)
def import_file(query: dict) -> dict:
    """Import cylinders from a CSV or XLSX file (multipart field `file`)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(N_("Send the file as multipart field 'file'."),
                               code="file_required")
    report = import_cylinders(current_user, upload.read(), upload.filename,
                              skip_invalid=query["skip_invalid"], dry_run=query["dry_run"],
                              max_rows=current_app.config["IMPORT_MAX_ROWS"])
    return report.to_dict()


@blp.route("/rules/models", methods=["GET"])
@allow("any")
@blp.response(200, ModelSpecOut(many=True))
def list_model_rules() -> list:
    """Show the rule table per model, with sources."""
    return list(db.session.scalars(select(ModelSpecRow).order_by(ModelSpecRow.model)))


@blp.route("/rules/models/<model>", methods=["PUT"])
@allow("admin", "regulator")
@blp.arguments(ModelSpecIn)
@blp.response(200, ModelSpecOut)
def put_model_rule(body: dict, model: str) -> ModelSpecRow:
    """Change or add a model's rules (regulators and platform admins; takes effect at once).

    Each change is recorded with who made it, when, `reason` and every field from what to
    what (`GET .../changes`); a PUT of the values the row holds already records nothing."""
    reason = body.pop("reason", None)
    row, _change = change_model_rule(current_user, model, body, reason)
    return row


@blp.route("/rules/models/<model>/changes", methods=["GET"])
@allow("any")
@blp.response(200, RuleChangeOut(many=True))
def list_model_rule_changes(model: str) -> list:
    """Show who changed a model's rules, when, why, and each field from what to what (newest
    first)."""
    return model_history(model)


@blp.route("/flags", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, FlagFullOut(many=True))
def list_flags() -> list:
    """List flags, newest first (open ones by default)."""
    return flags.flags_visible_to(
        current_user, choice_arg("status", ("open", "resolved", "all"), "open") or "open",
        id_arg("area_id"))


@blp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(FlagResolveIn)
@blp.response(200, FlagFullOut)
def resolve_flag(body: dict, flag_id: int) -> dict:
    """Close a flag with a note."""
    if not is_oversight(current_user):
        raise Forbidden(N_("Only regulators resolve flags."))
    return flags.resolve_flag(current_user, flag_id, body["note"]).to_dict()
