"""The hazard ledger as a district office files it: one row per hazard, Chinese headers."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import Organisation, User
from app.clock import DISTRICT_TZ
from app.delivery.models import Customer, DeliveryArea, Hazard
from app.delivery.rules import DeliveryRules, is_overdue
from app.extensions import db
from app.spreadsheet import register_sheet, workbook_bytes

TITLE = "瓶装液化石油气用户安全隐患台账"
HEADERS = ("序号", "隐患编号", "发现时间", "所属区域", "用户名称", "用户类型", "用户地址",
           "隐患项目", "隐患等级", "发现人", "整改期限", "责任人", "整改状态", "是否逾期",
           "整改时间", "整改情况", "复核人", "复核时间")
WIDTHS = (6, 9, 17, 12, 22, 10, 30, 30, 10, 10, 12, 10, 14, 9, 17, 30, 10, 17)
CUSTOMER_KINDS_ZH = {"household": "居民用户", "restaurant": "餐饮企业", "school": "学校",
                     "hospital": "医院", "canteen": "单位食堂", "other": "其他"}
STATUS_ZH = {"open": "未整改", "rectified": "已整改待复核", "verified": "已复核销号"}
SEVERITY_ZH = {"major": "重大隐患", "general": "一般隐患"}


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
        rows.append({
            "hazard": h, "id": h.id, "found_at": _local(h.found_at),
            "area": area.name if area else "", "customer": customer.name,
            "customer_kind": CUSTOMER_KINDS_ZH.get(customer.kind, customer.kind),
            "address": customer.address, "item": rules.item(h.item).zh, "item_code": h.item,
            "severity": SEVERITY_ZH.get(h.severity, h.severity), "found_by": person(h.found_by_id),
            "deadline": h.deadline, "responsible": h.responsible_person,
            "status": STATUS_ZH.get(h.status, h.status),
            "overdue": "是" if is_overdue(h.status, h.deadline, on) else "否",
            "rectified_at": _local(h.rectified_at), "evidence": h.evidence or "",
            "verified_by": person(h.verified_by_id), "verified_at": _local(h.verified_at)})
    return rows


def ledger_workbook(rows: Sequence[dict[str, Any]], counts: dict[str, Any],
                    org: Organisation | None, on: dt.date) -> bytes:
    """Build the XLSX: a title, who filed it and when, headers, then one row per hazard."""
    wb = Workbook()
    info = [f"填报单位：{org.name if org else '全部燃气企业'}", None, None, None,
            f"导出日期：{on.isoformat()}", None, None, f"共 {len(rows)} 条"]
    register_sheet(wb, "隐患台账", TITLE, info, HEADERS, WIDTHS, (
        [number, row["id"], row["found_at"], row["area"], row["customer"],
         row["customer_kind"], row["address"], row["item"], row["severity"],
         row["found_by"], row["deadline"], row["responsible"], row["status"],
         row["overdue"], row["rectified_at"], row["evidence"], row["verified_by"],
         row["verified_at"]] for number, row in enumerate(rows, start=1)))
    _summary(wb.create_sheet("汇总"), counts)
    return workbook_bytes(wb)


def _summary(ws: Any, counts: dict[str, Any]) -> None:
    ws.append(["统计项", "分类", "数量"])
    ws.append(["隐患总数", "", counts["total"]])
    ws.append(["逾期未整改", "", counts["overdue"]])
    ws.append(["安检无隐患户次", "", counts["clean_visits"]])
    for title, key in (("按区域", "by_area_named"), ("按送气工", "by_driver_named"),
                       ("按隐患项目", "by_item_named"), ("按状态", "by_status_named")):
        for entry in counts.get(key, []):
            ws.append([title, entry["label"], entry["count"]])
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36


def label_counts(counts: dict[str, Any], rules: DeliveryRules) -> dict[str, Any]:
    """Add readable labels to the counts by area, driver, item and status."""
    areas = _names(DeliveryArea, DeliveryArea.id, {e["key"] for e in counts["by_area"]})
    people = _names(User, User.id, {e["key"] for e in counts["by_driver"]})
    labelled = dict(counts)
    labelled["by_area_named"] = [
        {**e, "label": areas[e["key"]].name if e["key"] in areas else "未划入区域"}
        for e in counts["by_area"]]
    labelled["by_driver_named"] = [
        {**e, "label": (people[e["key"]].display_name or people[e["key"]].name)
         if e["key"] in people else str(e["key"])} for e in counts["by_driver"]]
    labelled["by_item_named"] = [{**e, "label": rules.item(e["key"]).zh}
                                 for e in counts["by_item"]]
    labelled["by_status_named"] = [{**e, "label": STATUS_ZH.get(e["key"], e["key"])}
                                   for e in counts["by_status"]]
    return labelled
