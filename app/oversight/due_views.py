"""The expiry alerts page (到期提醒): tiles per kind, a window, the coming months, the list."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE
from sqlalchemy import select

from app.auth.models import Organisation
from app.auth.policy import allow, is_oversight
from app.clock import today
from app.extensions import db
from app.oversight.due import (
    KINDS,
    WINDOW_CHOICES,
    WINDOW_DEFAULT,
    due_by_month,
    due_scope,
    list_due,
)
from app.oversight.reports.charts import bars_svg
from app.oversight.schemas import DueQuery
from app.oversight.services import org_names
from app.traceability.codes import format_code

bp = Blueprint("oversight_due", __name__, url_prefix="/oversight", template_folder="templates")
KIND_LABELS = {
    "inspection_overdue": _l("Inspection overdue"),
    "beyond_service_life": _l("Beyond service life"),
    "inspection_due": _l("Inspection due soon"),
    "life_ending": _l("Service life ending soon"),
}
SERIES_LABELS = {"inspection_due": _l("Inspections due"), "life_ending": _l("Service lives end")}


def _args() -> tuple[dict[str, Any], dict[str, Any]]:
    """Parse the filters with the API's schema; errors become a message, not a 500."""
    raw = {k: v for k, v in request.args.items() if v not in ("", None)}
    schema = DueQuery(unknown=EXCLUDE)  # ?lang=en and the like are not filters
    errors = schema.validate(raw)
    if errors:
        return schema.load({}), errors
    return schema.load(raw), {}


@bp.route("/due")
@allow("admin", "regulator", "inspector")
def due() -> tuple[str, int]:
    """Show what falls due: counts per kind, the coming months, and the list."""
    args, errors = _args()
    oversight = is_oversight(current_user)
    owner = due_scope(current_user, args.get("owner_org_id"))
    page = list_due(args["within_days"], kind=args.get("kind"), owner_org_id=owner,
                    page=args["page"], per_page=args["per_page"])
    months, series = due_by_month(owner)
    chart = bars_svg([f"{m:%m}" for m in months], series,
                     {k: str(v) for k, v in SERIES_LABELS.items()},
                     sublabels=[str(m.year) if i == 0 or m.month == 1 else ""
                                for i, m in enumerate(months)])
    owners = (list(db.session.scalars(select(Organisation).where(
        Organisation.kind == "gas_company").order_by(Organisation.name))) if oversight else [])
    filters = {"within_days": args["within_days"], "kind": args.get("kind"),
               "owner_org_id": args.get("owner_org_id") if oversight else None}
    return render_template(
        "oversight/due.html", page=page, kinds=KINDS, kind_labels=KIND_LABELS,
        filters={k: v for k, v in filters.items() if v is not None}, errors=errors,
        windows=WINDOW_CHOICES, default_window=WINDOW_DEFAULT, chart=chart, owners=owners,
        names=org_names({i.cylinder.owner_org_id for i in page.items}) if oversight else {},
        fmt=format_code, today=today()), 400 if errors else 200
