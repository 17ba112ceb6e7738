"""The role table: one decorator declares who may call a view, one hook enforces it.

Every endpoint must declare its access; an undeclared endpoint is refused (fail closed),
and a test walks every route to make sure none is left undeclared.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from app.auth.models import ROLES

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
OVERSIGHT_ROLES = {"regulator", "inspector"}
ANY_USER = "any"

# Endpoints that belong to libraries rather than to our blueprints.
LIBRARY_ENDPOINTS = {
    "static": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api-docs.openapi_swagger_ui": PUBLIC,
}


@dataclass(frozen=True)
class Access:
    """Who may call a view: a set of roles, any signed-in user, or the public."""

    roles: frozenset[str]

    @property
    def public(self) -> bool:
        return PUBLIC in self.roles

    def admits(self, role: str | None) -> bool:
        if self.public:
            return True
        if role is None:
            return False
        return ANY_USER in self.roles or role in self.roles

    def label(self) -> str:
        if self.public:
            return "public"
        if ANY_USER in self.roles:
            return "any signed-in user"
        return ", ".join(r for r in ROLES if r in self.roles)


def allow(*roles: str) -> Callable[[F], F]:
    """Declare which roles may call this view (`public` for everyone, `any` for any user)."""
    for role in roles:
        if role not in ROLES and role not in (PUBLIC, ANY_USER):
            raise ValueError(f"unknown role {role!r}")

    def mark(view: F) -> F:
        view._access = Access(frozenset(roles))  # type: ignore[attr-defined]
        return view

    return mark


def access_for(app: Flask, endpoint: str, method: str = "GET") -> Access | None:
    """Find the declared access of an endpoint (and method, for class-based views)."""
    if endpoint in LIBRARY_ENDPOINTS:
        return Access(frozenset({LIBRARY_ENDPOINTS[endpoint]}))
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        return getattr(handler, "_access", None)
    return getattr(view, "_access", None)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def enforce_access() -> Any:
    """Authenticate the caller and check the role table before any view runs."""
    from app.errors import N_, APIError

    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 handled by Flask
    access = access_for(current_app, endpoint, request.method)
    token = _bearer_token()
    user = current_user._get_current_object()  # one load; the proxy looks it up on each use
    g.auth_via = None
    if token is not None:
        if not user.is_authenticated:
            raise g.pop("token_refusal", None) or APIError(
                N_("The API token is invalid or revoked."), code="invalid_token", status=401)
        g.auth_via = "token"
    elif user.is_authenticated:
        g.auth_via = "session"
    if access is None:
        abort(403, description="This endpoint has no access rule; refused by default.")
    if access.public:
        return None
    if not user.is_authenticated:
        if _is_api():
            raise APIError(N_("Sign in or send an API token."), code="unauthorized", status=401)
        return redirect(url_for("web.login", next=request.full_path))
    if not access.admits(user.role):
        raise APIError(N_("Your role may not do this."), code="role_forbidden", status=403)
    if g.auth_via == "session" and _is_api() and request.method not in ("GET", "HEAD", "OPTIONS"):
        from app.extensions import csrf

        csrf.protect()
    return None


def role_table(app: Flask) -> list[tuple[str, str, str, str]]:
    """List (path, method, endpoint, who) for every route, for the docs and the route walk."""
    rows = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            access = access_for(app, rule.endpoint, method)
            rows.append((rule.rule, method, rule.endpoint, access.label() if access else "DENIED"))
    return sorted(rows)


def is_oversight(user: Any) -> bool:
    """Regulators, inspectors and platform admins act across organisations."""
    return user.role in OVERSIGHT_ROLES or user.is_platform_admin
