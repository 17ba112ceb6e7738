"""The delivery round: vehicles, areas, assignments, customers, dispatch, doorstep handover
with the safety check, returns, the hazard ledger and offline sync. Builds on traceability."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def register_delivery(app: Flask) -> None:
    """Wire the custody observer, the refusal shape, the CLI and the navigation (once)."""
    from app.delivery import custody, locate  # noqa: F401 - register observer and locator
    from app.delivery.cli import hazards_cli
    from app.delivery.errors import register_refusal_handler
    from app.delivery.models import Custody
    from app.traceability.events import read_with_lookup
    from app.web.nav import NAV, add_nav

    register_refusal_handler(app)
    read_with_lookup(custody.CUSTODY, Custody.__table__)
    app.cli.add_command(hazards_cli)
    if any(item.endpoint.startswith("delivery_pages.") for item in NAV):
        return
    add_nav("delivery_pages.driver", _l("My round"), "driver")
    add_nav("company_pages.vehicles", _l("Vehicles"), "admin")
    add_nav("company_pages.areas", _l("Delivery areas"), "admin")
    add_nav("company_pages.assignments", _l("Assignments"), "admin")
    add_nav("company_pages.customers", _l("Customers"), "admin")
    add_nav("company_pages.hazards", _l("Hazard ledger"), "admin", "regulator")
