"""Checks that other domains add to the filling interlock (e.g. the product blacklist), and
the locators that tell in which delivery area a flag was seen.

Each check takes the cylinder and the acting user and returns refusal reasons; the interlock
runs its own rules plus every registered check, so a domain adds a rule without editing it.
Flag locators work the same way: the registry knows nothing of delivery areas, the delivery
package registers one that does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.auth.models import User
from app.traceability.models import Cylinder


@dataclass(frozen=True)
class Reason:
    code: str
    message: str  # Chinese, for the operator
    message_en: str


FillCheck = Callable[[Cylinder, User], list[Reason]]
_FILL_CHECKS: list[FillCheck] = []


def register_fill_check(check: FillCheck) -> FillCheck:
    """Add a check to the filling interlock."""
    if check not in _FILL_CHECKS:
        _FILL_CHECKS.append(check)
    return check


def extra_fill_reasons(cylinder: Cylinder, user: User) -> list[Reason]:
    """Run every registered check and collect their reasons."""
    reasons: list[Reason] = []
    for check in _FILL_CHECKS:
        reasons.extend(check(cylinder, user))
    return reasons


FlagLocator = Callable[[str, "Cylinder | None", "User | None", dict[str, Any]], "int | None"]
_FLAG_LOCATORS: list[FlagLocator] = []


def register_flag_locator(locator: FlagLocator) -> FlagLocator:
    """Add a way to find the delivery area a flag was seen in."""
    if locator not in _FLAG_LOCATORS:
        _FLAG_LOCATORS.append(locator)
    return locator


def flag_area(kind: str, cylinder: Cylinder | None, actor: User | None,
              details: dict[str, Any]) -> int | None:
    """The first area a registered locator finds for a new flag, or None."""
    for locator in _FLAG_LOCATORS:
        area_id = locator(kind, cylinder, actor, details)
        if area_id is not None:
            return area_id
    return None
