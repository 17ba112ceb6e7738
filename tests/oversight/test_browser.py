"""The public page, search to timeline, and the flags dashboard in a real Chromium."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.auth.models import User
from app.extensions import db
from app.traceability.events import record_event
from app.traceability.models import Cylinder
from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _api(live: Any, method: str, path: str, actor: str, **kw: Any) -> Any:
    client = live.app.test_client()
    with live.app.app_context():
        resp = client.open(path, method=method, headers=live.world.users[actor].headers, **kw)
    assert resp.status_code < 300, resp.json
    return resp.json


def _cylinder(live: Any, **fields: Any) -> dict:
    code = _api(live, "POST", "/api/v1/code-batches", "regulator",
                json={"count": 1, "owner_org_id": live.world.orgs["company"]})["codes"][0]
    body = {"code": code["code"], "serial_no": f"B{code['code'][:8]}", "manufacturer": "百工容器",
            "model": "YSP35.5", "manufactured_on": "2022-03-01",
            "owner_org_id": live.world.orgs["company"], "last_inspected_on": "2024-05-01",
            **fields}
    return _api(live, "POST", "/api/v1/cylinders", "regulator", json=body)


def _event(live: Any, code: str, type_: str, actor: str, at: dt.datetime, **data: Any) -> None:
    with live.app.app_context():
        cyl = db.session.scalar(db.select(Cylinder).where(Cylinder.code == code))
        user = db.session.get(User, live.world.users[actor].id)
        record_event(cyl, type_, user, occurred_at=at, data=data,
                     place=data.pop("place", None) if "place" in data else None)
        db.session.commit()


def _fill(live: Any, code: str, actor: str, at: dt.datetime) -> None:
    _event(live, code, "filled", actor, at, station_org_id=live.world.users[actor].org_id,
           net_mass_kg=14.6, rated_fill_kg=14.9, overfill=False, precheck={"valve": True})


def test_public_page_from_the_qr_payload_says_it_is_safe(page, live_server):
    cyl = _cylinder(live_server)
    _fill(live_server, cyl["code"], "filler_a", NOW - dt.timedelta(hours=3))
    page.goto(cyl["payload"])  # what a phone camera opens
    verdict = page.locator("[data-testid=verdict]")
    assert "已登记气瓶" in verdict.inner_text()
    assert page.locator("[data-testid=owner]").inner_text() == "莲池燃气公司"
    assert "第一充装站" in page.content()
    screenshot(page, "public-ok")


def test_public_page_warns_in_red_and_takes_a_report(page, live_server):
    cyl = _cylinder(live_server, manufactured_on="2019-01-01", last_inspected_on="2021-01-01")
    page.goto(cyl["payload"])
    verdict = page.locator("[data-testid=verdict]")
    assert "危险：请勿使用此气瓶" in verdict.inner_text()
    assert "定期检验已超期" in verdict.inner_text()
    colour = verdict.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(198, 40, 40)"
    page.select_option("select[name=category]", "overdue")
    page.fill("textarea[name=message]", "小区门口有人用这只过期的瓶")
    screenshot(page, "public-danger")
    page.click("[data-testid=report-submit]")
    assert "感谢您的举报" in page.locator("[data-testid=thanks]").inner_text()
    reports = _api(live_server, "GET", "/api/v1/public-reports", "regulator")
    assert any(r["code"] == cyl["code"] and r["category"] == "overdue" for r in reports)


def test_an_unknown_code_is_red(page, live_server):
    resp = page.goto("/c/NOT-OUR-CODE")
    assert resp.status == 404
    assert "未知编码" in page.locator("[data-testid=verdict]").inner_text()


def test_search_then_timeline(page, live_server):
    cyl = _cylinder(live_server, manufacturer="浏览器测试厂")
    _fill(live_server, cyl["code"], "filler_a", NOW - dt.timedelta(days=2))
    _event(live_server, cyl["code"], "delivered", "driver", NOW - dt.timedelta(days=2, hours=-3),
           customer_id=11, vehicle_id=2, driver_id=5, safety_check_id=77, out_of_zone=False)
    login(page, "regulator")
    page.goto("/oversight/search")
    page.fill("input[name=manufacturer]", "浏览器测试厂")
    page.click("[data-testid=search-submit]")
    results = page.locator("[data-testid=results]")
    assert "共找到 1 只气瓶" in results.inner_text()
    screenshot(page, "search")
    page.click(f"a[href='/oversight/cylinders/{cyl['code']}']")
    assert "履历链校验通过" in page.locator("[data-testid=chain-badge]").inner_text()
    steps = page.locator("[data-testid=timeline] li")
    assert steps.count() == 3
    assert "随瓶安检 77" in steps.nth(2).inner_text()
    screenshot(page, "timeline")


def test_flags_dashboard_shows_a_clone_and_resolves_it(page, live_server):
    cyl = _cylinder(live_server)
    _fill(live_server, cyl["code"], "filler_a", NOW - dt.timedelta(hours=5))
    _fill(live_server, cyl["code"], "filler_b", NOW - dt.timedelta(hours=4))
    login(page, "regulator")
    page.goto("/oversight/flags")
    assert page.locator("[data-testid=trend-chart] polyline").count() >= 1
    assert "疑似克隆码" in page.locator("[data-testid=by-kind]").inner_text()
    item = page.locator(f"[data-testid=queue] li:has(a[href*='{cyl['code']}'])")
    assert item.locator("[data-rule=filled_at_two_stations]").count() == 1
    assert "短时间内在两个充装站充装" in item.inner_text()  # the rule, in the reader's words
    screenshot(page, "flags")
    item.locator("input[name=note]").fill("两站核实：复制标签，已查扣")
    item.locator("button").click()
    page.wait_for_load_state()
    assert page.locator(f"[data-testid=queue] a[href*='{cyl['code']}']").count() == 0
