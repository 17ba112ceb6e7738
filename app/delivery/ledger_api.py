"""JSON API of the hazard ledger: filters, counts, XLSX export, rectify and verify, photos."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from app.auth.models import Organisation
from app.auth.policy import allow, is_oversight
from app.clock import today
from app.delivery import safety
from app.delivery.ledger_export import label_counts, ledger_rows, ledger_workbook
from app.delivery.models import Hazard, Photo
from app.delivery.photos import FORMATS as PHOTO_TYPES
from app.delivery.schemas import HazardOut, LedgerOut, LedgerQuery, RectifyIn, VerifyIn
from app.delivery.services import delivery_rules
from app.downloads import XLSX, file_response
from app.errors import N_, NotFound
from app.extensions import db

blp = Blueprint("hazard_api", __name__, url_prefix="/api/v1",
                description="The hazard ledger (隐患台账)")
EXPORT_MAX = 50_000


def ledger_filter(query: dict[str, Any]) -> safety.LedgerFilter:
    keys = safety.LedgerFilter.__dataclass_fields__
    return safety.LedgerFilter(**{k: v for k, v in query.items() if k in keys})


def hazard_out(hazard: Hazard, row: dict[str, Any]) -> dict[str, Any]:
    return {**safety.hazard_to_dict(hazard), "customer_name": row["customer"],
            "item_label": row["item"]}


@blp.route("/hazards", methods=["GET"])
@allow("admin", "regulator", "driver")
@blp.arguments(LedgerQuery, location="query")
@blp.response(200, LedgerOut)
def list_hazards(query: dict) -> dict:
    """List ledger entries with filters, and counts by area, driver, item and status."""
    f = ledger_filter(query)
    select_ = safety.hazard_query(current_user, f).limit(query["limit"]).offset(query["offset"])
    hazards = list(db.session.scalars(select_))
    rows = ledger_rows(hazards, delivery_rules(), today())
    return {"hazards": [hazard_out(h, r) for h, r in zip(hazards, rows, strict=True)],
            "counts": safety.hazard_counts(current_user, f)}


@blp.route("/hazards.xlsx", methods=["GET"])
@allow("admin", "regulator")
@blp.arguments(LedgerQuery, location="query")
@file_response(blp, XLSX, description="The ledger as an XLSX workbook")
def export_hazards(query: dict) -> Response:
    """Export the filtered ledger to XLSX: one row per hazard, in the request's language
    (`?lang=en` or the session's), Chinese by default."""
    f = ledger_filter(query)
    rules = delivery_rules()
    hazards = list(db.session.scalars(safety.hazard_query(current_user, f).limit(EXPORT_MAX)))
    org_id = safety.ledger_org(current_user, f.org_id)
    org = db.session.get(Organisation, org_id) if org_id else None
    counts = label_counts(safety.hazard_counts(current_user, f), rules)
    body = ledger_workbook(ledger_rows(hazards, rules, today()), counts, org, today())
    name = f"hazard-ledger-{today().isoformat()}.xlsx"
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/hazards/<int:hazard_id>/rectify", methods=["POST"])
@allow("admin", "driver")
@blp.arguments(RectifyIn)
@blp.response(200, HazardOut)
def rectify(body: dict, hazard_id: int) -> dict:
    """Record how a hazard was put right, with evidence (text, optional photo)."""
    return safety.hazard_to_dict(safety.rectify_hazard(current_user, hazard_id, body["evidence"],
                                                       body.get("photo")))


@blp.route("/hazards/<int:hazard_id>/verify", methods=["POST"])
@allow("admin", "driver", "regulator")
@blp.arguments(VerifyIn)
@blp.response(200, HazardOut)
def verify(body: dict, hazard_id: int) -> dict:
    """Confirm a rectification (never by the person who reported the hazard)."""
    return safety.hazard_to_dict(safety.verify_hazard(current_user, hazard_id, body.get("note")))


@blp.route("/photos/<int:photo_id>", methods=["GET"])
@allow("admin", "regulator", "driver")
@file_response(blp, *PHOTO_TYPES.values(), description="The photo's bytes, as it was taken")
def photo(photo_id: int) -> Response:
    """Show a photo taken at the door (own company and regulators only)."""
    row = db.session.get(Photo, photo_id)
    if row is None or not (is_oversight(current_user) or row.org_id == current_user.org_id):
        raise NotFound(N_("No photo %(id)s."), values={"id": photo_id})
    return Response(row.data, mimetype=row.mimetype,
                    headers={"Cache-Control": "private, max-age=86400"})
