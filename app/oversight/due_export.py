"""Expiry alerts as a workbook an owner hands to the inspection agency: Chinese headers."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.oversight.due import DueItem
from app.oversight.services import org_names
from app.spreadsheet import workbook_bytes
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
    ws = wb.active
    ws.title = "到期提醒"
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"产权单位：{scope}", None, None, None, f"统计日期：{on.isoformat()}", None,
               f"提醒期限：{within_days} 天", None, f"共 {len(items)} 条"])
    ws.append(list(HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for number, item in enumerate(items, start=1):
        cyl = item.cylinder
        ws.append([number, format_code(cyl.code), cyl.serial_no, cyl.model, cyl.manufacturer,
                   owners.get(cyl.owner_org_id, ""), cyl.registration_no or "",
                   cyl.next_inspection_due, cyl.service_life_ends,
                   KIND_ZH.get(item.kind, item.kind), item.days_left])
    for line in ws.iter_rows(min_row=4):
        for cell in line:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(HEADERS))}{3 + len(items)}"
    totals = wb.create_sheet("汇总")
    totals.append(["提醒类别", "数量"])
    for kind, count in summary.items():
        totals.append([KIND_ZH.get(kind, kind), count])
    totals.column_dimensions["A"].width = 22
    return workbook_bytes(wb)
