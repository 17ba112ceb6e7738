"""The hazard ledger: entries from failed items, open -> rectified -> verified by another person,
overdue flags, filters and counts, and the XLSX a district office files."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.delivery.models import Customer, Hazard
from app.extensions import db
from app.traceability.models import Flag
from tests.delivery.conftest import OUTSIDE, PNG_1PX, add_driver


@pytest.fixture
def ledger(fleet, world):
    """Two visits with failures (one inside the area, one outside it) and one clean visit."""
    fleet.customer("home")
    fleet.customer("diner", "restaurant", position=OUTSIDE)
    fleet.customer("clean")
    other = add_driver(world, "driver2")
    first = fleet.check("home", hose_over_2m="fail", tee_connection="fail")
    second = fleet.check("diner", actor=other, no_gas_detector="fail")
    clean = fleet.check("clean")
    assert {first.status_code, second.status_code, clean.status_code} == {201}, (
        first.json, second.json)
    return fleet


def test_failed_items_become_entries_with_deadline_and_responsible(ledger, api, world):
    resp = api.get("/api/v1/hazards", world.company_admin)
    assert resp.status_code == 200
    hazards = resp.json["hazards"]
    assert sorted(h["item"] for h in hazards) == ["hose_over_2m", "no_gas_detector",
                                                  "tee_connection"]
    tee = next(h for h in hazards if h["item"] == "tee_connection")
    assert tee["severity"] == "major" and tee["deadline"] == "2026-06-18"
    assert tee["responsible_person"] == "负责人home"
    assert tee["found_by_id"] == world.driver.id and tee["status"] == "open"
    assert tee["item_label"] == "私接三通" and tee["photo_id"]
    hose = next(h for h in hazards if h["item"] == "hose_over_2m")
    assert hose["severity"] == "general" and hose["deadline"] == "2026-06-30"
    photo = api.get(f"/api/v1/photos/{tee['photo_id']}", world.company_admin)
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert api.get(f"/api/v1/photos/{tee['photo_id']}", world.station_a_admin).status_code == 404
    counts = resp.json["counts"]
    assert counts["total"] == 3 and counts["clean_visits"] == 1
    assert {c["key"]: c["count"] for c in counts["by_area"]} == {ledger.ids["area"]: 2, None: 1}
    assert {c["key"]: c["count"] for c in counts["by_driver"]} == {
        world.driver.id: 2, world.users["driver2"].id: 1}


def test_filters(ledger, api, world):
    def items(query: str) -> list[str]:
        resp = api.get(f"/api/v1/hazards?{query}", world.company_admin)
        assert resp.status_code == 200, resp.json
        return sorted(h["item"] for h in resp.json["hazards"])

    assert items(f"area_id={ledger.ids['area']}") == ["hose_over_2m", "tee_connection"]
    assert items(f"driver_id={world.users['driver2'].id}") == ["no_gas_detector"]
    assert items("item=tee_connection") == ["tee_connection"]
    assert items("status=verified") == []
    assert items("found_from=2026-06-16") == []
    assert items("found_to=2026-06-15&found_from=2026-06-15") == [
        "hose_over_2m", "no_gas_detector", "tee_connection"]
    assert items("overdue=true") == []
    bad = api.get("/api/v1/hazards?status=maybe", world.company_admin)
    assert (bad.status_code, bad.json["error"]["code"]) == (400, "validation_error")


def test_dates_at_the_ends_of_the_calendar_are_bad_input(ledger, api, world):
    # 0001-01-01 in district time is still year 0 in UTC: the conversion overflowed while the
    # query's parameters were bound (a 500); 9999-12-31's next day overflowed before the query
    for query in ("found_from=0001-01-01", "found_to=9999-12-31"):
        for path in ("/api/v1/hazards", "/api/v1/hazards.xlsx"):
            resp = api.get(f"{path}?{query}", world.regulator)
            assert resp.status_code == 400, (path, query, resp.status_code, resp.data)
            assert resp.json["error"]["code"] == "value_out_of_range"
    resp = api.get("/api/v1/hazards?found_from=0001-01-02", world.regulator)
    assert len(resp.json["hazards"]) == 3


def test_open_rectified_verified_by_someone_else(ledger, api, world):
    hazard = api.get("/api/v1/hazards?item=tee_connection", world.company_admin).json[
        "hazards"][0]
    path = f"/api/v1/hazards/{hazard['id']}"
    early = api.post(f"{path}/verify", world.company_admin, json={})
    assert (early.status_code, early.json["error"]["code"]) == (409, "hazard_not_rectified")
    no_evidence = api.post(f"{path}/rectify", world.driver, json={"evidence": ""})
    assert no_evidence.status_code == 400
    done = api.post(f"{path}/rectify", world.driver,
                    json={"evidence": "拆除三通，更换整根胶管", "photo": PNG_1PX})
    assert done.status_code == 200 and done.json["status"] == "rectified"
    assert done.json["evidence_photo_id"]
    twice = api.post(f"{path}/rectify", world.driver, json={"evidence": "again"})
    assert twice.json["error"]["code"] == "hazard_not_open"
    own = api.post(f"{path}/verify", world.driver, json={})
    assert (own.status_code, own.json["error"]["code"]) == (403, "reporter_cannot_verify")
    assert api.post(f"{path}/verify", world.filler_a, json={}).status_code == 403
    rival = add_driver(world, "rival", org="station_b")
    assert api.post(f"{path}/verify", rival, json={}).status_code == 404
    ok = api.post(f"{path}/verify", world.company_admin, json={"note": "现场复核合格"})
    assert ok.status_code == 200
    assert ok.json["status"] == "verified" and ok.json["verified_by_id"] == world.company_admin.id


def test_whoever_rectified_a_hazard_does_not_verify_it(ledger, api, world):
    hazard = next(h for h in api.get("/api/v1/hazards", world.company_admin).json["hazards"]
                  if h["status"] == "open")
    path = f"/api/v1/hazards/{hazard['id']}"
    assert api.post(f"{path}/rectify", world.company_admin,
                    json={"evidence": "已加装可燃气体探测器"}).status_code == 200
    own = api.post(f"{path}/verify", world.company_admin, json={})
    assert (own.status_code, own.json["error"]["code"]) == (403, "rectifier_cannot_verify")
    ledger = api.get("/api/v1/hazards", world.company_admin).json["hazards"]
    assert next(h for h in ledger if h["id"] == hazard["id"])["status"] == "rectified"
    ok = api.post(f"{path}/verify", world.regulator, json={"note": "复查合格"})
    assert (ok.status_code, ok.json["status"]) == (200, "verified")


def test_overdue_hazards_are_flagged_once(ledger, app, api, world, ctx):
    import datetime as dt

    from app.delivery.safety import flag_overdue_hazards

    runner = app.test_cli_runner()
    result = runner.invoke(args=["hazards", "flag-overdue", "--on", "2026-06-19"])
    assert result.exit_code == 0, result.output
    assert "flagged 2 overdue hazards" in result.output  # the two major ones, due 06-18
    assert flag_overdue_hazards(dt.date(2026, 6, 19)) == 0  # not twice
    db.session.rollback()
    flags = list(db.session.scalars(select(Flag).where(Flag.kind == "hazard_overdue")))
    assert {f.details["item"] for f in flags} == {"tee_connection", "no_gas_detector"}
    assert {f.org_id for f in flags} == {world.orgs["company"]}
    company_flags = api.get("/api/v1/flags", world.company_admin).json
    assert [f["kind"] for f in company_flags] == ["hazard_overdue"] * 2
    overdue = api.get("/api/v1/hazards?overdue=true", world.company_admin).json["hazards"]
    assert overdue == []  # judged by today (06-15) on read; the CLI was told 06-19
    hazard_id = flags[0].details["hazard_id"]
    api.post(f"/api/v1/hazards/{hazard_id}/rectify", world.driver, json={"evidence": "已整改"})
    db.session.rollback()
    assert db.session.get(Flag, flags[0].id).status == "resolved"


def test_ledger_access(ledger, api, world):
    assert api.get("/api/v1/hazards", world.regulator).json["counts"]["total"] == 3
    assert api.get("/api/v1/hazards", world.station_a_admin).status_code == 403
    assert api.get("/api/v1/hazards", world.filler_a).status_code == 403
    assert api.get("/api/v1/hazards.xlsx", world.driver).status_code == 403
    assert api.get("/api/v1/hazards", None).status_code == 401


def test_export_opens_with_the_right_rows(ledger, api, world, tmp_path):
    resp = api.get("/api/v1/hazards.xlsx", world.company_admin)
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(resp.data)
    sheet = load_workbook(path)["隐患台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "瓶装液化石油气用户安全隐患台账"
    assert "莲池燃气公司" in rows[1][0]
    header = rows[2]
    assert header[:8] == ("序号", "隐患编号", "发现时间", "所属区域", "用户名称", "用户类型",
                          "用户地址", "隐患项目")
    body = rows[3:]
    assert len(body) == 3
    by_item = {row[7]: row for row in body}
    assert set(by_item) == {"胶管长度超过2米", "私接三通", "未安装可燃气体报警器或不能正常工作"}
    tee = by_item["私接三通"]
    assert tee[3] == "东关片区" and tee[4] == "用户home" and tee[5] == "居民用户"
    assert tee[8] == "重大隐患" and tee[12] == "未整改" and tee[13] == "否"
    assert str(tee[10]).startswith("2026-06-18")
    summary = {(r[0], r[1]): r[2] for r in load_workbook(path)["汇总"].iter_rows(values_only=True)}
    assert summary[("安检无隐患户次", None)] == 1 or summary[("安检无隐患户次", "")] == 1
    only_diner = api.get(f"/api/v1/hazards.xlsx?driver_id={world.users['driver2'].id}",
                         world.company_admin)
    sheet = load_workbook(io.BytesIO(only_diner.data)).active
    assert sheet.max_row == 4


@pytest.mark.slow
def test_export_opens_in_libreoffice(ledger, api, world, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui); "
                    "the openpyxl test above still checks the file")
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(api.get("/api/v1/hazards.xlsx", world.company_admin).data)
    done = subprocess.run([office, "--headless", "--convert-to", "csv:Text - txt - csv "
                           "(StarCalc):44,34,76", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, timeout=120,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader((tmp_path / "ledger.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[2][:3] == ["序号", "隐患编号", "发现时间"]
    assert len([r for r in rows[3:] if r and r[0].isdigit()]) == 3
    assert {r[7] for r in rows[3:]} == {"胶管长度超过2米", "私接三通",
                                        "未安装可燃气体报警器或不能正常工作"}


@pytest.mark.parametrize("side", [100_000, 8_000])  # Pillow's own bomb error; our limit
def test_a_photo_with_a_bomb_of_a_header_is_refused_not_a_500(ledger, api, world, side):
    """A PNG claiming side x side pixels (a few hundred bytes) crashed the photo check."""
    import base64

    from tests.reliability.hostile_images import png_claiming

    bomb = "data:image/png;base64," + base64.b64encode(png_claiming(side, side)).decode()
    hazard = api.get("/api/v1/hazards?item=tee_connection", world.company_admin).json[
        "hazards"][0]
    resp = api.post(f"/api/v1/hazards/{hazard['id']}/rectify", world.driver,
                    json={"evidence": "拆除三通", "photo": bomb})
    assert (resp.status_code, resp.json["error"]["code"]) == (400, "photo_too_large"), resp.json
    again = api.get("/api/v1/hazards?item=tee_connection", world.company_admin).json
    assert again["hazards"][0]["status"] == "open"  # nothing half-written
    before = api.get("/api/v1/hazards", world.company_admin).json["counts"]["total"]
    ledger.customer("bomb")
    check = ledger.check("bomb", photos={"no_gas_detector": bomb}, no_gas_detector="fail")
    assert (check.status_code, check.json["error"]["code"]) == (400, "photo_too_large")
    assert api.get("/api/v1/hazards", world.company_admin).json["counts"]["total"] == before


def test_a_hazard_rectified_twice_at_once_is_rectified_once(ledger, api, world, clean_app):
    """Both read 'open' before either wrote (PostgreSQL runs them side by side): the second
    overwrote the first's evidence and photo. Now the second waits and answers 409."""
    from tests.db_helpers import race

    hazard = next(h for h in api.get("/api/v1/hazards", world.company_admin).json["hazards"]
                  if h["status"] == "open")
    path = f"/api/v1/hazards/{hazard['id']}/rectify"
    answers = race(clean_app, [
        lambda client, actor=actor, text=text: client.post(path, json={"evidence": text},
                                                           headers=actor.headers)
        for actor, text in ((world.driver, "更换胶管"), (world.company_admin, "拆除三通"))],
        lambda sql: sql.lstrip().upper().startswith("UPDATE HAZARDS"))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "hazard_not_open"]
    done = next(a for a in answers if a.status_code == 200).json
    stored = next(h for h in api.get("/api/v1/hazards", world.company_admin).json["hazards"]
                  if h["id"] == hazard["id"])
    assert (stored["evidence"], stored["rectified_by_id"]) == (done["evidence"],
                                                               done["rectified_by_id"])


