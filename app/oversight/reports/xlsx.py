"""Write the monthly report as XLSX: a cover sheet, then one sheet per section."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from app.oversight.reports.data import BASIS, MonthlyReport, generated_at
from app.spreadsheet import append_row, workbook_bytes


def report_xlsx(report: MonthlyReport) -> bytes:
    """Render the report's sections as sheets, headers in the request's language."""
    book = Workbook()
    cover = book.active
    cover.title = _("Overview")
    append_row(cover, [pgettext("report", "Item"), _("Content")])
    for row in ([_("Report month"), report.month], [_("Reporting scope"), report.scope],
                [_("Generated (Beijing time)"), generated_at()],
                [_("Basis"), str(BASIS)]):
        append_row(cover, row)
    cover["A1"].font = cover["B1"].font = Font(bold=True)
    cover.column_dimensions["A"].width = 18
    cover.column_dimensions["B"].width = 60
    for section in report.sections:
        sheet = book.create_sheet(section.title[:31])
        append_row(sheet, section.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            append_row(sheet, row)
        if section.note:
            sheet.append([])
            append_row(sheet, [section.note])
        for index, _header in enumerate(section.headers):
            sheet.column_dimensions[chr(ord("A") + index)].width = 22
    return workbook_bytes(book)
