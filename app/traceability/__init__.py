"""Codes, cylinders, rules, events and their chain, flags."""
from __future__ import annotations

from flask import Flask


def register_registry_pages(app: Flask) -> None:
    """Attach the registration and rule-table pages and their navigation entries (once: the
    menu is shared)."""
    from flask_babel import lazy_gettext as _l

    from app.traceability.rule_views import bp as rule_pages
    from app.traceability.views import ROLES, bp
    from app.web.nav import NAV, add_nav

    app.register_blueprint(bp)
    app.register_blueprint(rule_pages)
    if not any(item.endpoint == "registry_pages.register" for item in NAV):
        add_nav("registry_pages.register", _l("Register cylinders"), *ROLES)
        add_nav("rule_pages.index", _l("Rule table"), "admin", "regulator")
