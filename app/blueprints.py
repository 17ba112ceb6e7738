"""Register every blueprint: one per domain area."""
from __future__ import annotations

from flask import Flask

from app.extensions import api, csrf


def register_blueprints(app: Flask) -> None:
    """Attach pages and API blueprints; API blueprints use tokens, so CSRF applies per request."""
    from app.auth.api import blp as auth_api
    from app.auth.cli import register_auth_cli
    from app.auth.views import register_user_pages
    from app.delivery import register_delivery
    from app.delivery.api import blp as delivery_setup_api
    from app.delivery.company_views import bp as company_pages
    from app.delivery.ledger_api import blp as hazard_api
    from app.delivery.round_api import blp as delivery_round_api
    from app.delivery.views import bp as delivery_pages
    from app.demo import seed_demo_command
    from app.filling import register_filling
    from app.filling.api import blp as filling_api
    from app.filling.entrustment_views import bp as entrustment_pages
    from app.filling.views import bp as filling_pages
    from app.oversight import register_oversight
    from app.printing import register_printing
    from app.printing.api import blp as printing_api
    from app.printing.cli import register_printing_cli
    from app.traceability import register_registry_pages
    from app.traceability.api import blp as registry_api
    from app.traceability.cli import register_registry_cli
    from app.web.views import bp as web

    app.register_blueprint(web)
    register_printing(app)
    app.register_blueprint(delivery_pages)
    app.register_blueprint(company_pages)
    app.register_blueprint(filling_pages)
    register_registry_pages(app)
    app.register_blueprint(entrustment_pages)
    for blueprint in (auth_api, registry_api, printing_api, delivery_setup_api,
                      delivery_round_api, hazard_api, filling_api):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    register_registry_cli(app)
    register_auth_cli(app)
    register_printing_cli(app)
    register_delivery(app)
    register_filling(app)
    app.cli.add_command(seed_demo_command)
    register_oversight(app)
    register_user_pages(app)  # last in the admin's navigation
