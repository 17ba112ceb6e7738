"""Write the monthly report as XLSX: a cover sheet, then one sheet per section."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

from app.database import utcnow
from app.oversight.reports.data import MonthlyReport
from app.spreadsheet import workbook_bytes


def report_xlsx(report: MonthlyReport) -> bytes:
    """Render the report's sections as sheets with Chinese headers."""
    book = Workbook()
    cover = book.active
    cover.title = "概要"
    cover.append(["项目", "内容"])
    for row in (["报告月份", report.month], ["报送范围", report.scope],
                ["生成时间（UTC）", utcnow().strftime("%Y-%m-%d %H:%M")],
                ["依据", "莲池区城乡燃气安全专项整治工作方案 五(三)：每月20日前报送"]):
        cover.append(row)
    cover["A1"].font = cover["B1"].font = Font(bold=True)
    cover.column_dimensions["A"].width = 18
    cover.column_dimensions["B"].width = 60
    for section in report.sections:
        sheet = book.create_sheet(section.title[:31])
        sheet.append(section.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(row)
        if section.note:
            sheet.append([])
            sheet.append([section.note])
        for index, _ in enumerate(section.headers):
            sheet.column_dimensions[chr(ord("A") + index)].width = 22
    return workbook_bytes(book)
