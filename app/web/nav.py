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


# The menu's order, in one place: each role's daily work first (the scale, the round, the
# search), then setting up (cylinders, codes, entrustments, the fleet), then the ledgers,
# reports and accounts. Pages not listed follow, in the order their packages added them.
ORDER = ("web.index", "filling.index", "delivery_pages.driver", "oversight_desk.desk_page",
         "oversight.search",
         "oversight_flags.flags", "oversight.blacklist_page", "registry_pages.register",
         "rule_pages.index", "code_batches.batches", "printing.index", "entrustments.index",
         "company_pages.vehicles", "company_pages.areas", "company_pages.assignments",
         "company_pages.customers", "company_pages.hazards", "oversight_due.due",
         "oversight.reports", "user_pages.users")


def nav_for(role: str | None) -> list[NavItem]:
    """Return the pages a role sees in the navigation, in the menu's order."""
    rank = {endpoint: place for place, endpoint in enumerate(ORDER)}
    return sorted((item for item in NAV if role in item.roles),
                  key=lambda item: rank.get(item.endpoint, len(ORDER)))
