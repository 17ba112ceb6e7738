"""The administrator's pages for their organisation's people: list, add, deactivate, tokens.

Forms go through the API's schemas and the same services (app/auth/services.py), so the rules
are the API's: who may create which role in which organisation, nobody deactivates themself,
another organisation's user is not found. A refusal is shown in the form with what was typed
(never the password).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth import services
from app.auth.models import Organisation, User
from app.auth.policy import allow
from app.auth.schemas import TokenIn, UserIn
from app.clock import DISTRICT_TZ
from app.database import commit_now, utcnow
from app.errors import N_, APIError, NotFound, page_message, refusal_text
from app.extensions import db
from app.query_args import id_arg
from app.text_fields import text_refusal

bp = Blueprint("user_pages", __name__, template_folder="templates", url_prefix="/users")

Page = str | Response | tuple[str, int]

# What the form says for a field the API's schema refuses.
FIELD_ERRORS = {
    "name": _l("A sign-in name has 1 to 80 characters."),
    "display_name": _l("A display name has at most 120 characters."),
    "password": _l("A password has 8 to 200 characters."),
    "role": _l("Choose one of the roles offered."),
    "label": _l("A label has at most 120 characters."),
    "days": _l("Enter a whole number of days, 1 or more."),
}
# The services' refusals whose English message carries values: which field, and what to say.
REFUSALS = {
    "duplicate_user": ("name", N_("This sign-in name is taken; choose another.")),
    "invalid_role": ("role", N_("Choose one of the roles offered.")),
    "role_not_for_org": ("role", N_("This organisation cannot have users of that role.")),
    "weak_password": ("password", N_("A password has 8 to 200 characters.")),
    "lifetime_too_long": ("days", N_("A token lives at most %(days)s days.")),
}
WORDING = {code: words for code, (_field, words) in REFUSALS.items()}


def _refusal(exc: APIError) -> dict[str, str]:
    """A service's refusal as field -> message, in the reader's language."""
    db.session.rollback()
    field = REFUSALS.get(exc.code, ("form", ""))[0]
    return {field: refusal_text(exc, WORDING, days=current_app.config["API_TOKEN_DAYS"])}


def _invalid(exc: ValidationError) -> dict[str, str]:
    return {field: text_refusal(said) or str(FIELD_ERRORS.get(field, _l("Check this field.")))
            for field, said in exc.messages.items()}


def _scope() -> int | None:
    """Whose users: the admin's own organisation; a platform admin picks one, or `all`."""
    if current_user.is_platform_admin and request.args.get("org_id") == "all":
        return None
    return id_arg("org_id") or current_user.org_id


def _rows(users: list[User]) -> list[dict[str, Any]]:
    """Users as the API describes them, with the deactivating admin's name and local time."""
    described = services.describe_users(users)
    by_ids = {row["deactivated_by_id"] for row in described if row["deactivated_by_id"]}
    names = {u.id: u.display_name or u.name
             for u in db.session.scalars(select(User).where(User.id.in_(by_ids)))} if by_ids else {}
    for row in described:
        when = row["deactivated_at"]
        row["deactivated_at"] = (dt.datetime.fromisoformat(when).astimezone(DISTRICT_TZ)
                                 if when else None)
        row["deactivated_by"] = names.get(row["deactivated_by_id"])
    return described


