"""The monthly report's figures checked by hand against a small world built for each test."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.clock import DISTRICT_TZ
from app.delivery.models import Hazard
from app.extensions import db
from tests.delivery.conftest import make_fleet


def _noon(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=DISTRICT_TZ)


def _section(api, world, month: str, key: str) -> dict:
    resp = api.get(f"/api/v1/reports/monthly?month={month}", world.regulator)
    assert resp.status_code == 200, resp.json
    return dict(map(tuple, next(s for s in resp.json["sections"] if s["key"] == key)["rows"]))


def test_hazards_overdue_as_the_month_ended_or_as_of_today(api, world, registry):
    """Today is 2026-06-15 (the test clock): a deadline on the 20th has not passed yet, and a
    hazard overdue on 31 May stays overdue in May's report after it is rectified in June."""
    fleet = make_fleet(api, world, registry)
    fleet.customer("shop", "restaurant")
    fleet.check("shop", hose_over_2m="fail", tee_connection="fail", no_gas_detector="fail")
    db.session.rollback()
    not_yet, late_fixed, late_open = db.session.scalars(select(Hazard).order_by(Hazard.id))
    not_yet.found_at, not_yet.deadline = _noon(2026, 6, 10), dt.date(2026, 6, 20)
    late_fixed.found_at, late_fixed.deadline = _noon(2026, 5, 5), dt.date(2026, 5, 20)
    late_fixed.status, late_fixed.rectified_at = "rectified", _noon(2026, 6, 2)
    late_open.found_at, late_open.deadline = _noon(2026, 5, 25), dt.date(2026, 6, 5)
    db.session.commit()

    assert _section(api, world, "2026-05", "hazards") == {
        "发现隐患": 2, "已整改": 0, "逾期未整改": 1}  # late_fixed, still open on 31 May
    assert _section(api, world, "2026-06", "hazards") == {
        "发现隐患": 1, "已整改": 1, "逾期未整改": 1}  # late_open only, as the ledger says
    ledger = api.get("/api/v1/hazards?overdue=true", world.regulator).json
    assert [h["id"] for h in ledger["hazards"]] == [late_open.id]


def test_dashboard_groupings_each_count_every_open_flag_once(api, world, registry):
    """Flags on no cylinder (an overdue hazard, a bad code scanned by nobody's unit) and
    in no area each land in one row of every grouping, so each grouping adds up to the total."""
    from app.delivery.safety import flag_overdue_hazards
    from app.traceability.flags import raise_flag

    fleet = make_fleet(api, world, registry)
    fleet.customer("shop", "restaurant")
    fleet.check("shop", hose_over_2m="fail")  # a hazard, due by the end of June
    refused = api.post("/api/v1/fillings", world.filler_b, json={"code": registry.cylinder()[
        "code"]})  # the company's cylinder at another station: fill_refused and not_owned
    assert refused.status_code == 409, refused.json
    db.session.rollback()
    assert flag_overdue_hazards(dt.date(2026, 8, 1)) == 1  # on no cylinder, the company's
    raise_flag("clone_suspected", code="LPG-NOBODY")  # on no cylinder, raised by no unit
    db.session.commit()

    board = api.get("/api/v1/flags/dashboard", world.regulator).json
    assert board["open_total"] == 4
    for grouping in ("by_kind", "by_station", "by_company", "by_area"):
        assert sum(row["count"] for row in board[grouping]) == 4, (grouping, board[grouping])
    assert {r["key"]: r["count"] for r in board["by_company"]} == {"莲池燃气公司": 2, "none": 2}
    assert {r["key"]: r["count"] for r in board["by_station"]} == {
        "南郊充装站": 2, "莲池燃气公司": 1, "none": 1}
    assert board["by_company"][-1]["label"] == "无气瓶"
    page = api.get("/oversight/flags?lang=en", world.regulator).data.decode()
    assert 'data-key="none"><td><span class="muted">No cylinder</span></td><td>2</td>' in page


