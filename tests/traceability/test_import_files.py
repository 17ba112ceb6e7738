"""Spreadsheets as clerks save them: other separators, typed dates, odd file names."""
from __future__ import annotations

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
