"""Register every blueprint: one per domain area."""
from __future__ import annotations

from flask import Flask

from app.extensions import api, csrf


def register_blueprints(app: Flask) -> None:
    """Attach pages and API blueprints; API blueprints use tokens, so CSRF applies per request."""
    from app.auth.api import blp as auth_api
    from app.auth.cli import register_auth_cli
    from app.demo import seed_demo_command
    from app.printing.api import blp as printing_api
    from app.printing.cli import register_printing_cli
    from app.printing.views import register_printing
    from app.traceability.api import blp as registry_api
    from app.traceability.cli import register_registry_cli
    from app.web.views import bp as web

    app.register_blueprint(web)
    register_printing(app)
    for blueprint in (auth_api, registry_api, printing_api):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    register_registry_cli(app)
    register_auth_cli(app)
    register_printing_cli(app)
    app.cli.add_command(seed_demo_command)
