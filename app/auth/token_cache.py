"""Remember, per worker process, which user a bearer token belongs to.

Looking a token up costs a query and three ORM objects on every API request; stations send
one every few seconds all day. A hit costs one `stat` and a merge of the cached user into the
request's session instead.

Revocation still holds: every committed ORM change to a user, a token or an organisation
appends a byte to `<INSTANCE_DIR>/auth-generation`; each worker stats that file before it
trusts its cache and drops the cache when the file grew, so on one host a revoked token or a
deactivated user is refused from the next request on, in every worker. A cached entry also
expires after `AUTH_CACHE_SECONDS` (default 5): the bound for servers on other hosts that
share the database, and for changes made with raw SQL. `AUTH_CACHE_SECONDS = 0` turns the
cache off. The token's own expiry (`api_tokens.expires_at`) rides in the entry, so a hit
refuses an expired token without a query.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from app.auth.models import ApiToken, Organisation, User
from app.generation import GenerationFile

GENERATION_FILE = "auth-generation"
AUTH_MODELS = (User, ApiToken, Organisation)


class TokenCache:
    """Token hash -> detached copy of its user and the token's expiry, valid for one generation
    and a few seconds."""

    def __init__(self, generations: GenerationFile, ttl: float) -> None:
        self.generations, self.ttl = generations, ttl
        self._entries: dict[str, tuple[User, dt.datetime, int, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.generations.path is not None and self.ttl > 0

    def generation(self) -> int:
        """The size of the generation file: it only grows, one byte per change."""
        return self.generations.value()

    def get(self, token_hash: str, generation: int) -> tuple[User, dt.datetime] | None:
        """The token's user and the token's expiry, if cached in this generation."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        user, token_expires, seen, expires = entry
        if seen != generation or time.monotonic() > expires or generation < 0:
            self._entries.pop(token_hash, None)
            return None
        return user, token_expires

    def put(self, token_hash: str, user: User, token_expires: dt.datetime,
            generation: int) -> None:
        """Keep a detached copy of the user and its organisation (read only, shared by threads),
        and the token's expiry, so that an expired token is refused without a query."""
        if not self.enabled or generation < 0:
            return
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token_hash] = (_detached_copy(user), token_expires, generation,
                                         time.monotonic() + self.ttl)

    def bump(self) -> None:
        """Tell every worker on this host that users or tokens changed."""
        self._entries.clear()
        self.generations.bump()


def _copy_columns(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in type(obj).__table__.columns}


def _detached_copy(user: User) -> User:
    org = Organisation(**_copy_columns(user.org))
    make_transient_to_detached(org)
    copy = User(**_copy_columns(user), org=org)
    make_transient_to_detached(copy)
    return copy


def init_token_cache(app: Flask) -> None:
    """Give the app its cache, with the generation file in its instance directory."""
    generations = GenerationFile.in_instance(app.config["INSTANCE_DIR"], GENERATION_FILE)
    app.extensions["token_cache"] = TokenCache(generations,
                                               float(app.config.get("AUTH_CACHE_SECONDS", 5)))


def token_cache() -> TokenCache | None:
    return current_app.extensions.get("token_cache") if has_app_context() else None


@event.listens_for(Session, "before_flush")
def _note_auth_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AUTH_MODELS):
            session.info["auth_changed"] = True
            return


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop("auth_changed", False):
        cache = token_cache()
        if cache is not None:
            cache.bump()

