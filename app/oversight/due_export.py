"""Expiry alerts as a workbook an owner hands to the inspection agency: Chinese headers."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openpyxl import Workbook

from app.oversight.due import DueItem
from app.oversight.services import org_names
from app.spreadsheet import register_sheet, workbook_bytes
from app.traceability.codes import format_code

TITLE = "气瓶定期检验及报废到期提醒"
HEADERS = ("序号", "气瓶编码", "出厂编号", "型号", "制造单位", "产权单位", "使用登记证号",
           "下次检验日期", "设计使用年限到期", "提醒类别", "剩余天数")
WIDTHS = (6, 24, 16, 10, 24, 24, 18, 14, 16, 14, 10)
KIND_ZH = {"inspection_overdue": "超期未检", "beyond_service_life": "超过设计使用年限",
           "inspection_due": "即将到检", "life_ending": "即将到达设计使用年限"}


def due_workbook(items: Sequence[DueItem], summary: dict[str, int], scope: str,
                 within_days: int, on: dt.date) -> bytes:
    """Build the XLSX: a title, scope and window, headers, one row per cylinder, totals."""
    owners = org_names({i.cylinder.owner_org_id for i in items})
    wb = Workbook()
    info = [f"产权单位：{scope}", None, None, None, f"统计日期：{on.isoformat()}", None,
            f"提醒期限：{within_days} 天", None, f"共 {len(items)} 条"]
    register_sheet(wb, "到期提醒", TITLE, info, HEADERS, WIDTHS, (
        [number, format_code(item.cylinder.code), item.cylinder.serial_no, item.cylinder.model,
         item.cylinder.manufacturer, owners.get(item.cylinder.owner_org_id, ""),
         item.cylinder.registration_no or "", item.cylinder.next_inspection_due,
         item.cylinder.service_life_ends, KIND_ZH.get(item.kind, item.kind), item.days_left]
        for number, item in enumerate(items, start=1)))
    totals = wb.create_sheet("汇总")
    totals.append(["提醒类别", "数量"])
    for kind, count in summary.items():
        totals.append([KIND_ZH.get(kind, kind), count])
    totals.column_dimensions["A"].width = 22
    return workbook_bytes(wb)
