"""A regulator's search results as a workbook: what the page lists, every page of it (up to
COUNT_CAP rows), in the request's language; codes, names and dates as stored."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import pgettext
from openpyxl import Workbook

from app.oversight.search import COUNT_CAP, Filters, search_query
from app.oversight.services import org_names
from app.spreadsheet import register_sheet, workbook_bytes
from app.traceability.codes import format_code
from app.traceability.models import Cylinder
from app.traceability.services import cylinder_state

WIDTHS = (6, 24, 16, 10, 24, 24, 18, 14, 14, 16, 16)


def search_rows(filters: Filters) -> tuple[list[Cylinder], bool]:
    """The cylinders a search finds, newest first, up to COUNT_CAP; and whether there are more."""
    from app.extensions import db

    found = list(db.session.scalars(search_query(filters).limit(COUNT_CAP + 1)))
    return found[:COUNT_CAP], len(found) > COUNT_CAP


def search_workbook(items: Sequence[Cylinder], more: bool, on: dt.date,
                    status_labels: dict[str, str]) -> bytes:
    """Build the XLSX: a title, the day and count, headers, one row per cylinder."""
    owners = org_names({c.owner_org_id for c in items})
    count = _("%(count)s entries", count=len(items))
    if more:
        count += " · " + _("only the first %(n)s", n=COUNT_CAP)
    headers = (_("No."), pgettext("register", "Cylinder code"), _("Serial number"), _("Model"),
               _("Manufacturer"), _("Owner"), _("Registration number"), _("Status"),
               _("Last inspected"), _("Next inspection due"), _("Design service life ends"))
    rows = []
    for number, cyl in enumerate(items, start=1):
        state = cylinder_state(cyl, on)
        rows.append([number, format_code(cyl.code), cyl.serial_no, cyl.model, cyl.manufacturer,
                     owners.get(cyl.owner_org_id, ""), cyl.registration_no or "",
                     str(status_labels.get(state.status, state.status)), cyl.last_inspected_on,
                     state.next_inspection_due, state.service_life_ends])
    wb = Workbook()
    register_sheet(wb, _("Search results"), _("Cylinder search results"),
                   [_("As of: %(date)s", date=on.isoformat()), None, count], headers, WIDTHS,
                   rows)
    return workbook_bytes(wb)
