"""The public page `/c/<code>` that any phone opens from the QR, and the report form (举报)."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from app.auth.policy import allow
from app.errors import APIError, page_message
from app.extensions import db, limiter
from app.oversight.public import (
    REPORT_CATEGORIES,
    is_overdue,
    public_view,
    submit_report,
    typed_back,
)
from app.request_text import checks_own_text

bp = Blueprint("public", __name__, template_folder="templates")
PAGE_LIMIT = "60/minute"
REPORT_LIMIT = "5/minute;30/day"


def _render(code: str, status: int = 200, **extra: object) -> tuple[str, int]:
    view = public_view(code)
    if not view.known:
        status = 404 if status == 200 else status
    html = render_template("oversight/public.html", view=view, code=code,
                           categories=REPORT_CATEGORIES, overdue=is_overdue(view), **extra)
    return html, status


@bp.route("/c/<code>")
@allow("public")
@limiter.limit(PAGE_LIMIT)
def cylinder_page(code: str) -> tuple[str, int]:
    """Tell anyone whether this cylinder is registered and safe to use."""
    return _render(code)


@bp.route("/c/<code>/report", methods=["POST"])
@checks_own_text  # submit_report refuses control characters with the form given back
@allow("public")
@limiter.limit(REPORT_LIMIT)
def report(code: str) -> tuple[str, int] | Response:
    """Send a report (举报) about this cylinder to the regulators."""
    form = request.form
    try:
        submit_report(code, form.get("category", ""), form.get("message", ""),
                      form.get("contact"))
    except APIError as exc:
        db.session.rollback()
        return _render(code, 400, error=page_message(exc), form=typed_back(form))
    return _render(code, 201, thanks=_("Thank you. The regulator will look into it."))
