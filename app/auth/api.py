"""JSON API for organisations, users and tokens."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth import services
from app.auth.models import Organisation
from app.auth.policy import allow
from app.auth.schemas import (
    OrgIn,
    OrgOut,
    TokenIn,
    TokenInfo,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
    UserQuery,
)
from app.errors import Forbidden
from app.extensions import db

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Organisations and users")


@blp.route("/orgs", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(OrgIn)
@blp.response(201, OrgOut)
def create_org(body: dict) -> dict:
    """Register an organisation (platform admins and regulators)."""
    if not (current_user.is_platform_admin or current_user.role == "regulator"):
        raise Forbidden("Only platform admins and regulators register organisations.")
    return services.create_org(body["name"], body["kind"]).to_dict()


@blp.route("/orgs", methods=["GET"])
@allow("any")
@blp.response(200, OrgOut(many=True))
def list_orgs() -> list:
    """List organisations (names and kinds are not secret: labels and reports show them)."""
    return [o.to_dict() for o in db.session.scalars(select(Organisation).order_by(Organisation.id))]


@blp.route("/users", methods=["POST"])
@allow("admin")
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(body: dict) -> dict:
    """Create a user and return its first API token (shown once)."""
    user = services.create_user(current_user, body["name"], body["org_id"], body["role"],
                                password=body.get("password"),
                                display_name=body.get("display_name"))
    return {**user.to_dict(), "token": services.issue_token(user, label="created")}


@blp.route("/users", methods=["GET"])
@allow("admin")
@blp.arguments(UserQuery, location="query")
@blp.response(200, UserOut(many=True))
def list_users(query: dict) -> list:
    """List an organisation's users, to find whom to deactivate (admins: their own org)."""
    return services.describe_users(services.list_users(current_user, query.get("org_id")))


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@allow("admin")
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
def edit_user(body: dict, user_id: int) -> dict:
    """Deactivate (`{"active": false}`) or reactivate a user of an organisation you administer."""
    user = services.set_user_active(current_user, user_id, body["active"])
    return services.describe_users([user])[0]


@blp.route("/users/<int:user_id>/tokens", methods=["GET"])
@allow("admin")
@blp.response(200, TokenInfo(many=True))
def list_user_tokens(user_id: int) -> list:
    """List a user's API tokens, to revoke a lost device's (admins: users of their own org)."""
    return [row.to_dict() for row in services.tokens_of(current_user, user_id)]


@blp.route("/me", methods=["GET"])
@allow("any")
@blp.response(200, UserOut)
def me() -> dict:
    """Tell the caller who they are."""
    return current_user.to_dict()


@blp.route("/tokens", methods=["GET"])
@allow("any")
@blp.response(200, TokenInfo(many=True))
def list_tokens() -> list:
    """List your own API tokens (label, created, expires, revoked; never the secret)."""
    return [row.to_dict() for row in services.list_tokens(current_user)]


@blp.route("/tokens", methods=["POST"])
@allow("any")
@blp.arguments(TokenIn, required=False)
@blp.response(201, TokenOut)
def create_token(body: dict) -> dict:
    """Issue another API token for the caller (for a second device), optionally shorter-lived."""
    token, row = services.new_token(current_user, body.get("label") or "self-service",
                                    body.get("days"))
    return {**row.to_dict(), "token": token}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@allow("any")
@blp.response(200, TokenOut)
def revoke_token(token_id: int) -> dict:
    """Revoke a token at once."""
    return {**services.revoke_token(current_user, token_id).to_dict(), "token": None}
