"""Bulk import from CSV and XLSX: all-or-nothing by default, every bad row reported."""
from __future__ import annotations

import io

import openpyxl
from sqlalchemy import func, select, text

from app.extensions import db
from app.traceability import importer
from app.traceability.models import Cylinder, Event

HEADER_EN = ["code", "serial_no", "manufacturer", "model", "manufactured_on", "owner_org_id",
             "registration_no", "last_inspected_on", "design_life_years"]
HEADER_ZH = ["气瓶编码", "出厂编号", "制造单位", "型号", "制造日期", "产权单位", "使用登记证号",
             "上次检验日期", "设计使用年限"]


def rows_for(codes, owner, start=0):
    return [[c, f"IMP{start + i:05d}", "百工容器", "YSP35.5", "2021-03", owner, f"R{i}",
             "2024-03-01", ""] for i, c in enumerate(codes)]


def as_csv(header, rows, encoding="utf-8"):
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def as_xlsx(header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def upload(api, actor, data, name, query=""):
    return api.post(f"/api/v1/cylinders/import{query}", actor,
                    data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_csv_import_registers_every_row_with_a_chained_event(registry, api, world):
    codes = [c["code"] for c in registry.codes(5)]
    data = as_csv(HEADER_EN, rows_for(codes, world.orgs["company"]))
    resp = upload(api, world.company_admin, data, "cylinders.csv")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 5 and resp.json["errors"] == []
    cyl = api.get(f"/api/v1/cylinders/{codes[0]}/history", world.company_admin).json
    assert cyl["chain_ok"] and [e["type"] for e in cyl["events"]] == ["registered"]
    read = api.get(f"/api/v1/cylinders/{codes[0]}", world.company_admin).json
    assert read["manufactured_on"] == "2021-03-01" and read["next_inspection_due"] == "2028-03-01"
    assert read["design_life_years"] == 8


def test_xlsx_with_chinese_headers_and_owner_names(registry, api, world):
    codes = [c["code"] for c in registry.codes(3)]
    rows = rows_for(codes, "莲池燃气公司")
    resp = upload(api, world.regulator, as_xlsx(HEADER_ZH, rows), "台账.xlsx")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 3


def test_gbk_csv_from_excel_is_read(registry, api, world):
    codes = [c["code"] for c in registry.codes(2)]
    data = as_csv(HEADER_ZH, rows_for(codes, "莲池燃气公司"), encoding="gbk")
    assert upload(api, world.regulator, data, "ledger.csv").status_code == 201


def test_excel_unicode_text_utf16_with_tabs_is_read(registry, api, world):
    codes = [c["code"] for c in registry.codes(2)]
    lines = ["\t".join(HEADER_ZH)] + ["\t".join(str(v) for v in r)
                                      for r in rows_for(codes, "莲池燃气公司")]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-16")  # with its byte-order mark
    resp = upload(api, world.regulator, data, "台账.txt")
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 2


def test_bad_rows_import_nothing_and_are_all_reported(registry, api, world, ctx):
    codes = [c["code"] for c in registry.codes(4)]
    rows = rows_for(codes, world.orgs["company"])
    rows[1][3] = "YSP999"                        # line 3: unknown model
    rows[2][4] = "2021-13-01"                    # line 4: bad date
    rows.append(list(rows[0]))                    # line 6: same code again
    rows.append(["NOT-A-CODE-AT-ALL!", "S9", "M", "YSP12", "2020-01-01",
                 world.orgs["company"], "", "", ""])  # line 7
    before = count(Cylinder)
    resp = upload(api, world.company_admin, as_csv(HEADER_EN, rows), "bad.csv")
    assert resp.status_code == 400
    err = resp.json["error"]
    assert err["code"] == "import_rejected"
    found = {(e["line"], e["column"], e["code"]) for e in err["details"]["errors"]}
    assert found == {(3, "model", "unknown_model"), (4, "manufactured_on", "invalid_date"),
                     (6, "code", "duplicate_in_file"), (7, "code", "foreign_code")}
    assert count(Cylinder) == before


def test_skip_invalid_imports_the_good_rows(registry, api, world):
    codes = [c["code"] for c in registry.codes(3)]
    rows = rows_for(codes, world.orgs["company"])
    rows[1][5] = world.orgs["station_a"]  # not the code's owner, and not the admin's org
    resp = upload(api, world.company_admin, as_csv(HEADER_EN, rows), "x.csv", "?skip_invalid=true")
    assert resp.status_code == 201
    assert resp.json["imported"] == 2 and resp.json["skipped"] == 1
    assert resp.json["errors"][0]["line"] == 3


def test_rows_already_registered_are_refused(registry, api, world):
    existing = registry.cylinder()
    codes = [c["code"] for c in registry.codes(1)]
    rows = rows_for([existing["code"], *codes], world.orgs["company"])
    rows[1][1] = existing["serial_no"]
    rows[1][2] = existing["manufacturer"]
    resp = upload(api, world.regulator, as_csv(HEADER_EN, rows), "x.csv")
    codes_found = [e["code"] for e in resp.json["error"]["details"]["errors"]]
    assert codes_found == ["code_already_bound", "duplicate_serial"]


def test_unreadable_and_headerless_files(api, world):
    assert upload(api, world.regulator, b"", "x.csv").json["error"]["code"] == "empty_file"
    resp = upload(api, world.regulator, b"a,b\n1,2\n", "x.csv")
    assert resp.json["error"]["code"] == "missing_columns"
    resp = upload(api, world.regulator, b"PK\x03\x04broken", "x.xlsx")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "unreadable_file"
    resp = api.post("/api/v1/cylinders/import", world.regulator)
    assert resp.json["error"]["code"] == "file_required"


def test_cli_import_with_progress_and_exit_codes(registry, world, clean_app, tmp_path):
    codes = [c["code"] for c in registry.codes(3)]
    good = tmp_path / "good.csv"
    good.write_bytes(as_csv(HEADER_EN, rows_for(codes, world.orgs["company"])))
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["cylinders", "import", str(good), "--as-user", "regulator"])
    assert result.exit_code == 0, result.output
    assert "imported 3" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv(HEADER_EN, rows_for(codes, world.orgs["company"])))
    result = runner.invoke(args=["cylinders", "import", str(bad), "--as-user", "regulator"])
    assert result.exit_code == 1
    assert "code_already_bound" in result.output or "bound" in result.output
    assert "cell A2 (code)" in result.output  # where to look in the file, as the file says it
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 3


