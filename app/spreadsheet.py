"""Workbooks the service hands out: every cell written as the value it holds, never a formula.

openpyxl stores any text starting with "=" as a formula, so a unit, customer or manufacturer
named `=HYPERLINK(...)` would become a live formula in the regulator's spreadsheet (formula
injection). None of our exports writes a formula on purpose, so every formula cell is text.
"""
from __future__ import annotations

import io

from openpyxl import Workbook


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
