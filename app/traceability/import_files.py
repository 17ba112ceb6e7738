"""Reading a clerk's file: CSV or workbook, header row, dates as typed."""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterator
from typing import NamedTuple

from python_calamine import CalamineWorkbook

from app.errors import N_, ValidationFailed

# Column names accepted in the header row, English and the Chinese a district office uses.
HEADERS = {
    "code": ("code", "payload", "气瓶编码", "编码", "二维码"),
    "serial_no": ("serial_no", "出厂编号", "钢瓶编号"),
    "manufacturer": ("manufacturer", "制造单位", "生产厂家"),
    "model": ("model", "型号", "规格型号"),
    "manufactured_on": ("manufactured_on", "制造日期", "生产日期"),
    "owner": ("owner_org_id", "owner", "产权单位"),
    "registration_no": ("registration_no", "使用登记证号", "登记证号"),
    "last_inspected_on": ("last_inspected_on", "上次检验日期", "检验日期"),
    "design_life_years": ("design_life_years", "设计使用年限"),
}
REQUIRED = ("code", "serial_no", "manufacturer", "model", "manufactured_on", "owner")
ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls, or encrypted .xlsx
# A title banner, a note and blank lines may sit above the header row.
HEADER_SEARCH_ROWS = 10
ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")


Rows = Iterator[tuple[int, list[str]]]


class Header(NamedTuple):
    """The header row found, and the rows after it."""

    rows: Rows
    index: dict[str, int]  # column key -> position in the row
    names: list[str]  # the header row as the clerk typed it
    first_column: int  # the sheet's first column (0 = A): cells before it are not stored


def read_sheets(data: bytes, filename: str) -> Iterator[tuple[Rows, int]]:
    """Yield each sheet of a workbook, or the one table of a text file (UTF-8, GBK, UTF-16,
    cells separated by commas, tabs or semicolons), as (line number, cells) rows with the
    sheet's first column."""
    # What the bytes are decides, not the name: clerks rename a CSV to .xlsx and back
    if data[:8] == CFB_MAGIC and ENCRYPTED_STREAM in data:
        raise ValidationFailed(
            N_("This workbook is password-protected: open it in Excel, remove the password "
               "and save it again, or save it as CSV."), code="unreadable_file")
    if data[:4] == ZIP_MAGIC or data[:8] == CFB_MAGIC:  # .xlsx/.xlsm, or an old .xls
        yield from _workbook_sheets(data, filename)
    else:
        yield _text_rows(data), 0


def _unreadable(filename: str, exc: Exception) -> ValidationFailed:
    return ValidationFailed(
        N_("Cannot read %(name)s as a spreadsheet (it may be damaged): open it in Excel and "
           "save it again as .xlsx or CSV."), values={"name": repr(filename)},
        code="unreadable_file", details={"reason": str(exc)})


def _workbook_sheets(data: bytes, filename: str) -> Iterator[tuple[Rows, int]]:
    # calamine (Rust) reads 100,000 rows in ~1 s where openpyxl takes ~25 s (measured)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        count = len(book.sheet_names)
    except Exception as exc:  # calamine raises several types for a broken file
        raise _unreadable(filename, exc) from exc
    for position in range(count):
        try:
            sheet = book.get_sheet_by_index(position)
            rows, merged = sheet.iter_rows(), sheet.merged_cell_ranges or []
        except Exception as exc:
            raise _unreadable(filename, exc) from exc
        texts = (["" if v is None else _cell_text(v) for v in row] for row in rows)
        first = sheet.start[1] if sheet.start else 0
        yield enumerate(_unmerge(texts, merged, first), start=1), first


def _unmerge(rows: Iterator[list[str]], merged: list, first_column: int
             ) -> Iterator[list[str]]:
    """Give every cell of a merged range the value its top-left cell holds (the only one a
    workbook stores), as the clerk sees it: one maker merged down a run of rows."""
    covering: dict[int, list[tuple[int, int, int]]] = {}  # row -> (top row, first, last col)
    for (top, left), (bottom, right) in merged:
        for row in range(top, bottom + 1):
            covering.setdefault(row, []).append((top, left - first_column,
                                                 right - first_column))
    values: dict[tuple[int, int], str] = {}
    for row, cells in enumerate(rows):  # calamine pads rows from the first, not columns
        for top, left, right in covering.get(row, ()):
            if left < 0 or left >= len(cells):
                continue
            if row == top:
                values[top, left] = cells[left]
            value = values.get((top, left), "")
            for column in range(left, min(right, len(cells) - 1) + 1):
                cells[column] = value
        yield cells


