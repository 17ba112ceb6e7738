"""Application factory: bind extensions and blueprints, nothing else."""
from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request, session

from app.config import load_config
from app.extensions import api, babel, csrf, db, limiter, login_manager, migrate


def select_locale() -> str:
    """Chinese by default; English when the user picked it or asked for it.

    Outside a request (a CLI command, a service called from a test) there is no one to ask:
    Chinese, unless the caller forces a locale (`flask_babel.force_locale`).
    """
    if not has_request_context():
        return "zh_CN"
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in ("zh_CN", "en"):
        return chosen
    return "zh_CN"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask application."""
    app = Flask(__name__, instance_path=None)
    app.config.update(load_config())
    if config:
        app.config.update(config)

    from app.database import init_db
    from app.routing import init_routing

    init_routing(app)
    init_db(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=_translation_dirs())
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    api.init_app(app)

    from app.auth.loaders import init_login

    init_login(app)

    from app.request_text import init_request_text

    init_request_text(app)

    from app.idempotency import init_idempotency

    init_idempotency(app)

    from app.errors import register_error_handlers

    register_error_handlers(app)

    from app.blueprints import register_blueprints

    register_blueprints(app)

    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale

    from app.security import init_security_headers, trust_proxies

    init_security_headers(app)
    trust_proxies(app)
    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _translation_dirs() -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parent
    return ";".join(str(p) for p in sorted(root.glob("**/translations")))
