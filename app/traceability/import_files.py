"""Reading a clerk's file: CSV or workbook, header row, dates as typed."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from python_calamine import CalamineWorkbook

from app.errors import ValidationFailed

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
ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) from XLSX, or from text (UTF-8, GBK, UTF-16) whose cells
    are separated by commas, tabs or semicolons."""
    # What the bytes are decides, not the name: clerks rename a CSV to .xlsx and back
    if data[:8] == CFB_MAGIC and ENCRYPTED_STREAM in data:
        raise ValidationFailed(
            "This workbook is password-protected: open it in Excel, remove the password "
            "and save it again, or save it as CSV.", code="unreadable_file")
    if data[:4] == ZIP_MAGIC or data[:8] == CFB_MAGIC:  # .xlsx/.xlsm, or an old .xls
        # calamine (Rust) reads 100,000 rows in ~1 s where openpyxl takes ~25 s (measured)
        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            rows = sheet.iter_rows()
        except Exception as exc:  # calamine raises several types for a broken file
            raise ValidationFailed(
                f"Cannot read {filename!r} as a spreadsheet (it may be damaged): open it in "
                "Excel and save it again as .xlsx or CSV.", code="unreadable_file",
                details={"reason": str(exc)}) from exc
        for number, row in enumerate(rows, start=1):
            yield number, ["" if v is None else _cell_text(v) for v in row]
        return
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
        raise ValidationFailed("The CSV is neither UTF-8, UTF-16 nor GBK text.",
                               code="unreadable_file")
    # Excel writes commas, tabs ("text"), or semicolons where the locale's decimal is a comma
    header = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=header.count)  # a tie keeps the comma
    # newline="" as the csv module asks: a bare CR inside a field then ends the line instead
    # of raising; anything else malformed is the file's fault, so a 400 with the line
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, row
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV is malformed at line {reader.line_num}: {exc}",
                               code="unreadable_file") from exc


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


def map_header(cells: list[str]) -> dict[str, int]:
    index = {}
    lookup = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    for position, cell in enumerate(cells):
        key = lookup.get(cell.strip().lower())
        if key and key not in index:
            index[key] = position
    missing = [k for k in REQUIRED if k not in index]
    if missing:
        raise ValidationFailed(f"The header row lacks: {', '.join(missing)}.",
                               code="missing_columns", details={"missing": missing})
    return index
