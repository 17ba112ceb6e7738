"""The delivery round: vehicles, areas, assignments, customers, dispatch, doorstep handover
with the safety check, returns, the hazard ledger and offline sync. Builds on traceability."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.auth.policy import is_oversight


def _gas_company(user: Any) -> bool:
    """The fleet, customer and ledger pages serve a gas company's administrator."""
    return user.org.kind == "gas_company"


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
    for endpoint, label in (("company_pages.vehicles", _l("Vehicles")),
                            ("company_pages.areas", _l("Delivery areas")),
                            ("company_pages.assignments", _l("Assignments")),
                            ("company_pages.customers", _l("Customers"))):
        add_nav(endpoint, label, "admin", when=_gas_company)
    add_nav("company_pages.hazards", _l("Hazard ledger"), "admin", "regulator",
            when=lambda user: is_oversight(user) or _gas_company(user))
