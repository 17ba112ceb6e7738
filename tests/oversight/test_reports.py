"""The monthly report: its numbers checked against the events that produced them, as files too."""
from __future__ import annotations

import datetime as dt
import io
import re

import pypdfium2
from openpyxl import load_workbook

from app.auth.models import Organisation
from app.database import utcnow
from app.extensions import db
from app.oversight.reports.data import DISTRICT_TZ, monthly_report
from app.traceability.models import Event


def _month() -> str:
    return utcnow().astimezone(DISTRICT_TZ).strftime("%Y-%m")


def _district(api, registry, world, events):
    """A month of work: fills at two stations, refusals, deliveries, inspections, a seizure."""
    now = utcnow() - dt.timedelta(minutes=5)
    codes = [registry.cylinder()["code"] for _ in range(4)]
    events.fill(codes[0], "filler_a", at=now)
    events.fill(codes[1], "filler_a", at=now, overfill=True)
    events.fill(codes[2], "filler_b", at=now)
    events.refuse(codes[3], "filler_a", "inspection_overdue", "not_owned", at=now)
    events.refuse(codes[3], "filler_b", "inspection_overdue", at=now)
    events.deliver(codes[0], 1, at=now + dt.timedelta(minutes=1))
    events.deliver(codes[1], 2, safety_check_id=None, out_of_zone=True,
                   at=now + dt.timedelta(minutes=1))
    events.fill(codes[0], "filler_a", at=now - dt.timedelta(days=70))  # an older month
    api.post(f"/api/v1/cylinders/{codes[2]}/inspections", world.inspector,
             json={"result": "pass", "inspected_on": "2026-06-01"})
    api.post(f"/api/v1/cylinders/{codes[3]}/seize", world.regulator, json={"note": "x"})
    api.post(f"/api/v1/cylinders/{codes[3]}/hand-over", world.inspector, json={"note": "x"})
    api.post(f"/api/v1/cylinders/{codes[3]}/scrap", world.inspector, json={"note": "x"})
    events.fill(codes[3], "filler_b", at=now + dt.timedelta(minutes=2))  # a black cylinder
    db.session.rollback()
    return codes


def _rows(report, key):
    return report.section(key).rows


def test_numbers_match_the_events(api, registry, world, events):
    _district(api, registry, world, events)
    report = monthly_report(_month())
    fills = {r[0]: (r[1], r[2]) for r in _rows(report, "fills")}
    assert fills == {"第一充装站": (2, 1), "南郊充装站": (2, 0)}
    stored_fills = [e for e in db.session.scalars(db.select(Event).where(Event.type == "filled"))
                    if e.occurred_at.astimezone(DISTRICT_TZ).strftime("%Y-%m") == _month()]
    assert report.totals["fills"] == len(stored_fills) == 4
    refusals = {r[0]: r[2] for r in _rows(report, "refusals")}
    assert refusals == {"inspection_overdue": 2, "not_owned": 1}
    assert report.totals["refusals"] == 2  # two refused attempts, three reasons between them
    assert dict((r[0], r[1]) for r in _rows(report, "deliveries")) == {
        "配送次数": 2, "随瓶安检": 1, "未随瓶安检": 1, "超区域配送": 1}
    assert dict((r[0], r[1]) for r in _rows(report, "black")) == {
        "查封扣押": 1, "移交检验机构": 1, "报废": 1, "注销使用登记": 0, "发现黑气瓶（标记）": 1}
    assert _rows(report, "inspections")[0] == ["定期检验", 1, 0]
    flags = {r[1]: (r[2], r[3]) for r in _rows(report, "flags")}
    assert flags == {"black_cylinder": (1, 0)}
    assert _rows(report, "hazards") == [["发现隐患", 0], ["已整改", 0], ["逾期未整改", 0]]
    station = monthly_report(_month(), world.orgs["station_b"])
    assert station.totals["fills"] == 2 and station.scope == "南郊充装站"
    assert station.totals["refusals"] == 1


def test_report_files_and_access(api, registry, world, events):
    _district(api, registry, world, events)
    url = f"/api/v1/reports/monthly?month={_month()}"
    xlsx = api.get(url + "&format=xlsx", world.regulator)
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["概要", "充装", "拒绝充装（按原因）", "异常标记", "黑气瓶查处",
                               "检验", "配送与随瓶安检", "隐患排查整治", "链头摘要"]
    assert [c.value for c in book["充装"][1]] == ["充装单位", "充装次数", "超装次数"]
    assert sum(row[1] for row in book["充装"].iter_rows(min_row=2, values_only=True)) == 4
    pdf = api.get(url + "&format=pdf", world.regulator)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    doc = pypdfium2.PdfDocument(pdf.data)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    assert "月度工作进展报告" in text and "第一充装站" in text and "随瓶安检" in text
    assert not re.search(r"\b\d+\.\d\b", text)  # counts are whole: no 0.5 ticks on the charts
    as_json = api.get(url, world.regulator).json
    assert as_json["totals"]["fills"] == 4
    own = api.get(url, world.station_a_admin).json
    assert own["org_id"] == world.orgs["station_a"] and own["totals"]["fills"] == 2
    other = api.get(url + f"&org_id={world.orgs['station_b']}", world.station_a_admin)
    assert other.status_code == 403
    assert api.get(url, world.filler_a).status_code == 403
    assert api.get("/api/v1/reports/monthly?month=2026-13", world.regulator).status_code == 400
    assert api.get("/api/v1/reports/monthly?month=May", world.regulator).status_code == 400
    assert api.get(url + "&format=doc", world.regulator).status_code == 400
    ahead = api.get("/api/v1/reports/monthly?month=2099-05", world.regulator)
    assert (ahead.status_code, ahead.json["error"]["code"]) == (400, "month_in_future")
    nobody = api.get(url + "&org_id=99999", world.regulator)
    assert (nobody.status_code, nobody.json["error"]["code"]) == (404, "org_not_found")


