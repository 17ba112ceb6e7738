"""Rules for organisations, users and tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import ORG_KINDS, ROLES, ApiToken, Organisation, User, UserStatusChange
from app.auth.token_cache import token_cache
from app.database import utcnow
from app.errors import N_, APIError, Conflict, Forbidden, NotFound, Term, ValidationFailed
from app.extensions import db
from app.text_fields import require_clean_text

# Which roles make sense in which kind of organisation.
ROLES_BY_KIND = {
    "regulator": {"admin", "regulator"},
    "filling_station": {"admin", "filler", "driver"},
    "gas_company": {"admin", "driver", "filler"},
    "inspection_agency": {"admin", "inspector"},
    "printer": {"admin", "printer"},
    "manufacturer": {"admin"},
}
# kinds and roles inside a refusal's sentence, in the reader's language (the menu's role names)
KIND_WORDS = {"filling_station": N_("filling station"), "gas_company": N_("gas company"),
              "inspection_agency": N_("inspection agency"), "regulator": N_("regulator"),
              "printer": N_("print shop"), "manufacturer": N_("manufacturer")}
ROLE_WORDS = {"admin": N_("Administrator"), "regulator": N_("Regulator"),
              "filler": N_("Filling operator"), "driver": N_("Delivery driver"),
              "inspector": N_("Inspector"), "printer": N_("Label printer")}
NO_USER, NO_TOKEN = N_("No user %(id)s."), N_("No token %(id)s.")


def hash_token(token: str) -> str:
    """Hash an API token for storage; tokens carry 256 random bits, so SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_org(name: str, kind: str) -> Organisation:
    """Register an organisation of a known kind with a unique name."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(N_("Organisation name is required."))
    require_clean_text(name, "name")  # the CLI and seeds come here without the schema
    if kind not in ORG_KINDS:
        raise ValidationFailed(N_("kind must be one of %(choices)s."),
                               values={"choices": ", ".join(ORG_KINDS)}, code="invalid_kind")
    if db.session.scalar(select(Organisation.id).where(Organisation.name == name)):
        raise Conflict(N_("An organisation named %(name)s exists already."),
                       values={"name": repr(name)}, code="duplicate_org")
    org = Organisation(name=name, kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def get_org(org_id: int) -> Organisation:
    """Return an organisation or raise NotFound."""
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(N_("No organisation %(id)s."), values={"id": org_id},
                       code="org_not_found")
    return org


def create_user(actor: User | None, name: str, org_id: int, role: str,
                password: str | None = None, display_name: str | None = None) -> User:
    """Create a user; platform admins may create anywhere, org admins only in their own org."""
    org = get_org(org_id)
    if role not in ROLES:
        raise ValidationFailed(N_("role must be one of %(choices)s."),
                               values={"choices": ", ".join(ROLES)}, code="invalid_role")
    if role not in ROLES_BY_KIND[org.kind]:
        raise ValidationFailed(N_("A %(kind)s cannot have a %(role)s user."),
                               values={"kind": Term(org.kind, KIND_WORDS),
                                       "role": Term(role, ROLE_WORDS)}, code="role_not_for_org")
    if (actor is not None and not actor.is_platform_admin
            and (actor.role != "admin" or actor.org_id != org.id)):
        raise Forbidden(N_("You may only create users in your own organisation."))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(N_("User name is required."))
    require_clean_text(name, "name")
    require_clean_text(display_name, "display_name")
    if db.session.scalar(select(User.id).where(User.name == name)):
        raise Conflict(N_("A user named %(name)s exists already."), values={"name": repr(name)},
                       code="duplicate_user")
    if password is not None and len(password) < 8:
        raise ValidationFailed(N_("Passwords need at least 8 characters."), code="weak_password")
    user = User(name=name, org_id=org.id, role=role, display_name=display_name,
                password_hash=generate_password_hash(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def roles_for_kind(kind: str) -> list[str]:
    """The roles an organisation of this kind may give its users, in the role table's order."""
    return [role for role in ROLES if role in ROLES_BY_KIND[kind]]


# no 0/O, 1/l/I: a generated password is read off a screen and typed on a phone
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 12) -> str:
    """A random first password (about 70 bits) for an admin to hand over once."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def administers(actor: User, org_id: int) -> bool:
    """Whether the actor manages the org's users: its own admins, and platform admins anywhere."""
    return actor.is_platform_admin or (actor.role == "admin" and actor.org_id == org_id)


