"""Rules for organisations, users and tokens."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import ORG_KINDS, ROLES, ApiToken, Organisation, User
from app.auth.token_cache import token_cache
from app.database import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db

# Which roles make sense in which kind of organisation.
ROLES_BY_KIND = {
    "regulator": {"admin", "regulator"},
    "filling_station": {"admin", "filler", "driver"},
    "gas_company": {"admin", "driver", "filler"},
    "inspection_agency": {"admin", "inspector"},
    "printer": {"admin", "printer"},
    "manufacturer": {"admin"},
}


def hash_token(token: str) -> str:
    """Hash an API token for storage; tokens carry 256 random bits, so SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_org(name: str, kind: str) -> Organisation:
    """Register an organisation of a known kind with a unique name."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Organisation name is required.")
    if kind not in ORG_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(ORG_KINDS)}.", code="invalid_kind")
    if db.session.scalar(select(Organisation.id).where(Organisation.name == name)):
        raise Conflict(f"An organisation named {name!r} exists already.", code="duplicate_org")
    org = Organisation(name=name, kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def get_org(org_id: int) -> Organisation:
    """Return an organisation or raise NotFound."""
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"No organisation {org_id}.", code="org_not_found")
    return org


def create_user(actor: User | None, name: str, org_id: int, role: str,
                password: str | None = None, display_name: str | None = None) -> User:
    """Create a user; platform admins may create anywhere, org admins only in their own org."""
    org = get_org(org_id)
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}.", code="invalid_role")
    if role not in ROLES_BY_KIND[org.kind]:
        raise ValidationFailed(f"A {org.kind} cannot have a {role} user.", code="role_not_for_org")
    if (actor is not None and not actor.is_platform_admin
            and (actor.role != "admin" or actor.org_id != org.id)):
        raise Forbidden("You may only create users in your own organisation.")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("User name is required.")
    if db.session.scalar(select(User.id).where(User.name == name)):
        raise Conflict(f"A user named {name!r} exists already.", code="duplicate_user")
    if password is not None and len(password) < 8:
        raise ValidationFailed("Passwords need at least 8 characters.", code="weak_password")
    user = User(name=name, org_id=org.id, role=role, display_name=display_name,
                password_hash=generate_password_hash(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(user: User, label: str | None = None) -> str:
    """Create an API token for a user and return it; only its hash is stored."""
    token = "lpg_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """Return the active user that owns an unrevoked token (cached per worker, see token_cache)."""
    digest = hash_token(token)
    cache = token_cache()
    generation = cache.generation() if cache is not None else -1
    if cache is not None:
        cached = cache.get(digest, generation)
        if cached is not None:
            return db.session.merge(cached, load=False)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if cache is not None:
        cache.put(digest, row.user, generation)
    return row.user


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token: its owner, their org admin or a platform admin may."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"No token {token_id}.")
    allowed = (row.user_id == actor.id or actor.is_platform_admin
               or (actor.role == "admin" and actor.org_id == row.user.org_id))
    if not allowed:
        raise NotFound(f"No token {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


_DUMMY_HASH: list[str] = []


def authenticate(name: str, password: str) -> User | None:
    """Check a login name and password, taking as long for an unknown name as for a known one."""
    user = db.session.scalar(select(User).where(User.name == name))
    if user is None or not user.password_hash or not user.active:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(generate_password_hash(secrets.token_hex(16)))
        check_password_hash(_DUMMY_HASH[0], password)  # no answer-time hint that a name exists
        return None
    return user if check_password_hash(user.password_hash, password) else None