def test_cli_writes_both_files(app, registry, world, events, tmp_path, api):
    _district(api, registry, world, events)
    result = app.test_cli_runner().invoke(args=["report", "monthly", "--month", _month(),
                                                "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"monthly-report-{_month()}.xlsx").stat().st_size > 1000
    assert (tmp_path / f"monthly-report-{_month()}.pdf").read_bytes().startswith(b"%PDF")
    assert "fills 4" in result.output
    bad = app.test_cli_runner().invoke(args=["report", "monthly", "--month", "nope"])
    assert bad.exit_code != 0


def test_rebuilt_traces_match_the_live_ones(app, registry, events, world):
    from app.oversight.models import CylinderParty, CylinderTrace

    code = registry.cylinder()["code"]
    events.fill(code, "filler_a")
    events.deliver(code, 501, driver_id=9, lat=38.8, lon=115.4)

    def snapshot():
        db.session.rollback()
        traces = [{c: getattr(t, c) for c in t.__table__.columns.keys()}  # noqa: SIM118 (a ColumnCollection)
                  for t in db.session.scalars(db.select(CylinderTrace))]
        parties = sorted((p.kind, p.ref_id, p.cylinder_id)
                         for p in db.session.scalars(db.select(CylinderParty)))
        return traces, parties

    live = snapshot()
    result = app.test_cli_runner().invoke(args=["oversight", "rebuild-traces"])
    assert result.exit_code == 0, result.output
    assert snapshot() == live
    assert live[1] == [("customer", events.customer(501), 1), ("driver", events.driver(9), 1)]


def test_a_unit_name_that_looks_like_a_formula_stays_text_in_the_workbook(api, world):
    """Formula injection: a unit registered as '=HYPERLINK(...)' was a live formula."""
    name = '=HYPERLINK("http://example.invalid","报表")'
    org = api.post("/api/v1/orgs", world.regulator, json={"name": name, "kind": "gas_company"})
    assert org.status_code == 201, org.json
    resp = api.get(f"/api/v1/reports/monthly?month={_month()}&org_id={org.json['id']}"
                   "&format=xlsx", world.regulator)
    assert resp.status_code == 200, resp.data
    book = load_workbook(io.BytesIO(resp.data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    assert name in [c.value for c in cells]


def test_a_unit_name_with_a_control_character_is_shown_in_the_workbook_not_a_500(api, world):
    """openpyxl refuses C0 control characters: a unit named with one made the XLSX a 500."""
    org = api.post("/api/v1/orgs", world.regulator,
                   json={"name": "东关燃气", "kind": "gas_company"})
    assert org.status_code == 201, org.json
    # the API refuses such a name now (app/text_rules.py); one stored before still holds it
    db.session.get(Organisation, org.json["id"]).name = "东关\x0e燃气"
    db.session.commit()
    resp = api.get(f"/api/v1/reports/monthly?month={_month()}&org_id={org.json['id']}"
                   "&format=xlsx", world.regulator)
    assert resp.status_code == 200, resp.data
    cover = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert "东关\ufffd燃气" in [row[1] for row in cover.iter_rows(values_only=True)]


def test_a_reason_row_is_named_for_its_code_not_for_its_first_refusals_detail(
        api, registry, world, events):
    """Two banned models refused: one row counting both, without the first one's model."""
    now = utcnow() - dt.timedelta(minutes=5)
    for model in ("YSP118-II", "YSP35.5-X"):
        code = registry.cylinder()["code"]
        events.add(code, "fill_refused", "filler_a", station_org_id=world.orgs["station_a"],
                   at=now, reasons=[{"code": "banned_model", "message": f"禁用型号 {model}",
                                     "message_en": f"Banned model: {model}"}])
    db.session.rollback()
    assert _rows(monthly_report(_month()), "refusals") == [["banned_model", "禁用型号", 2]]


def test_report_files_say_when_they_were_made_in_district_time(api, world, monkeypatch):
    """The files said "生成时间（UTC）": a report made at 07:30 in Baoding on the 15th said
    23:30 on the 14th. They now give the district's time and say so."""
    import app.database

    made = dt.datetime(2026, 6, 14, 23, 30, tzinfo=dt.UTC)  # 2026-06-15 07:30 in Baoding
    monkeypatch.setattr(app.database, "utcnow", lambda: made)
    url = "/api/v1/reports/monthly?month=2026-05"
    cover = load_workbook(io.BytesIO(api.get(url + "&format=xlsx", world.regulator).data))["概要"]
    assert [c.value for c in cover[4]] == ["生成时间（北京时间）", "2026-06-15 07:30"]
    doc = pypdfium2.PdfDocument(api.get(url + "&format=pdf", world.regulator).data)
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    assert "生成时间（北京时间）：2026-06-15 07:30" in text and "UTC" not in text
