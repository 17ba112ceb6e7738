"""The import template a clerk downloads: the importer's Chinese header and one example row."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.spreadsheet import register_sheet, workbook_bytes
from app.traceability.import_files import HEADERS, REQUIRED, chinese_header
from app.traceability.rule_store import model_specs

COLUMNS = tuple(HEADERS)  # the importer's order: code, serial_no, ..., design_life_years
WIDTHS = (22, 16, 26, 12, 14, 26, 18, 14, 14)
HEADER_ROW = 3  # below the title and the notes line (register_sheet's layout)


def example_row(owner_name: str) -> list[object]:
    """One row as a clerk fills it; the code cell says where the label's code goes."""
    made = dt.date(2024, 5, 1)
    example = {
        "code": _("Scan or type the cylinder's code"), "serial_no": "SN2024-0001",
        "manufacturer": "河北百工高压容器有限公司", "model": "YSP35.5", "manufactured_on": made,
        "owner": owner_name, "registration_no": "TS-冀F-000001", "last_inspected_on": made,
        "design_life_years": 8,
    }
    return [example[key] for key in COLUMNS]


def template_xlsx(owner_name: str) -> bytes:
    """The template workbook: the header row the importer reads, in Chinese, and an example."""
    required = "、".join(chinese_header(key) for key in REQUIRED)
    notes = _("Required: %(columns)s. Dates as 2023-05-01 or 2023-05. Owner: the "
              "organisation's name. Replace the example row with your cylinders.",
              columns=required)
    book = Workbook()
    sheet = register_sheet(book, _("Cylinder list"), _("Cylinder registration import template"),
                           [notes], [chinese_header(key) for key in COLUMNS], WIDTHS,
                           [example_row(owner_name)])
    allowed = sorted(spec.model for spec in model_specs().values() if not spec.banned)
    column = get_column_letter(COLUMNS.index("model") + 1)
    models = DataValidation(type="list", formula1=f'"{",".join(allowed)}"', allow_blank=False)
    models.add(f"{column}{HEADER_ROW + 1}:{column}5000")
    sheet.add_data_validation(models)
    return workbook_bytes(book)
