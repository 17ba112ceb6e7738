"""Navigation by role: each domain adds its pages here, the base layout shows them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset[str]
    # whether a signed-in user of one of the roles may open it (e.g. a gas company's pages)
    when: Callable[[Any], bool] | None = None


NAV: list[NavItem] = [
    NavItem("web.index", _l("Home"), frozenset({"admin", "regulator", "filler", "driver",
                                               "inspector", "printer"})),
]


ROLE_LABELS = {
    "admin": _l("Administrator"), "regulator": _l("Regulator"), "filler": _l("Filling operator"),
    "driver": _l("Delivery driver"), "inspector": _l("Inspector"), "printer": _l("Label printer"),
}


def add_nav(endpoint: str, label: object, *roles: str,
            when: Callable[[Any], bool] | None = None) -> None:
    """Add a page to the navigation for some roles (and, with `when`, only the users of those
    roles whose organisation the page serves: no menu entry that answers 403)."""
    NAV.append(NavItem(endpoint, label, frozenset(roles), when))


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


def nav_for(role: str | None, user: Any = None) -> list[NavItem]:
    """Return the pages a role (and, given, this user) sees in the navigation, in order."""
    rank = {endpoint: place for place, endpoint in enumerate(ORDER)}
    return sorted((item for item in NAV if role in item.roles
                   and (user is None or item.when is None or item.when(user))),
                  key=lambda item: rank.get(item.endpoint, len(ORDER)))