def _create(org_id: int | None, form: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """Create the user the form describes: (refusals by field, the password on success)."""
    if org_id is None:
        return {"form": _("Choose an organisation first.")}, None
    password = services.generate_password() if form["generate"] else request.form.get(
        "password", "")
    body: dict[str, Any] = {k: form[k] for k in ("name", "display_name", "role") if form[k]}
    body.update(org_id=org_id, **({"password": password} if password else {}))
    errors: dict[str, str] = {}
    try:
        body = UserIn().load(body)
    except ValidationError as exc:
        errors = _invalid(exc)
    if not password:
        errors["password"] = _("Enter a password of at least 8 characters, or tick "
                               "“Generate a password”.")
    if errors:
        return errors, None
    try:
        services.create_user(current_user, body["name"], org_id, body["role"], password=password,
                             display_name=body.get("display_name"))
    except APIError as exc:
        return _refusal(exc), None
    commit_now()  # the password is shown only for a user that exists
    return {}, password


@bp.route("", methods=["GET", "POST"])
@allow("admin")
def users() -> Page:
    """List an organisation's users and add one (platform admins: any organisation)."""
    org_id = _scope()
    form = {k: request.form.get(k, "").strip() for k in ("name", "display_name", "role")}
    form["generate"] = "1" if request.form.get("generate") else ""
    errors: dict[str, str] = {}
    created, status = None, 200
    if request.method == "POST":
        errors, password = _create(org_id, form)
        if errors:
            status = 400
        elif not form["generate"]:
            flash(_("%(name)s can sign in now.", name=form["name"]), "ok")
            return redirect(request.full_path)
        else:  # shown once, in this answer only: never kept in the session cookie
            created, form = {"name": form["name"], "password": password}, {}
    people = services.list_users(current_user, org_id)  # another org's (not platform): 403
    org = services.get_org(org_id) if org_id else None
    orgs = (list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
            if current_user.is_platform_admin else [])
    return render_template(
        "auth/users.html", rows=_rows(people), org=org, orgs=orgs,
        org_names={o.id: o.name for o in orgs},
        roles=services.roles_for_kind(org.kind) if org else [],
        form=form, errors=errors, created=created), status


def _user_page(person: User, token: str | None = None, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "auth/user.html", person=person, row=_rows([person])[0], now=utcnow(),
        tokens=services.list_tokens(person), token=token, errors=errors or {},
        values=values or {}, longest=current_app.config["API_TOKEN_DAYS"],
        tz=DISTRICT_TZ), status


@bp.route("/<int:user_id>")
@allow("admin")
def user(user_id: int) -> Page:
    """One user: status, deactivate or reactivate, API tokens (another org's user: 404)."""
    return _user_page(services.managed_user(current_user, user_id))


@bp.route("/<int:user_id>/active", methods=["POST"])
@allow("admin")
def set_active(user_id: int) -> Response:
    """Deactivate or reactivate a user, once the admin ticked the confirmation."""
    person = services.managed_user(current_user, user_id)  # another org's: 404 before anything
    active = request.form.get("active") == "1"
    if not request.form.get("confirm"):
        flash(_("Tick the box to confirm."), "bad")
        return redirect(url_for(".user", user_id=user_id))
    try:
        services.set_user_active(current_user, user_id, active)
    except APIError as exc:
        db.session.rollback()
        flash(page_message(exc), "bad")
    else:
        name = person.display_name or person.name
        flash(_("%(name)s can sign in again.", name=name) if active else
              _("%(name)s is deactivated: signed out, and their API tokens refused, from now on.",
                name=name), "ok")
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@allow("admin")
def revoke(user_id: int, token_id: int) -> Response:
    """Revoke one of a user's API tokens at once (a lost phone or scale)."""
    if token_id not in {t.id for t in services.tokens_of(current_user, user_id)}:
        # the user's own tokens only; another org's: 404
        raise NotFound(services.NO_TOKEN, values={"id": token_id})
    services.revoke_token(current_user, token_id)
    flash(_("Token revoked: the device using it is refused from now on."), "ok")
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/me/tokens", methods=["POST"])
@allow("admin")
def issue_token() -> Page:
    """Issue an API token for yourself (a second device); it is shown once, in this answer."""
    me = current_user._get_current_object()
    raw = {k: request.form.get(k, "").strip() for k in ("label", "days")}
    body: dict[str, Any] = {k: v for k, v in raw.items() if v}
    days = body.get("days", "")
    if days.isascii() and days.isdigit():  # "²" is a digit to isdigit, not to int
        body["days"] = int(days)  # the API's days is a strict integer
    try:
        body = TokenIn().load(body)
        token, _row = services.new_token(me, body.get("label") or "web", body.get("days"))
    except ValidationError as exc:
        return _user_page(me, errors=_invalid(exc), values=raw, status=400)
    except APIError as exc:
        return _user_page(me, errors=_refusal(exc), values=raw, status=400)
    commit_now()
    return _user_page(me, token=token)


def register_user_pages(app: Flask) -> None:
    """Attach the pages and their navigation entry (the nav is per process, added once)."""
    from app.web.nav import NAV, add_nav

    app.register_blueprint(bp)
    if not any(item.endpoint == "user_pages.users" for item in NAV):
        add_nav("user_pages.users", _l("Users"), "admin")
