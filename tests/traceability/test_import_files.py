"""Spreadsheets as clerks save them: other separators, typed dates, odd file names."""
from __future__ import annotations

import pytest

from app.traceability.importer import _parse_date
from tests.traceability.test_import import HEADER_ZH, rows_for, upload


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
    assert _parse_date(typed).isoformat() == meant


@pytest.mark.parametrize("typed", ["2023年13月", "5/1/2023", "2023", "去年", "2023-05-01 25:00"])
def test_dates_that_stay_refused(typed):
    with pytest.raises(ValueError):
        _parse_date(typed)
