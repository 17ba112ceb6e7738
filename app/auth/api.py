"""JSON API for organisations, users and tokens."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth import services
from app.auth.models import ApiToken, Organisation
from app.auth.policy import allow
from app.auth.schemas import (
    OrgIn,
    OrgOut,
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


@blp.route("/me", methods=["GET"])
@allow("any")
@blp.response(200, UserOut)
def me() -> dict:
    """Tell the caller who they are."""
    return current_user.to_dict()


@blp.route("/tokens", methods=["POST"])
@allow("any")
@blp.response(201, TokenOut)
def create_token() -> dict:
    """Issue another API token for the caller (for a second device)."""
    token = services.issue_token(current_user, label="self-service")
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash ==
                                                   services.hash_token(token)))
    return {"id": row.id, "token": token, "revoked_at": None}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@allow("any")
@blp.response(200, TokenOut)
def revoke_token(token_id: int) -> dict:
    """Revoke a token at once."""
    row = services.revoke_token(current_user, token_id)
    return {"id": row.id, "token": None, "revoked_at": row.revoked_at.isoformat()}
