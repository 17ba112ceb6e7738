"""The filling page: scan or type a code, see ALLOW or REFUSE full screen, and today's work."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.policy import allow
from app.clock import today
from app.filling import ledger
from app.filling.entrustments import owners_entrusting
from app.filling.rules import PRECHECK_ITEMS

bp = Blueprint("filling", __name__, template_folder="templates")
STATIC = Path(__file__).with_name("static")


@bp.route("/filling")
@allow("filler")
def index() -> str:
    """Show the interlock for the operator at the scale."""
    return render_template("filling/index.html", precheck_items=list(PRECHECK_ITEMS),
                           entries=ledger.day_entries(current_user.org_id),
                           entrusting=owners_entrusting(current_user.org_id, today()))


@bp.route("/filling/today")
@allow("filler")
def today_fragment() -> str:
    """Render today's fills and refusals, for the page to refresh after each scan."""
    return render_template("filling/_today.html", entries=ledger.day_entries(current_user.org_id))


@bp.route("/filling/static/<path:filename>")
@allow("public")
def static_file(filename: str) -> Response:
    """Serve the page's script (the blueprint's own static view has no access rule)."""
    return send_from_directory(STATIC, filename, max_age=3600)
