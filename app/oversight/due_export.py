"""Expiry alerts as a workbook an owner hands to the inspection agency, in the request's
language (Chinese by default); codes, names and dates as stored."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext
from openpyxl import Workbook

from app.oversight.due import DueItem
from app.oversight.services import org_names
from app.spreadsheet import append_row, register_sheet, workbook_bytes
from app.traceability.codes import format_code

WIDTHS = (6, 24, 16, 10, 24, 24, 18, 14, 16, 14, 10)
# The page's words for the kinds, but 设计使用年限 (design service life) in full, as the
# file's column of that date says it.
KIND_LABELS = {"inspection_overdue": _l("Inspection overdue"),
               "beyond_service_life": _l("Beyond design service life"),
               "inspection_due": _l("Inspection due soon"),
               "life_ending": _l("Design service life ending soon")}


def _headers() -> tuple[str, ...]:
    return (_("No."), pgettext("register", "Cylinder code"), _("Serial number"), _("Model"),
            _("Manufacturer"), _("Owner"), _("Registration number"), _("Next inspection due"),
            _("Design service life ends"), _("Alert"), _("Days left"))


def _kind(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def due_workbook(items: Sequence[DueItem], summary: dict[str, int], scope: str,
                 within_days: int, on: dt.date) -> bytes:
    """Build the XLSX: a title, scope and window, headers, one row per cylinder, totals."""
    owners = org_names({i.cylinder.owner_org_id for i in items})
    wb = Workbook()
    info = [_("Owner: %(scope)s", scope=scope), None, None, None,
            _("As of: %(date)s", date=on.isoformat()), None,
            ngettext("Alert window: %(num)s day", "Alert window: %(num)s days", within_days), None,
            _("%(count)s entries", count=len(items))]
    title = _("Cylinder periodic inspection and scrapping due alerts")
    register_sheet(wb, _("Expiry alerts"), title, info, _headers(), WIDTHS, (
        [number, format_code(item.cylinder.code), item.cylinder.serial_no, item.cylinder.model,
         item.cylinder.manufacturer, owners.get(item.cylinder.owner_org_id, ""),
         item.cylinder.registration_no or "", item.cylinder.next_inspection_due,
         item.cylinder.service_life_ends, _kind(item.kind), item.days_left]
        for number, item in enumerate(items, start=1)))
    totals = wb.create_sheet(_("Totals"))
    append_row(totals, [_("Alert"), _("Number")])
    for kind, count in summary.items():
        append_row(totals, [_kind(kind), count])
    totals.column_dimensions["A"].width = 22
    return workbook_bytes(wb)
