"""Workbooks the service hands out: every cell written as the value it holds, never a formula.

openpyxl stores any text starting with "=" as a formula, so a unit, customer or manufacturer
named `=HYPERLINK(...)` would become a live formula in the regulator's spreadsheet (formula
injection). None of our exports writes a formula on purpose, so every formula cell is text.
XLSX (XML 1.0) cannot hold most C0 control characters, which names, addresses and notes may
carry as stored; rows go in through `append_row`, which shows each such character as U+FFFD,
so the file is still made (openpyxl refused the whole workbook: a 500).
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet


def cell_value(value: Any) -> Any:
    """A value a worksheet can hold: text with its control characters XLSX cannot carry shown as
    U+FFFD (tab and line breaks stay); anything else as it is."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def append_row(sheet: Worksheet, row: Iterable[Any]) -> None:
    """Append one row of stored values (see `cell_value`)."""
    sheet.append([cell_value(value) for value in row])


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook as XLSX bytes, with text that looks like a formula kept as text."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def register_sheet(book: Workbook, name: str, title: str, info: Sequence[Any],
                   headers: Sequence[str], widths: Sequence[int],
                   rows: Iterable[Sequence[Any]]) -> Worksheet:
    """A register as an office files it, as the workbook's first sheet: a bold title across
    the columns, a line of who and when (`info`), bold headers, then one line per entry;
    dates readable, the headers frozen and filters on."""
    sheet = book.active
    sheet.title = name
    append_row(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    append_row(sheet, info)
    append_row(sheet, headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    sheet.auto_filter.ref = f"A3:{get_column_letter(len(headers))}{sheet.max_row}"
    return sheet
