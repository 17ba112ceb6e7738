"""Names of flag kinds and clone rules, in the reader's language: for pages and for the
monthly report's files, which follow the request's language as the pages do."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

FLAG_KIND_LABELS = {
    "black_cylinder": _l("Black cylinder"), "fill_refused": _l("Fill refused"),
    "not_owned": _l("Not our cylinder"), "overfill": _l("Overfilled"),
    "out_of_zone": _l("Delivered outside its area"), "wrong_vehicle": _l("Wrong vehicle"),
    "no_safety_check": _l("No safety check"), "clone_suspected": _l("Suspected cloned code"),
    "blacklisted": _l("Blacklisted product"), "hazard_overdue": _l("Hazard overdue"),
}
CLONE_RULE_LABELS = {
    "filled_at_two_stations": _l("filled at two stations too close together"),
    "delivered_too_far_apart": _l("delivered too far apart for the time between"),
}


def flag_label(kind: str | None) -> str:
    """A flag kind's name for the page; an unknown kind shows as stored."""
    return str(FLAG_KIND_LABELS.get(kind or "", kind or ""))


def rule_label(rule: str | None) -> str:
    return str(CLONE_RULE_LABELS.get(rule or "", rule or ""))
