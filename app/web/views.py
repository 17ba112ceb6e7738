"""Login, logout, the home page, language choice and the health check."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.auth.policy import allow
from app.auth.services import authenticate
from app.extensions import db, limiter
from app.web.nav import ROLE_LABELS, nav_for

bp = Blueprint("web", __name__, template_folder="templates")


@bp.app_context_processor
def inject_nav() -> dict:
    role = current_user.role if current_user.is_authenticated else None
    user = current_user if current_user.is_authenticated else None
    return {"nav_items": nav_for(role, user), "role_labels": ROLE_LABELS}


@bp.route("/healthz")
@allow("public")
def healthz() -> Response:
    """Answer 200 when the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means unhealthy, never a 500 page
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


def _safe_next(target: str | None) -> str:
    """A page of this site to go back to, or home: never another site (browsers read `/\\x`
    as `//x`), and never a control character, which has no place in a Location header
    (a CR in `next` was a 500)."""
    if not target or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return url_for("web.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("web.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow("public")
@limiter.limit("10/minute", methods=["POST"])
def login() -> str | Response:
    """Sign in with name and password."""
    error = None
    if request.method == "POST":
        user = authenticate(request.form.get("name", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong name or password.")
    status = 401 if error else 200
    return render_template("web/login.html", error=error), status


@bp.route("/logout", methods=["POST"])
@allow("any")
def logout() -> Response:
    """Sign out."""
    logout_user()
    return redirect(url_for("web.login"))


@bp.route("/lang/<code>", methods=["POST"])
@allow("public")
def set_language(code: str) -> Response:
    """Remember the chosen language (zh_CN or en)."""
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/")
@allow("any")
def index() -> str:
    """Show the pages this role works with."""
    return render_template("web/index.html")
