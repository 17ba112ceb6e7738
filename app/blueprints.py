"""Register every blueprint: one per domain area."""
from __future__ import annotations

from flask import Flask

from app.extensions import api, csrf


def register_blueprints(app: Flask) -> None:
    """Attach pages and API blueprints; API blueprints use tokens, so CSRF applies per request."""
    from app.auth.api import blp as auth_api
    from app.auth.cli import register_auth_cli
    from app.demo import seed_demo_command
    from app.oversight import register_oversight
    from app.traceability.api import blp as registry_api
    from app.traceability.cli import register_registry_cli
    from app.web.views import bp as web

    app.register_blueprint(web)
    for blueprint in (auth_api, registry_api):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    register_registry_cli(app)
    register_auth_cli(app)
    app.cli.add_command(seed_demo_command)
    register_oversight(app)