def test_months_before_2000_are_refused(api, world):
    """1900-01 answered a report of zeros, 0001-01 'out of range; nothing was saved'."""
    for month in ("1900-01", "0001-01", "1999-12"):
        for url in (f"/api/v1/reports/monthly?month={month}",
                    f"/oversight/reports?month={month}&lang=en"):
            resp = api.get(url, world.regulator)
            assert resp.status_code == 400, (url, resp.status_code)
            if url.startswith("/api"):
                assert resp.json["error"]["code"] == "month_too_early"
                assert "2000-01" in resp.json["error"]["message"]
            else:
                assert "2000-01" in resp.data.decode()
    assert api.get("/api/v1/reports/monthly?month=2000-01", world.regulator).status_code == 200
    zh = api.get("/oversight/reports?month=1900-01", world.regulator).data.decode()
    assert "月度报告最早从 2000-01 开始。" in zh


def test_pdf_prints_names_as_they_were_typed(api, world):
    """An area named with '<' or '&' broke the PDF (reportlab read it as markup: a 500)."""
    import pypdfium2

    from tests.delivery.conftest import AREA

    for n, name in enumerate(("东关<b>片区", "x<y & z")):
        polygon = [[lon + n, lat] for lon, lat in AREA]
        area = api.post("/api/v1/areas", world.company_admin,
                        json={"name": name, "polygon": polygon}).json["id"]
        pdf = api.get(f"/api/v1/reports/monthly?month=2026-05&area_id={area}&format=pdf",
                      world.company_admin)
        assert pdf.status_code == 200, pdf.data[:200]
        doc = pypdfium2.PdfDocument(pdf.data)
        text = doc[0].get_textpage().get_text_range()
        doc.close()
        assert f"莲池燃气公司 · {name}" in text


def test_months_end_at_midnight_in_the_district(api, registry, world, events):
    """23:59 on the last day and 00:01 on the first (district time: the same UTC day) fall in
    two months, across a year's end and a February too; flags by when raised and resolved."""
    from app.traceability.models import Flag

    code = registry.cylinder()["code"]
    edges = [(2025, 12, 31, 23, 59), (2026, 1, 1, 0, 1), (2026, 2, 28, 23, 59),
             (2026, 3, 1, 0, 1), (2026, 4, 30, 23, 59), (2026, 5, 1, 0, 1)]
    for y, m, d, hh, mm in edges:
        events.fill(code, "filler_a", at=dt.datetime(y, m, d, hh, mm, tzinfo=DISTRICT_TZ))
    db.session.add(Flag(kind="overfill", org_id=world.orgs["station_a"],
                        raised_at=dt.datetime(2026, 1, 31, 23, 59, tzinfo=DISTRICT_TZ),
                        last_seen_at=dt.datetime(2026, 1, 31, 23, 59, tzinfo=DISTRICT_TZ),
                        status="resolved",
                        resolved_at=dt.datetime(2026, 2, 1, 0, 1, tzinfo=DISTRICT_TZ)))
    db.session.commit()

    def totals(month: str, org: str | None = None) -> dict:
        query = f"&org_id={world.orgs[org]}" if org else ""
        resp = api.get(f"/api/v1/reports/monthly?month={month}{query}", world.regulator)
        assert resp.status_code == 200, resp.json
        return resp.json["totals"]

    fills = {m: totals(m)["fills"] for m in ("2025-12", "2026-01", "2026-02", "2026-03",
                                              "2026-04", "2026-05")}
    assert fills == {"2025-12": 1, "2026-01": 1, "2026-02": 1, "2026-03": 1, "2026-04": 1,
                     "2026-05": 1}
    assert totals("2026-01", "station_a")["fills"] == 1
    assert totals("2026-01", "station_b")["fills"] == 0  # another station's report
    assert (totals("2026-01")["flags_raised"], totals("2026-01")["flags_resolved"]) == (1, 0)
    assert (totals("2026-02")["flags_raised"], totals("2026-02")["flags_resolved"]) == (0, 1)
    assert totals("2026-02", "station_b")["flags_resolved"] == 0
