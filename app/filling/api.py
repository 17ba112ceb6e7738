"""JSON API of the filling point: the interlock, re-weighing, entrustments, the station's day."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, g, jsonify, request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError

from app.auth.policy import allow
from app.database import commit_now, reads_first
from app.errors import APIError, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.filling import entrustments, ledger, services
from app.filling.models import Fill
from app.filling.photos import Seen, present_photo
from app.filling.rules import PRECHECK_ITEMS, reason_to_dict
from app.filling.schemas import (
    DayEntryOut,
    EntrustmentIn,
    EntrustmentOut,
    FillIn,
    FillPhotoIn,
    FillRecordOut,
    InterlockOut,
    ReweighIn,
    ReweighOut,
)
from app.filling.services import Outcome, Presented
from app.idempotency import key_reused
from app.traceability.codes import CodeError, format_code, parse_code
from app.traceability.events import event_to_dict
from app.traceability.models import Cylinder
from app.traceability.services import public_base_url

blp = Blueprint("filling_api", __name__, url_prefix="/api/v1",
                description="The filling interlock, fill records and entrustments")
# Idempotency-Key retries of a refusal (a 409, which the generic replay does not keep) must
# not record a second refusal: the key names the attempt's event id instead.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d4a52-3c1b-4f0e-9a59-2f7c1f0e8b11")
# Built once: a schema instance is reusable, and building one costs more than a load.
FILL_IN, FILL_PHOTO_IN = FillIn(), FillPhotoIn()


def _load(schema: Schema, data: Any) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("The request has invalid fields.",
                               details=exc.messages) from exc


def _presented(body: dict, text: str = "") -> Presented:
    event_id = body.get("event_id")
    key = g.get("idempotency_key")
    if event_id is None and key:
        event_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{current_user.id}:{key}")
        g.fill_event_from_key = True
    precheck = body.get("precheck")
    if precheck is None:
        precheck = {item: body[item] for item in PRECHECK_ITEMS if item in body}
    return Presented(text=text, net_mass_kg=body.get("net_mass_kg"), precheck=dict(precheck),
                     event_id=event_id, occurred_at=body.get("occurred_at"),
                     lat=body.get("lat"), lon=body.get("lon"), place=body.get("place"))


@contextmanager
def _key_reuse_named() -> Iterator[None]:
    """An event id made from the Idempotency-Key that names another attempt is the key
    reused: answered 422 `idempotency_key_reused` as on every POST, not 409
    `event_id_reused`, which names a field the client never sent."""
    try:
        yield
    except Conflict as exc:
        if exc.code == "event_id_reused" and g.get("fill_event_from_key"):
            raise key_reused() from exc
        raise


def _code_of(text: str) -> str:
    try:
        return parse_code(text, public_base_url()).code
    except CodeError:
        return text.strip()


def presented_text(body: dict) -> str:
    """The code to check: `code` or `payload`; when both are sent they must name one cylinder.

    A scanner's payload beside a typed code that disagrees with it is a mistake at the scale;
    checking either one silently could fill the wrong cylinder.
    """
    code, payload = body.get("code"), body.get("payload")
    if code and payload and _code_of(code) != _code_of(payload):
        raise ValidationFailed("code and payload name different cylinders; send one of them.",
                               code="code_payload_mismatch")
    return code or payload


def fill_dict(fill: Fill, on_hold: bool) -> dict:
    """Render a fill record."""
    return {"event_id": str(fill.event_id), "code": fill.code,
            "station_org_id": fill.station_org_id, "operator_id": fill.operator_id,
            "filled_at": fill.filled_at.isoformat(), "net_mass_kg": fill.net_mass_kg,
            "rated_fill_kg": fill.rated_fill_kg, "overfill": fill.overfill, "on_hold": on_hold,
            "precheck": fill.precheck, "reweighed_kg": fill.reweighed_kg}


def refusal_error(reasons: list[dict]) -> dict:
    """The error object every 4xx carries; the reasons stay listed beside it."""
    message = "；".join(dict.fromkeys(r["message"] for r in reasons)) or "拒绝充装"
    return {"code": "fill_refused", "message": message, "reasons": reasons}


def outcome_dict(outcome: Outcome) -> dict:
    """Render the interlock's answer for one code."""
    out: dict[str, Any] = {"allowed": outcome.allowed, "text": outcome.text,
                           "code": outcome.code, "replayed": outcome.replayed}
    if outcome.cylinder is not None:
        out["cylinder"] = {"code": outcome.cylinder.code,
                           "display_code": format_code(outcome.cylinder.code),
                           "model": outcome.cylinder.model}
    if outcome.allowed:
        assert outcome.fill is not None
        out["fill"] = fill_dict(outcome.fill, outcome.on_hold)
        if outcome.event is not None:
            out["event"] = event_to_dict(outcome.event)
    else:
        out["reasons"] = [reason_to_dict(r) for r in outcome.reasons]
        out["error"] = refusal_error(out["reasons"])
        if outcome.refusal is not None:
            out["refusal"] = {"id": outcome.refusal.id, "event_id": str(outcome.refusal.event_id),
                              "refused_at": outcome.refusal.refused_at.isoformat()}
    return out


