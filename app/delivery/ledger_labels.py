"""The hazard ledger's words on pages, in the reader's language.

The exported ledger (`ledger_export`) is the document a district office files and stays in
Chinese; the page shows the same rows and counts in the language the reader chose.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
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


def page_rows(rows: Sequence[dict[str, Any]], rules: DeliveryRules) -> list[dict[str, Any]]:
    """The export's rows with item, severity and status named for the page."""
    out = []
    for row in rows:
        h = row["hazard"]
        out.append({**row, "item": item_label(rules, h.item),
                    "severity": str(SEVERITY_LABELS.get(h.severity, h.severity)),
                    "status": str(STATUS_LABELS.get(h.status, h.status))})
    return out


def page_counts(counts: dict[str, Any], rules: DeliveryRules) -> dict[str, Any]:
    """The labelled counts (`ledger_export.label_counts`) named for the page."""
    out = dict(counts)
    out["by_area_named"] = [{**e, "label": e["label"] if e["key"] else _("Not in a delivery area")}
                            for e in counts["by_area_named"]]
    out["by_item_named"] = [{**e, "label": item_label(rules, e["key"])}
                            for e in counts["by_item_named"]]
    out["by_status_named"] = [{**e, "label": str(STATUS_LABELS.get(e["key"], e["key"]))}
                              for e in counts["by_status_named"]]
    return out
