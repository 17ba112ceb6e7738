"""The import page: a check lists every bad row by its row, header and cell in the reader's
language and writes nothing; an import writes the rows (or the valid ones); the template it
offers imports once its example row carries a real issued code."""
from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from app.extensions import db
from app.traceability.import_files import HEADERS, chinese_header
from app.traceability.models import Cylinder, Event
from tests.traceability.test_import import HEADER_ZH, as_csv, as_xlsx, count, rows_for
from tests.traceability.test_register_pages import post, signed_in


def send(user: Any, data: bytes, name: str, action: str = "check", skip: bool = False) -> Any:
    form: dict[str, Any] = {"file": (io.BytesIO(data), name), "action": action}
    if skip:
        form["skip_invalid"] = "on"
    return post(user, "/cylinders/import", data=form, content_type="multipart/form-data")


def error_rows(page: str) -> list[tuple[str, ...]]:
    """The errors table as (row, column, cell, problem)."""
    body = page[page.index('data-testid="import-errors"'):]
    body = body[:body.index("</table>")]
    rows = []
    for chunk in body.split("<tr data-line=")[1:]:
        cells = [c.split("</td>")[0] for c in chunk.split("<td")[1:]]
        rows.append(tuple(c[c.index(">") + 1:].strip() for c in cells))
    return rows


@pytest.fixture
def admin(clean_app, world):
    return signed_in(clean_app, world, "company_admin")


def _file_with_two_bad_rows(registry: Any) -> tuple[bytes, list[str]]:
    codes = [c["code"] for c in registry.codes(3)]
    rows = rows_for(codes, "莲池燃气公司")
    rows[1][4] = "2023-13-01"              # line 3: 制造日期 (column E) is no date
    rows[2][0] = registry.codes(1, owner="station_a")[0]["code"]  # line 4: another's code
    return as_xlsx(HEADER_ZH, rows), codes


def test_a_check_lists_every_bad_row_by_its_cell_and_writes_nothing(admin, registry):
    data, _codes = _file_with_two_bad_rows(registry)
    resp = send(admin, data, "台账.xlsx")
    assert resp.status_code == 200
    assert "3 行中有 2 行有问题；未写入任何数据。" in resp.text
    assert error_rows(resp.text) == [
        ("3", "制造日期", "E3", "不是日期：请写作 2023-05-01、2023/5/1、2023-05 或 2023年5月。"),
        ("4", "气瓶编码", "A4", "此码发放给了其他单位。"),
    ]
    assert count(Cylinder) == 0 and count(Event) == 0


def test_a_clean_check_writes_nothing_and_the_import_writes_every_row(admin, registry):
    codes = [c["code"] for c in registry.codes(3)]
    data = as_csv(HEADER_ZH, rows_for(codes, "莲池燃气公司"))
    resp = send(admin, data, "ledger.csv")
    assert resp.status_code == 200 and "全部 3 行有效，尚未写入" in resp.text
    assert count(Cylinder) == 0
    resp = send(admin, data, "ledger.csv", action="import")
    assert resp.status_code == 303
    assert "已导入 3 只气瓶。" in admin.get(resp.headers["Location"]).text
    assert count(Cylinder) == 3 and count(Event) == 3
    again = send(admin, data, "ledger.csv", action="import")  # sent twice: refused, said so
    assert again.status_code == 400 and "此前已导入" in again.text and count(Cylinder) == 3


def test_an_import_with_bad_rows_imports_nothing_unless_told_to_skip_them(admin, registry):
    data, codes = _file_with_two_bad_rows(registry)
    resp = send(admin, data, "台账.xlsx", action="import")
    assert resp.status_code == 400
    assert "3 行中有 2 行有问题；未导入任何气瓶" in resp.text
    assert [row[:3] for row in error_rows(resp.text)] == [("3", "制造日期", "E3"),
                                                        ("4", "气瓶编码", "A4")]
    assert count(Cylinder) == 0
    resp = send(admin, data, "台账.xlsx", action="import", skip=True)
    assert resp.status_code == 200
    assert "已导入 1 只气瓶；跳过 2 行，见下表。" in resp.text
    assert 'name="skip_invalid" checked' in resp.text
    assert len(error_rows(resp.text)) == 2
    assert count(Cylinder) == 1
    assert db.session.scalar(select(Cylinder.code)) == codes[0]  # the one good row


def test_rows_for_another_organisation_are_refused(admin, registry, world):
    codes = [c["code"] for c in registry.codes(2)]
    rows = rows_for(codes, "莲池燃气公司")
    rows[1][5] = "第一充装站"              # line 3: the owner is a filling station
    resp = send(admin, as_csv(HEADER_ZH, rows), "a.csv", action="import", skip=True)
    assert error_rows(resp.text) == [("3", "产权单位", "F3", "只能为本单位登记气瓶。")]
    assert count(Cylinder) == 1


@pytest.mark.parametrize(("data", "name", "said"), [
    (None, "", "请选择 CSV 或 XLSX 文件。"),
    (b"PK\x03\x04 not a workbook", "a.xlsx", "无法读取该文件"),
    (b"", "empty.csv", "文件为空。"),
    ("气瓶编码,出厂编号,型号\nX,Y,Z\n".encode(), "short.csv",
     "表头缺少：制造单位 (manufacturer), 制造日期 (manufactured_on), 产权单位 (owner)。"),
])
def test_a_file_that_cannot_be_read_is_said_so(admin, data, name, said):
    form = {"action": "check"} if data is None else {
        "action": "check", "file": (io.BytesIO(data), name)}
    resp = post(admin, "/cylinders/import", data=form, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert said in resp.text


def test_the_check_speaks_english_to_an_english_reader(clean_app, world, registry):
    user = signed_in(clean_app, world, "company_admin", lang="en")
    data, _codes = _file_with_two_bad_rows(registry)
    rows = error_rows(send(user, data, "台账.xlsx").text)
    assert rows[1] == ("4", "气瓶编码", "A4", "This code was issued to another organisation.")


def _template(user: Any) -> openpyxl.Workbook:
    resp = user.get("/cylinders/import/template.xlsx")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(resp.data))


def test_the_template_imports_once_its_example_row_carries_an_issued_code(admin, registry):
    book = _template(admin)
    sheet = book.active
    header = [c.value for c in sheet[3]]
    assert header == [chinese_header(key) for key in HEADERS]
    example = [c.value for c in sheet[4]]
    assert example[5] == "莲池燃气公司" and example[3] == "YSP35.5"
    assert "YSP118-II" not in sheet.data_validations.dataValidation[0].formula1
    resp = send(admin, _saved(book), "template.xlsx", action="import")
    assert resp.status_code == 400 and error_rows(resp.text)[0][:3] == ("4", "气瓶编码", "A4")
    code = registry.codes(1)[0]
    sheet["A4"] = code["payload"]
    resp = send(admin, _saved(book), "template.xlsx", action="import")
    assert resp.status_code == 303
    assert count(Cylinder) == 1


def test_a_regulators_template_names_a_gas_company_as_the_owner(clean_app, world, registry):
    regulator = signed_in(clean_app, world, "regulator")
    book = _template(regulator)
    assert book.active["F4"].value == "莲池燃气公司"
    book.active["A4"] = registry.codes(1)[0]["code"]
    assert send(regulator, _saved(book), "t.xlsx", action="import").status_code == 303
    assert count(Cylinder) == 1


def _saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
