"""Wire Flask-Login to sessions, bearer tokens and the role table."""
from __future__ import annotations

from flask import Flask, Request, g

from app.auth.models import User
from app.auth.policy import _bearer_token, enforce_access
from app.auth.token_cache import init_token_cache
from app.extensions import db, login_manager


def init_login(app: Flask) -> None:
    """Load users from the session or a bearer token, then enforce the role table."""
    login_manager.login_view = "web.login"
    init_token_cache(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # A request that sends a token is judged by that token alone (the request loader
        # below): a session cookie beside it must not stand in for a revoked or made-up one.
        if _bearer_token() is not None:
            return None
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def load_from_token(_req: Request) -> User | None:
        from app.auth.services import TokenExpired, user_for_token

        token = _bearer_token()
        if not token:
            return None
        try:
            return user_for_token(token)
        except TokenExpired as exc:  # enforce_access answers it: 401 token_expired
            g.token_refusal = exc
            return None

    app.before_request(enforce_access)
