"""Request and response shapes of the organisation and user API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.auth.models import ORG_KINDS, ROLES
from app.text_fields import SingleLine


class OrgIn(Schema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))


class OrgOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    created_at = fields.String()


class UserIn(Schema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=80))
    org_id = fields.Integer(required=True, strict=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = SingleLine(validate=validate.Length(max=120))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))


class UserOut(Schema):
    id = fields.Integer()
    name = fields.String()
    display_name = fields.String(allow_none=True)
    org_id = fields.Integer()
    role = fields.String()
    active = fields.Boolean()
    deactivated_at = fields.String(
        allow_none=True, metadata={"description": "When it was deactivated (null while active)."})
    deactivated_by_id = fields.Integer(
        allow_none=True, metadata={"description": "Who deactivated it (null while active)."})
    token = fields.String(
        metadata={"description": "Shown once; store it, it cannot be read again."})


class UserQuery(Schema):
    org_id = fields.Integer(metadata={
        "description": "Whose users (default: your own organisation; platform admins: all)."})


class UserPatch(Schema):
    active = fields.Boolean(required=True, truthy={True}, falsy={False}, metadata={
        "description": "false deactivates the user (tokens and web sessions stop at once), "
                       "true reactivates it. Nobody may deactivate themself."})


class TokenIn(Schema):
    label = SingleLine(validate=validate.Length(max=120), metadata={
        "description": "Which device or station uses it (default: self-service)."})
    days = fields.Integer(strict=True, validate=validate.Range(min=1), metadata={
        "description": "Lifetime in days: at most, and by default, the server's API_TOKEN_DAYS "
                       "(365 unless configured)."})


class TokenInfo(Schema):
    id = fields.Integer()
    label = fields.String(allow_none=True)
    created_at = fields.String()
    expires_at = fields.String(metadata={
        "description": "After this the token answers 401 token_expired."})
    revoked_at = fields.String(allow_none=True)


class TokenOut(TokenInfo):
    token = fields.String(allow_none=True, metadata={
        "description": "Shown once, when issued; store it, it cannot be read again."})