def list_users(actor: User, org_id: int | None = None) -> list[User]:
    """The users of an organisation (the actor's own by default; every user for platform admins
    who name none), so an admin can find whom to deactivate."""
    if org_id is None and not actor.is_platform_admin:
        org_id = actor.org_id
    query = select(User).order_by(User.org_id, User.id)
    if org_id is not None:
        get_org(org_id)
        if not administers(actor, org_id):
            raise Forbidden(N_("You may only manage users of your own organisation."))
        query = query.where(User.org_id == org_id)
    return list(db.session.scalars(query))


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate or reactivate a user, recording who did it and when.

    Another organisation's user is answered as a missing one. Nobody deactivates themself, so
    an organisation cannot lock out its last admin by accident. The commit bumps the token
    cache's generation (an ORM change to a user), so every worker drops the user's tokens at
    once; web sessions are checked against `active` on every request (`loaders.load_user`).
    """
    # the row lock orders two admins changing the same user (PostgreSQL; SQLite has one writer)
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update(of=User))
    if user is None or not administers(actor, user.org_id):
        raise NotFound(NO_USER, values={"id": user_id}, code="user_not_found")
    if user.id == actor.id and not active:
        raise Forbidden(N_("You may not deactivate yourself; ask another administrator."),
                        code="self_deactivation")
    if user.active != active:
        user.active = active
        db.session.add(UserStatusChange(user_id=user.id, active=active, changed_by_id=actor.id,
                                        changed_at=utcnow()))
        db.session.flush()
    return user


def describe_users(users: list[User]) -> list[dict]:
    """Users as the API shows them: an inactive one says who deactivated it and when."""
    inactive = [u.id for u in users if not u.active]
    last: dict[int, UserStatusChange] = {}
    if inactive:
        for change in db.session.scalars(select(UserStatusChange).where(
                UserStatusChange.user_id.in_(inactive)).order_by(UserStatusChange.id)):
            last[change.user_id] = change  # the latest wins
    out = []
    for user in users:
        change = last.get(user.id)
        off = change is not None and not change.active
        out.append({**user.to_dict(),
                    "deactivated_at": change.changed_at.isoformat() if off else None,
                    "deactivated_by_id": change.changed_by_id if off else None})
    return out


class TokenExpired(APIError):
    """A known, unrevoked token past its `expires_at`: its owner needs a new one."""

    status = 401
    code = "token_expired"


def issue_token(user: User, label: str | None = None, days: int | None = None) -> str:
    """Create an API token for a user and return it; only its hash is stored."""
    return new_token(user, label, days)[0]


def new_token(user: User, label: str | None = None,
              days: int | None = None) -> tuple[str, ApiToken]:
    """Create an API token living `days` (at most, and by default, API_TOKEN_DAYS)."""
    longest = current_app.config["API_TOKEN_DAYS"]
    if days is not None and days > longest:
        raise ValidationFailed(N_("A token lives at most %(days)s days."), values={"days": longest},
                               code="lifetime_too_long")
    token = "lpg_" + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, created_at=now,
                   expires_at=now + dt.timedelta(days=days or longest))
    db.session.add(row)
    db.session.flush()
    return token, row


def list_tokens(user: User) -> list[ApiToken]:
    """The user's own tokens, oldest first, revoked and expired ones included."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id)))


def managed_user(actor: User, user_id: int) -> User:
    """A user the actor administers, or the actor themself.

    Another organisation's user is answered as a missing one, as in `set_user_active`.
    """
    user = db.session.get(User, user_id)
    if user is None or not (user.id == actor.id or administers(actor, user.org_id)):
        raise NotFound(NO_USER, values={"id": user_id}, code="user_not_found")
    return user


def tokens_of(actor: User, user_id: int) -> list[ApiToken]:
    """A user's tokens, for the admin who would revoke a lost device's (never the secrets)."""
    return list_tokens(managed_user(actor, user_id))


def user_for_token(token: str) -> User | None:
    """Return the active user that owns an unrevoked token (cached per worker, see token_cache).

    An unknown or revoked token, or a deactivated user's, is None; a valid token past its
    expiry raises TokenExpired. The expiry is checked on cache hits too, without a query.
    """
    digest = hash_token(token)
    cache = token_cache()
    generation = cache.generation() if cache is not None else -1
    if cache is not None:
        cached = cache.get(digest, generation)
        if cached is not None:
            user, expires_at = cached
            _refuse_expired(expires_at)
            return db.session.merge(user, load=False)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if cache is not None:
        cache.put(digest, row.user, row.expires_at, generation)
    _refuse_expired(row.expires_at)
    return row.user


def _refuse_expired(expires_at: dt.datetime) -> None:
    if expires_at <= utcnow():
        raise TokenExpired(N_("The API token has expired; sign in and create a new one."))


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token: its owner, their org admin or a platform admin may."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(NO_TOKEN, values={"id": token_id})
    allowed = (row.user_id == actor.id or actor.is_platform_admin
               or (actor.role == "admin" and actor.org_id == row.user.org_id))
    if not allowed:
        raise NotFound(NO_TOKEN, values={"id": token_id})
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
