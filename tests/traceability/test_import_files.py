"""Spreadsheets as clerks save them: other separators, typed dates, odd file names."""
from __future__ import annotations

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
