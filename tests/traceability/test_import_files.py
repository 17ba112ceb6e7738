"""Spreadsheets as clerks save them: other separators, typed dates, odd file names."""
from __future__ import annotations

import io

import openpyxl
import pytest

from app.traceability.import_files import parse_date
from tests.traceability.test_import import HEADER_ZH, as_csv, rows_for, upload


def test_semicolon_separated_csv_is_read(registry, api, world):
    """Excel in a European locale separates cells with semicolons."""
    codes = [c["code"] for c in registry.codes(2)]
    lines = [";".join(HEADER_ZH)] + [";".join(str(v) for v in r)
                                     for r in rows_for(codes, "莲池燃气公司")]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
    resp = upload(api, world.regulator, data, "台账.csv")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 2


@pytest.mark.parametrize(("typed", "meant"), [
    ("2023年5月", "2023-05-01"), ("2023年5月1日", "2023-05-01"), ("2023年05月", "2023-05-01"),
    ("20230501", "2023-05-01"), ("2023-05-01 00:00:00", "2023-05-01"),
    ("2023/5/1 0:00", "2023-05-01"), ("2023/5/1", "2023-05-01"), ("2023.5", "2023-05-01"),
])
def test_dates_typed_as_clerks_type_them(typed, meant):
    assert parse_date(typed).isoformat() == meant


@pytest.mark.parametrize("typed", ["2023年13月", "5/1/2023", "2023", "去年", "2023-05-01 25:00"])
def test_dates_that_stay_refused(typed):
    with pytest.raises(ValueError):
        parse_date(typed)


def test_a_csv_renamed_xlsx_is_read_as_the_text_it_is(registry, api, world):
    codes = [c["code"] for c in registry.codes(2)]
    data = as_csv(HEADER_ZH, rows_for(codes, "莲池燃气公司"), encoding="gbk")
    resp = upload(api, world.regulator, data, "台账.xlsx")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 2


ENCRYPTED = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
             + "EncryptionInfo".encode("utf-16-le") + b"\0" * 500)


def test_a_password_protected_workbook_says_so(api, world):
    resp = upload(api, world.regulator, ENCRYPTED, "台账.xlsx")
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "unreadable_file"
    assert "password" in resp.json["error"]["message"]


def test_a_corrupted_workbook_says_what_to_do(api, world):
    resp = upload(api, world.regulator, b"PK\x03\x04" + b"\x00" * 200, "台账.xlsx")
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "unreadable_file"
    assert "save it again" in resp.json["error"]["message"]


def test_a_title_row_above_the_header_and_an_instructions_sheet_first(registry, api, world):
    """A company's ledger template: a 填写说明 sheet first, then a titled, merged banner."""
    codes = [c["code"] for c in registry.codes(3)]
    book = openpyxl.Workbook()
    book.active.title = "填写说明"
    book.active.append(["每行一只气瓶；日期写 2023-05-01。"])
    sheet = book.create_sheet("台账")
    sheet.append(["莲池燃气公司钢瓶档案台账"])
    sheet.merge_cells("A1:I1")
    sheet.append([])
    sheet.append(HEADER_ZH)
    rows = rows_for(codes, "莲池燃气公司")
    rows[2][3] = "YSP999"  # line 6 of the sheet
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    resp = upload(api, world.regulator, buf.getvalue(), "台账.xlsx", "?skip_invalid=true")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 2
    assert [(e["line"], e["column"]) for e in resp.json["errors"]] == [(6, "model")]


def test_a_csv_with_a_title_line_is_read(registry, api, world):
    codes = [c["code"] for c in registry.codes(1)]
    data = "钢瓶台账\n" + as_csv(HEADER_ZH, rows_for(codes, "莲池燃气公司")).decode()
    resp = upload(api, world.regulator, data.encode(), "台账.csv")
    assert resp.status_code == 201, resp.json


def test_missing_columns_are_named_as_a_clerk_writes_them(api, world):
    resp = upload(api, world.regulator, "标题\n气瓶编码,出厂编号\n".encode(), "x.csv")
    assert resp.status_code == 400
    err = resp.json["error"]
    assert err["code"] == "missing_columns"
    assert err["details"]["missing"] == ["manufacturer", "model", "manufactured_on", "owner"]
    assert "制造单位" in err["message"] and "产权单位" in err["message"]


def test_uploading_the_same_file_again_says_the_rows_were_imported_before(registry, api, world):
    codes = [c["code"] for c in registry.codes(2)]
    data = as_csv(HEADER_ZH, rows_for(codes, "莲池燃气公司"))
    assert upload(api, world.regulator, data, "台账.csv").status_code == 201
    resp = upload(api, world.regulator, data, "台账.csv")
    assert resp.status_code == 400
    err = resp.json["error"]
    assert {e["code"] for e in err["details"]["errors"]} == {"already_registered"}
    assert "2 were imported before" in err["message"]
    assert api.get(f"/api/v1/cylinders/{codes[0]}/history",
                   world.regulator).json["events"][0]["type"] == "registered"


def test_merged_cells_give_their_value_to_every_row_they_cover(registry, api, world):
    """A clerk merges the maker and model cells of a run of cylinders from one delivery."""
    codes = [c["code"] for c in registry.codes(3)]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER_ZH)
    for r in rows_for(codes, "莲池燃气公司"):
        sheet.append(r)
    sheet.merge_cells("C2:C4")  # 制造单位
    sheet.merge_cells("D2:D4")  # 型号
    buf = io.BytesIO()
    book.save(buf)
    resp = upload(api, world.regulator, buf.getvalue(), "台账.xlsx")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 3
    assert api.get(f"/api/v1/cylinders/{codes[2]}", world.regulator).json["model"] == "YSP35.5"


def test_an_error_names_the_header_as_typed_and_the_cell(registry, api, world):
    """'manufactured_on, line 5' sent a clerk hunting; the answer now says 制造日期 and F5.

    The sheet has a title banner in row 1 and starts in column B, as templates often do."""
    codes = [c["code"] for c in registry.codes(3)]
    rows = rows_for(codes, "莲池燃气公司")
    rows[1][4] = "去年"  # the second data row: line 4
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B1"] = "气瓶登记台账"
    for r, values in enumerate([HEADER_ZH, *rows], start=2):
        for c, value in enumerate(values, start=2):
            sheet.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    resp = upload(api, world.regulator, out.getvalue(), "台账.xlsx")
    assert resp.status_code == 400, resp.json
    [error] = resp.json["error"]["details"]["errors"]
    assert (error["line"], error["column"], error["code"]) == (4, "manufactured_on",
                                                               "invalid_date")
    assert (error["header"], error["cell"]) == ("制造日期", "F4")
    csv = upload(api, world.regulator, as_csv(HEADER_ZH, rows), "台账.csv")
    [error] = csv.json["error"]["details"]["errors"]
    assert (error["header"], error["cell"]) == ("制造日期", "E3")


def test_skipped_rows_in_a_kept_import_name_their_cell_too(registry, api, world):
    """The 201 answer goes through its schema, which dropped the header and cell."""
    codes = [c["code"] for c in registry.codes(2)]
    rows = rows_for(codes, "莲池燃气公司")
    rows[1][4] = "去年"
    resp = upload(api, world.regulator, as_csv(HEADER_ZH, rows), "台账.csv",
                  "?skip_invalid=true")
    assert resp.status_code == 201, resp.json
    [error] = resp.json["errors"]
    assert (error["header"], error["cell"]) == ("制造日期", "E3")
