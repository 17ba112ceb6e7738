"""Checks that other domains add to the filling interlock (e.g. the product blacklist).

Each check takes the cylinder and the acting user and returns refusal reasons; the interlock
runs its own rules plus every registered check, so a domain adds a rule without editing it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
