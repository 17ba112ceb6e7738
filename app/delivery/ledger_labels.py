"""The hazard ledger's words in the reader's language: the page, the API's item labels and
the exported workbook (`ledger_export`) all name items, severities and statuses with these.
"""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.delivery.rules import DeliveryRules

STATUS_LABELS = {"open": _l("Open"), "rectified": _l("Rectified, to be verified"),
                 "verified": _l("Verified and closed")}
SEVERITY_LABELS = {"major": _l("Major"), "general": _l("General")}


def item_label(rules: DeliveryRules, code: str) -> str:
    """A checklist item's name: the rules carry it in both languages."""
    try:
        item = rules.item(code)
    except KeyError:  # an item a deployment has since dropped from its rules
        return code
    return item.en if str(get_locale()) == "en" else item.zh


def item_choices(rules: DeliveryRules) -> list[tuple[str, str]]:
    return [(i.code, item_label(rules, i.code)) for i in rules.items]
