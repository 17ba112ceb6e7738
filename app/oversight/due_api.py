"""JSON API of the expiry alerts (到期提醒): what falls due, and the workbook of it."""
from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from app.auth.policy import allow
from app.clock import today
from app.downloads import XLSX, file_response
from app.oversight.due import (
    DueItem,
    DuePage,
    Window,
    all_due,
    due_scope,
    due_summary,
    list_due,
)
from app.oversight.due_export import due_workbook
from app.oversight.schemas import DuePageOut, DueQuery
from app.oversight.services import NO_ORG, org_names
from app.traceability.codes import format_code

blp = Blueprint("due_api", __name__, url_prefix="/api/v1",
                description="Expiry alerts: inspections and service lives falling due")
EXPORT_MAX = 50_000


def item_to_dict(item: DueItem) -> dict:
    cyl = item.cylinder
    return {"code": cyl.code, "display_code": format_code(cyl.code), "serial_no": cyl.serial_no,
            "model": cyl.model, "owner_org_id": cyl.owner_org_id,
            "next_inspection_due": cyl.next_inspection_due,
            "service_life_ends": cyl.service_life_ends, "kind": item.kind,
            "days_left": item.days_left}


def page_to_dict(page: DuePage) -> dict:
    return {"summary": page.summary, "items": [item_to_dict(i) for i in page.items],
            "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/cylinders/due", methods=["GET"])
@allow("admin", "regulator", "inspector")
@blp.arguments(DueQuery, location="query")
@blp.response(200, DuePageOut)
def list_due_cylinders(args: dict) -> dict:
    """List live cylinders whose inspection or service life falls due, nearest first.

    Kinds: inspection_overdue, beyond_service_life, and within the window inspection_due
    and life_ending; each cylinder has one kind, the most urgent. A company's admin sees
    its own cylinders only (asking for another owner gives an empty list, as the search
    does); regulators and inspectors see the district and may name an owner.
    """
    owner = due_scope(current_user, args.get("owner_org_id"))
    return page_to_dict(list_due(args["within_days"], kind=args.get("kind"), owner_org_id=owner,
                                 page=args["page"], per_page=args["per_page"]))


@blp.route("/cylinders/due.xlsx", methods=["GET"])
@allow("admin", "regulator", "inspector")
@blp.arguments(DueQuery, location="query")
@file_response(blp, XLSX, description="The alerts as an XLSX workbook (paging ignored)")
def export_due_cylinders(args: dict) -> Response:
    """Export the alerts to XLSX: one row per cylinder, totals per kind; in the request's
    language (`?lang=en` or the session's), Chinese by default."""
    owner = due_scope(current_user, args.get("owner_org_id"))
    days = args["within_days"]
    items = all_due(days, kind=args.get("kind"), owner_org_id=owner, limit=EXPORT_MAX)
    summary = due_summary(Window.of(days), owner)
    scope = (_("All gas companies") if owner is None else
             org_names({owner}).get(owner, "—" if owner == NO_ORG else str(owner)))
    body = due_workbook(items, summary, scope, days, today())
    name = f"cylinders-due-{today().isoformat()}.xlsx"
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