def _text_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    # Excel saves "Unicode text" as UTF-16 with a byte-order mark, its cells split by tabs
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else (
        "utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(N_("The CSV is neither UTF-8, UTF-16 nor GBK text."),
                               code="unreadable_file")
    # Excel writes commas, tabs ("text"), or semicolons where the locale's decimal is a comma;
    # the header may sit below a title line, so the busiest of the first lines decides
    head = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    delimiter = max((",", "\t", ";"), key=lambda d: max(line.count(d) for line in head))
    # newline="" as the csv module asks: a bare CR inside a field then ends the line instead
    # of raising; anything else malformed is the file's fault, so a 400 with the line
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise ValidationFailed(N_("The CSV is malformed at line %(line)s: %(problem)s"),
                               values={"line": reader.line_num, "problem": str(exc)},
                               code="unreadable_file") from exc


def locate_header(data: bytes, filename: str) -> Header:
    """Find the header row: in the first sheet that has one, within its first rows, so a
    title banner above it or an instructions sheet before it does not stop the import.
    Answers the rows after the header, where each column is and what its header says."""
    best: tuple[int, int, list[str]] | None = None  # (columns found, line, missing)
    for rows, first_column in read_sheets(data, filename):
        for line, cells in itertools.islice(rows, HEADER_SEARCH_ROWS):
            if not any(c.strip() for c in cells):
                continue
            index, missing = map_header(cells)
            if not missing:
                return Header(rows, index, cells, first_column)
            if best is None or len(index) > best[0]:
                best = (len(index), line, missing)
    if best is None:
        raise ValidationFailed(N_("The file is empty."), code="empty_file")
    named = ", ".join(f"{key} ({chinese_header(key)})" for key in best[2])
    raise ValidationFailed(N_("The header row lacks: %(columns)s."), values={"columns": named},
                           code="missing_columns",
                           details={"missing": best[2], "line": best[1]})


def chinese_header(key: str) -> str:
    """The Chinese header a district office writes for a column (the template's header)."""
    return next(alias for alias in HEADERS[key] if not alias.isascii())


def _cell_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


DATE_FORMS = "expected a date such as 2023-05-01, 2023/5/1, 2023-05 or 2023年5月"


def parse_date(text: str) -> dt.date:
    """Read a date as clerks type it: 2023-05-01, 2023/5/1, 2023.5, 2023年5月(1日), 20230501,
    or a date and midnight time as a CSV saved from Excel or a database export writes it."""
    text = text.strip()
    if " " in text:  # "2023-05-01 00:00:00", "2023/5/1 0:00": the time must be a clock time
        text, _, clock = text.partition(" ")
        if not _is_clock(clock.strip()):
            raise ValueError(DATE_FORMS)
    if text.endswith("日"):
        text = text[:-1]
    text = text.replace("年", "-").replace("月", "-").rstrip("-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    text = text.replace("/", "-").replace(".", "-")
    digits = text.replace("-", "")
    if digits.isdigit() and len(text) in (7, 10) and text[4] == "-":  # fast path, same rules
        try:
            if len(text) == 7:
                return dt.date(int(text[:4]), int(text[5:7]), 1)
            if text[7] == "-":
                return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError as exc:
            raise ValueError(DATE_FORMS) from exc
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(DATE_FORMS)


def _is_clock(text: str) -> bool:
    for fmt in ("%H:%M:%S", "%H:%M"):
        try:
            dt.datetime.strptime(text, fmt)
            return True
        except ValueError:
            continue
    return False


def map_header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    """Where each known column is in a row, and which required ones it lacks."""
    index: dict[str, int] = {}
    lookup = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    for position, cell in enumerate(cells):
        key = lookup.get(cell.strip().lower())
        if key and key not in index:
            index[key] = position
    return index, [k for k in REQUIRED if k not in index]