def _photo_item(seen: Seen, outcome: Outcome) -> dict:
    return {**outcome_dict(outcome), "points": [list(p) for p in seen.points]}


@blp.route("/fillings", methods=["POST"])
@allow("filler")
@reads_first
@blp.doc(requestBody={"required": True, "content": {
    "application/json": {"schema": FillIn},
    "multipart/form-data": {"schema": FillPhotoIn}}})
@blp.response(201, InterlockOut, description="Allowed: the fill is recorded")
@blp.alt_response(409, schema={"oneOf": [{"$ref": "#/components/schemas/InterlockOut"},
                                         {"$ref": "#/components/schemas/Error"}]},
                  description="Refused, with every reason (InterlockOut); an event_id used "
                              "before for another attempt: the error shape, event_id_reused")
def create_filling() -> tuple[dict | Response, int]:
    """Check a cylinder before filling (by code or photo); record the fill or the refusal."""
    if request.mimetype == "multipart/form-data":
        # An empty form field means "not given" (a browser sends every input of a form).
        form = {k: v for k, v in request.form.to_dict().items() if v != ""}
        upload = request.files.get("image")
        if upload is None:
            raise ValidationFailed("Send the photo as multipart field 'image'.",
                                   code="image_required")
        body = _load(FILL_PHOTO_IN, {**form, "image": "upload"})
        with _key_reuse_named():
            results = present_photo(current_user, upload.read(), _presented(body))
        allowed = all(outcome.allowed for _seen, outcome in results)
        answer = {"allowed": allowed, "results": [_photo_item(s, o) for s, o in results]}
        if not allowed:
            answer["error"] = refusal_error([r for item in answer["results"]
                                             for r in item.get("reasons", [])])
        return answer, 201 if allowed else 409
    if not request.is_json:
        raise APIError("Send JSON, or a photo as multipart/form-data.",
                       code="unsupported_media_type", status=415)
    data = request.get_json(silent=True)
    if data is None:
        raise APIError("The request body is not valid JSON.", code="invalid_json")
    body = _load(FILL_IN, data)
    user = current_user._get_current_object()  # the proxy costs a lookup on every attribute
    with _key_reuse_named():
        outcome = services.present_cylinder(user, _presented(body, presented_text(body)))
    commit_now()
    # Rendered as is: outcome_dict has exactly InterlockOut's fields (a test keeps it so), and
    # a schema dump of every answer costs more than the rest of the rendering.
    return jsonify(outcome_dict(outcome)), 201 if outcome.allowed else 409


@blp.route("/fillings/today", methods=["GET"])
@allow("filler", "admin")
@blp.response(200, DayEntryOut(many=True))
def todays_fillings() -> list:
    """List the caller's station's fills and refusals of today, newest first."""
    return [entry.to_dict() for entry in ledger.day_entries(current_user.org_id)]


def _event_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise NotFound("No fill with this event id at your station.",
                       code="fill_not_found") from exc


@blp.route("/fillings/<event_id>", methods=["GET"])
@allow("filler", "admin")
@blp.response(200, FillRecordOut)
def get_filling(event_id: str) -> dict:
    """Show one of the station's fill records."""
    fill = services.get_fill(current_user, _event_id(event_id))
    cyl = db.session.get(Cylinder, fill.cylinder_id)
    return fill_dict(fill, cyl is not None and services.cylinder_on_hold(cyl))


@blp.route("/fillings/<event_id>/reweigh", methods=["POST"])
@allow("filler")
@blp.arguments(ReweighIn)
@blp.response(200, ReweighOut)
def reweigh_filling(body: dict, event_id: str) -> dict:
    """Record the scale's mass after a fill; within the rated mass it lifts an overfill hold."""
    done = services.reweigh(current_user, _event_id(event_id), body["net_mass_kg"],
                            body.get("event_id"))
    cyl = db.session.get(Cylinder, done.fill.cylinder_id)
    on_hold = cyl is not None and services.cylinder_on_hold(cyl)
    return {"cleared": done.cleared, "on_hold": on_hold, "fill": fill_dict(done.fill, on_hold),
            "event": event_to_dict(done.event), "replayed": done.replayed}


@blp.route("/entrustments", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(EntrustmentIn)
@blp.response(201, EntrustmentOut)
def create_entrustment(body: dict) -> dict:
    """Entrust an owner's cylinders to a station for a period (owner's admin or regulator)."""
    return entrustments.create_entrustment(
        current_user, body["owner_org_id"], body["station_org_id"], body["valid_from"],
        body["valid_to"]).to_dict()


@blp.route("/entrustments", methods=["GET"])
@allow("admin", "regulator", "filler")
@blp.response(200, EntrustmentOut(many=True))
def list_entrustments() -> list:
    """List the entrustments the caller's organisation is party to (all, for regulators)."""
    query = entrustments.entrustments_for(current_user).limit(500)
    return [row.to_dict() for row in db.session.scalars(query)]


@blp.route("/entrustments/<int:entrustment_id>/revoke", methods=["POST"])
@allow("admin", "regulator")
@blp.response(200, EntrustmentOut)
def revoke_entrustment(entrustment_id: int) -> dict:
    """End an entrustment now."""
    return entrustments.revoke_entrustment(current_user, entrustment_id).to_dict()