def test_a_name_that_looks_like_a_formula_stays_text_in_the_workbook(fleet, api, world):
    """Formula injection: a customer named '=HYPERLINK(...)' was a live formula in the export."""
    name = '=HYPERLINK("http://example.invalid","点击")'
    fleet.customer("sly", contact_name=name)
    assert fleet.check("sly", hose_over_2m="fail").status_code == 201
    resp = api.get("/api/v1/hazards.xlsx", world.company_admin)
    sheet = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == name]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_control_character_in_a_stored_text_is_shown_not_a_500(fleet, api, world):
    """A name, address or evidence with a control character made the export a 500: openpyxl
    refuses such text. It is shown as U+FFFD instead. Forms and the API refuse such text now
    (app/text_rules.py); rows stored before that still hold it, as written here."""
    customer = db.session.get(Customer, fleet.customer("ctl"))
    customer.name, customer.address = "用户\x0e甲", "东关\x01大街"
    db.session.commit()
    hazard = fleet.check("ctl", hose_over_2m="fail").json["hazards"][0]
    done = api.post(f"/api/v1/hazards/{hazard}/rectify", world.company_admin,
                    json={"evidence": "已更换软管"})
    assert done.status_code == 200, done.json
    db.session.get(Hazard, hazard).evidence = "已更换\x1b软管"
    db.session.commit()
    resp = api.get("/api/v1/hazards.xlsx", world.company_admin)
    assert resp.status_code == 200, resp.data
    values = {c.value for row in load_workbook(io.BytesIO(resp.data)).worksheets[0].iter_rows()
              for c in row}
    assert {"用户\ufffd甲", "东关\ufffd大街", "已更换\ufffd软管"} <= values
