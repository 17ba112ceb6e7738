"""The hazard ledger as a district office files it: one row per hazard, in the request's
language (Chinese by default, as the pages); names, addresses and evidence as stored."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext
from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import Organisation, User
from app.clock import DISTRICT_TZ
from app.delivery.customer_labels import CUSTOMER_KIND_LABELS
from app.delivery.ledger_labels import SEVERITY_LABELS, STATUS_LABELS, item_label
from app.delivery.models import Customer, DeliveryArea, Hazard
from app.delivery.rules import DeliveryRules, is_overdue
from app.extensions import db
from app.spreadsheet import append_row, register_sheet, workbook_bytes

WIDTHS = (6, 9, 17, 12, 22, 10, 30, 30, 10, 10, 12, 10, 14, 9, 17, 30, 10, 17)


def _headers() -> tuple[str, ...]:
    return (_("No."), _("Hazard no."), _("Found at"), pgettext("register", "Area"),
            _("Customer name"), _("Customer type"), _("Customer address"), _("Hazard item"),
            _("Hazard severity"), _("Found by"), _("Deadline"), _("Responsible person"),
            _("Rectification status"), _("Overdue?"), _("Rectified at"), _("Rectification"),
            _("Verified by"), _("Verified at"))


def _label(labels: dict[str, Any], code: str) -> str:
    return str(labels.get(code, code))


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Local wall-clock time without zone (spreadsheets have none)."""
    return value.astimezone(DISTRICT_TZ).replace(tzinfo=None) if value else None


def _names(model: Any, column: Any, ids: set[int]) -> dict[int, Any]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(column.in_(ids)))}


def ledger_rows(hazards: Sequence[Hazard], rules: DeliveryRules,
                on: dt.date) -> list[dict[str, Any]]:
    """Join each hazard with the names a reader needs (customer, area, people)."""
    customers = _names(Customer, Customer.id, {h.customer_id for h in hazards})
    areas = _names(DeliveryArea, DeliveryArea.id, {h.area_id for h in hazards})
    people = _names(User, User.id, {i for h in hazards for i in (
        h.found_by_id, h.rectified_by_id, h.verified_by_id)})

    def person(user_id: int | None) -> str:
        user = people.get(user_id) if user_id else None
        return (user.display_name or user.name) if user else ""

    rows = []
    for h in hazards:
        customer = customers[h.customer_id]
        area = areas.get(h.area_id) if h.area_id else None
        overdue = is_overdue(h.status, h.deadline, on)
        rows.append({
            "hazard": h, "id": h.id, "found_at": _local(h.found_at),
            "area": area.name if area else "", "customer": customer.name,
            "customer_kind": _label(CUSTOMER_KIND_LABELS, customer.kind),
            "address": customer.address, "item": item_label(rules, h.item), "item_code": h.item,
            "severity": _label(SEVERITY_LABELS, h.severity), "found_by": person(h.found_by_id),
            "deadline": h.deadline, "responsible": h.responsible_person,
            "status": _label(STATUS_LABELS, h.status), "is_overdue": overdue,
            "overdue": _("Yes") if overdue else _("No"),
            "rectified_at": _local(h.rectified_at), "evidence": h.evidence or "",
            "verified_by": person(h.verified_by_id), "verified_at": _local(h.verified_at)})
    return rows


def ledger_workbook(rows: Sequence[dict[str, Any]], counts: dict[str, Any],
                    org: Organisation | None, on: dt.date) -> bytes:
    """Build the XLSX: a title, who filed it and when, headers, then one row per hazard."""
    wb = Workbook()
    info = [_("Filed by: %(org)s", org=org.name if org else _("All gas companies")), None, None,
            None, _("Exported on: %(date)s", date=on.isoformat()), None, None,
            _("%(count)s entries", count=len(rows))]
    title = _("LPG customers' safety hazard ledger")
    register_sheet(wb, _("Hazard ledger"), title, info, _headers(), WIDTHS, (
        [number, row["id"], row["found_at"], row["area"], row["customer"],
         row["customer_kind"], row["address"], row["item"], row["severity"],
         row["found_by"], row["deadline"], row["responsible"], row["status"],
         row["overdue"], row["rectified_at"], row["evidence"], row["verified_by"],
         row["verified_at"]] for number, row in enumerate(rows, start=1)))
    _summary(wb.create_sheet(_("Totals")), counts)
    return workbook_bytes(wb)


def _summary(ws: Any, counts: dict[str, Any]) -> None:
    append_row(ws, [_("Measure"), _("Category"), _("Number")])
    append_row(ws, [_("Hazards in all"), "", counts["total"]])
    append_row(ws, [_("Overdue, not rectified"), "", counts["overdue"]])
    append_row(ws, [_("Safety checks with no hazard"), "", counts["clean_visits"]])
    for title, key in ((_("By area"), "by_area_named"), (_("By driver"), "by_driver_named"),
                       (_("By hazard item"), "by_item_named"), (_("By status"), "by_status_named")):
        for entry in counts.get(key, []):
            append_row(ws, [title, entry["label"], entry["count"]])
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36


def label_counts(counts: dict[str, Any], rules: DeliveryRules) -> dict[str, Any]:
    """Add labels in the reader's language to the counts by area, driver, item and status."""
    areas = _names(DeliveryArea, DeliveryArea.id, {e["key"] for e in counts["by_area"]})
    people = _names(User, User.id, {e["key"] for e in counts["by_driver"]})
    labelled = dict(counts)
    labelled["by_area_named"] = [
        {**e, "label": areas[e["key"]].name if e["key"] in areas else _("Not in a delivery area")}
        for e in counts["by_area"]]
    labelled["by_driver_named"] = [
        {**e, "label": (people[e["key"]].display_name or people[e["key"]].name)
         if e["key"] in people else str(e["key"])} for e in counts["by_driver"]]
    labelled["by_item_named"] = [{**e, "label": item_label(rules, e["key"])}
                                 for e in counts["by_item"]]
    labelled["by_status_named"] = [{**e, "label": _label(STATUS_LABELS, e["key"])}
                                   for e in counts["by_status"]]
    return labelled
