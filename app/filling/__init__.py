"""The filling point: the interlock before every fill, fill records, entrustments."""
from __future__ import annotations

from flask import Flask


def register_filling(app: Flask) -> None:
    """Add the filling and entrustment pages to the navigation, once: the menu is shared
    by every app."""
    from flask_babel import lazy_gettext as _l

    from app.web.nav import NAV, add_nav

    if not any(item.endpoint == "filling.index" for item in NAV):
        add_nav("filling.index", _l("Filling check"), "filler")
        add_nav("entrustments.index", _l("Entrustments"), "admin", "regulator")