def planner_rows(table):
    """What PostgreSQL's planner believes a table holds (-1: never analyzed)."""
    db.session.rollback()
    return db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"),
                             {"t": table})


def test_a_large_import_refreshes_the_planners_statistics(registry, api, world, monkeypatch):
    monkeypatch.setattr(importer, "ANALYZE_AFTER_ROWS", 4)
    postgres = db.engine.dialect.name == "postgresql"
    small = [c["code"] for c in registry.codes(3)]
    assert upload(api, world.regulator, as_csv(HEADER_EN, rows_for(small, world.orgs["company"])),
                  "small.csv").status_code == 201
    if postgres:
        assert planner_rows("cylinders") == -1  # below the mark: left to autovacuum
    large = [c["code"] for c in registry.codes(4)]
    data = as_csv(HEADER_EN, rows_for(large, world.orgs["company"], start=10))
    assert upload(api, world.regulator, data, "large.csv").status_code == 201
    if postgres:
        assert planner_rows("cylinders") == count(Cylinder) == 7
        assert planner_rows("events") == count(Event)
    else:  # SQLite plans every statement afresh: no statistics table is made for it
        db.session.rollback()
        assert db.session.scalar(text(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")) == 0


def test_an_import_row_with_a_control_character_is_reported(registry, api, world):
    codes = [c["code"] for c in registry.codes(2)]
    rows = rows_for(codes, world.orgs["company"])
    rows[1][1] = "IMP\x0700"                      # line 3: a BEL in the serial number
    before = count(Cylinder)
    resp = upload(api, world.company_admin, as_csv(HEADER_EN, rows), "bel.csv")
    assert resp.status_code == 400, resp.json
    found = {(e["line"], e["column"], e["code"]) for e in resp.json["error"]["details"]["errors"]}
    assert found == {(3, "serial_no", "control_character")}
    assert count(Cylinder) == before


def test_imported_cylinders_are_found_by_serial_in_any_case(registry, api, world):
    """The import inserts with Core: the search keys come from the column defaults too."""
    codes = [c["code"] for c in registry.codes(2)]
    data = as_csv(HEADER_EN, rows_for(codes, world.orgs["company"]))
    assert upload(api, world.company_admin, data, "cylinders.csv").status_code == 201
    found = api.get("/api/v1/cylinders?serial_no=imp00001&manufacturer=百工", world.regulator)
    assert [c["code"] for c in found.json["items"]] == [codes[1]]


def test_a_model_in_lower_case_imports_as_the_table_model(registry, api, world, ctx):
    codes = [c["code"] for c in registry.codes(2)]
    rows = rows_for(codes, world.orgs["company"])
    rows[0][3], rows[1][3] = "ysp35.5", "ＹＳＰ１２"
    resp = upload(api, world.company_admin, as_csv(HEADER_EN, rows), "lower.csv")
    assert resp.status_code == 201, resp.json
    stored = db.session.scalars(db.select(Cylinder.model).where(Cylinder.code.in_(codes)))
    assert sorted(stored) == ["YSP12", "YSP35.5"]


def test_a_stamp_in_another_case_is_a_duplicate_in_the_file_and_in_the_register(
        registry, api, world):
    codes = [c["code"] for c in registry.codes(3)]
    rows = rows_for(codes, world.orgs["company"])
    rows[1][1] = rows[0][1].lower()  # line 3 repeats line 2's stamp in lower case
    resp = upload(api, world.regulator, as_csv(HEADER_EN, rows), "x.csv", "?skip_invalid=true")
    assert resp.status_code == 201, resp.json
    assert [(e["line"], e["code"]) for e in resp.json["errors"]] == [(3, "duplicate_in_file")]
    later = rows_for([c["code"] for c in registry.codes(1)], world.orgs["company"])
    later[0][1] = rows[2][1].lower()  # line 4's stamp, registered above, in lower case
    resp = upload(api, world.regulator, as_csv(HEADER_EN, later), "y.csv")
    assert resp.status_code == 400
    assert [e["code"] for e in resp.json["error"]["details"]["errors"]] == ["duplicate_serial"]


def test_digits_int_cannot_read_are_a_row_error_not_a_500(registry, api, world):
    codes = [c["code"] for c in registry.codes(2)]
    rows = rows_for(codes, world.orgs["company"])
    rows[0][5] = "²"                              # line 2: str.isdigit() says yes, int() no
    rows[1][8] = "①"                              # line 3: a circled one as the design life
    resp = upload(api, world.company_admin, as_csv(HEADER_EN, rows), "digits.csv")
    assert resp.status_code == 400, resp.json
    found = {(e["line"], e["column"], e["code"]) for e in resp.json["error"]["details"]["errors"]}
    assert found == {(2, "owner", "unknown_org"), (3, "design_life_years", "invalid_number")}
