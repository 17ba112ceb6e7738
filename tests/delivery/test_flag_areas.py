"""Flags and the monthly report by delivery area: where a flag was seen, counted per area."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.traceability.models import Flag
from tests.delivery.conftest import AREA, INSIDE

WEST = [[lon - 0.1, lat] for lon, lat in AREA]  # a second area, 0.1 degree west of the first
IN_WEST = {"lon": INSIDE["lon"] - 0.1, "lat": INSIDE["lat"]}


def _flags() -> list[Flag]:
    db.session.rollback()  # see what the requests committed
    return list(db.session.scalars(select(Flag).where(Flag.status == "open")))


def _two_areas(fleet, world) -> tuple[int, int]:
    """The fleet's area (east) and a west one; a shop in each; deliveries into both."""
    west = fleet.post("/api/v1/areas", world.company_admin, {"name": "西关片区", "polygon": WEST},
                      201).json["id"]
    fleet.customer("east_shop", "restaurant")
    fleet.customer("west_shop", "restaurant", position=IN_WEST)
    east_code, west_code = fleet.cylinder(), fleet.cylinder()
    for code in (east_code, west_code):
        assert fleet.dispatch(code).status_code == 201
    assert fleet.deliver(east_code, "east_shop").json["flags"] == ["no_safety_check"]
    far = fleet.deliver(west_code, "west_shop", position=IN_WEST)
    assert set(far.json["flags"]) == {"out_of_zone", "no_safety_check"}
    return fleet.ids["area"], west


def test_flags_carry_the_area_they_were_seen_in(fleet, world, api, registry):
    east, west = _two_areas(fleet, world)
    refused = api.post("/api/v1/fillings", world.filler_b, json={"code": registry.cylinder()[
        "code"]})  # another station's cylinder: a refusal at a station, in no area
    assert refused.status_code == 409, refused.json
    by_kind_area = sorted((f.kind, f.area_id) for f in _flags())
    # the west customer's area, not the driver's: that is where it happened
    assert by_kind_area == sorted([("no_safety_check", east), ("out_of_zone", west),
                                   ("no_safety_check", west), ("fill_refused", None),
                                   ("not_owned", None)])
    # a station's scan with the phone's position: the area containing it
    placed = api.post("/api/v1/fillings", world.filler_b, json={
        "code": registry.cylinder()["code"], **IN_WEST})
    assert placed.status_code == 409, placed.json
    placed_flags = {f.kind: f.area_id for f in _flags() if f.code == placed.json["code"]}
    assert placed_flags == {"fill_refused": west, "not_owned": west}
    listed = api.get(f"/api/v1/flags?area_id={west}", world.regulator)
    assert sorted(f["kind"] for f in listed.json) == ["fill_refused", "no_safety_check",
                                                      "not_owned", "out_of_zone"]
    assert {f["area_id"] for f in listed.json} == {west}

    board = api.get("/api/v1/flags/dashboard", world.regulator)
    assert board.status_code == 200, board.json
    counts = {row["key"]: (row["label"], row["count"]) for row in board.json["by_area"]}
    assert counts == {str(west): ("莲池燃气公司 · 西关片区", 4),
                      str(east): ("莲池燃气公司 · 东关片区", 1),
                      "none": (counts["none"][0], 2)}
    assert board.json["by_area"][-1]["key"] == "none"  # the unplaced ones last


def test_monthly_report_for_an_area(fleet, world, api):
    east, west = _two_areas(fleet, world)
    fleet.check("east_shop", hose_over_2m="fail")  # a hazard at the east shop
    url = "/api/v1/reports/monthly?month=2026-06&area_id={}"

    def section(body: dict, key: str) -> dict:
        return next(s for s in body["sections"] if s["key"] == key)

    east_report = api.get(url.format(east), world.regulator)
    assert east_report.status_code == 200, east_report.json
    body = east_report.json
    assert (body["area_id"], body["scope"]) == (east, "莲池燃气公司 · 东关片区")
    # both deliveries were made on the east area's round; the west one out of its zone
    deliveries = dict(map(tuple, section(body, "deliveries")["rows"]))
    assert deliveries == {"配送次数": 2, "随瓶安检": 0, "未随瓶安检": 2, "超区域配送": 1}
    assert section(body, "hazards")["rows"][0] == ["发现隐患", 1]
    fills = section(body, "fills")
    assert fills["rows"] == [] and "不属于配送区域" in fills["note"]

    # the west area has no round of its own: no deliveries counted there
    west_report = api.get(url.format(west), world.regulator).json
    assert dict(map(tuple, section(west_report, "deliveries")["rows"]))["配送次数"] == 0
    assert section(west_report, "hazards")["rows"][0] == ["发现隐患", 0]
    district = api.get("/api/v1/reports/monthly?month=2026-06", world.regulator).json
    assert dict(map(tuple, section(district, "deliveries")["rows"]))["配送次数"] == 2

    own = api.get(url.format(east) + "&format=xlsx", world.company_admin)
    assert own.status_code == 200
    for actor in (world.station_a_admin,):
        other = api.get(url.format(east), actor)
        assert (other.status_code, other.json["error"]["code"]) == (404, "area_not_found")
    missing = api.get(url.format(10**6), world.regulator)
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "area_not_found")


def test_flags_page_counts_by_area_and_filters_the_queue(fleet, world, client):
    east, west = _two_areas(fleet, world)
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(world.regulator.id), True

    def get(path: str) -> str:
        with client.application.app_context():
            resp = client.get(path)
        assert resp.status_code == 200
        return resp.get_data(as_text=True)

    page = get("/oversight/flags")
    assert 'data-testid="by-area"' in page and "莲池燃气公司 · 西关片区" in page
    assert f'href="/oversight/flags?area_id={west}"' in page
    queue = get(f"/oversight/flags?area_id={west}")
    kinds = sorted(queue.split('data-testid="queue"')[1].split("</ul>")[0]
                   .count(f'data-kind="{k}"') for k in ("out_of_zone", "no_safety_check"))
    assert kinds == [1, 1]  # the east area's no_safety_check is not in the west queue
    report = get(f"/oversight/reports?month=2026-06&area_id={east}")
    assert "2026-06 · 莲池燃气公司 · 东关片区" in report and "不属于配送区域" in report


def test_area_report_names_the_company_once(fleet, world, api):
    east, _west = _two_areas(fleet, world)
    url = f"/api/v1/reports/monthly?month=2026-06&area_id={east}"
    own = api.get(url, world.company_admin)  # a company's admin reports on its own unit
    assert own.status_code == 200, own.json
    assert own.json["scope"] == "莲池燃气公司 · 东关片区"
    company = world.orgs["company"]
    chosen = api.get(f"{url}&org_id={company}", world.regulator).json
    assert chosen["scope"] == "莲池燃气公司 · 东关片区"
    book = load_workbook(io.BytesIO(api.get(url + "&format=xlsx", world.company_admin).data))
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True)}
    assert summary["报送范围"] == "莲池燃气公司 · 东关片区"
