"""Navigation by role: each domain adds its pages here, the base layout shows them."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset[str]


NAV: list[NavItem] = [
    NavItem("web.index", _l("Home"), frozenset({"admin", "regulator", "filler", "driver",
                                               "inspector", "printer"})),
]


ROLE_LABELS = {
    "admin": _l("Administrator"), "regulator": _l("Regulator"), "filler": _l("Filling operator"),
    "driver": _l("Delivery driver"), "inspector": _l("Inspector"), "printer": _l("Label printer"),
}


def add_nav(endpoint: str, label: object, *roles: str) -> None:
    """Add a page to the navigation for some roles."""
    NAV.append(NavItem(endpoint, label, frozenset(roles)))


def nav_for(role: str | None) -> list[NavItem]:
    """Return the pages a role sees in the navigation."""
    return [item for item in NAV if role in item.roles]
