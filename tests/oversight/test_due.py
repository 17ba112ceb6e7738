"""Expiry alerts (到期提醒): the four kinds at their edges, scoping, parameters, workbook, page."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from app.auth.models import Organisation
from app.extensions import db
from app.traceability.rules import add_years
from tests.conftest import TODAY

DUE = "/api/v1/cylinders/due"


def _on(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def _cyl(registry, due_in: int, ends_in: int = 2000, owner: str = "company", **extra) -> str:
    """A cylinder whose inspection falls due, and whose life ends, so many days from today."""
    made = add_years(_on(ends_in), -8)
    inspected = add_years(_on(due_in), -4)
    fields = {"manufactured_on": made.isoformat(),
              "last_inspected_on": max(inspected, made).isoformat()}
    if inspected < made:  # due before the first inspection: stamp a shorter life instead
        fields["manufactured_on"] = inspected.isoformat()
        fields["last_inspected_on"] = inspected.isoformat()
        fields["design_life_years"] = (_on(ends_in) - inspected).days // 365 + 1
    cyl = registry.cylinder(owner, **fields, **extra)
    assert cyl["next_inspection_due"] == _on(due_in).isoformat(), cyl
    return cyl["code"]


def _items(resp) -> dict[str, tuple[str, int]]:
    assert resp.status_code == 200, resp.json
    return {i["code"]: (i["kind"], i["days_left"]) for i in resp.json["items"]}


@pytest.fixture
def edges(registry):
    """One cylinder at each edge of the four kinds, for a 30-day window."""
    return {
        "overdue_1": _cyl(registry, -1),
        "due_today": _cyl(registry, 0),
        "due_day_n": _cyl(registry, 30),
        "due_day_n1": _cyl(registry, 31),
        "life_ends_today": _cyl(registry, 400, ends_in=0),
        "life_ended": _cyl(registry, 300, ends_in=-5),
        "life_ends_day_n": _cyl(registry, 200, ends_in=30),
        "life_ends_day_n1": _cyl(registry, 200, ends_in=31),
        "due_soon_life_soon": _cyl(registry, 10, ends_in=20),
        "overdue_life_soon": _cyl(registry, -3, ends_in=20),
    }


def test_the_four_kinds_at_their_boundaries(api, world, edges):
    resp = api.get(f"{DUE}?within_days=30&per_page=200", world.company_admin)
    got = _items(resp)
    e = edges
    assert got == {
        e["overdue_1"]: ("inspection_overdue", -1),
        e["overdue_life_soon"]: ("inspection_overdue", -3),
        e["due_today"]: ("inspection_due", 0),
        e["due_day_n"]: ("inspection_due", 30),
        e["life_ends_today"]: ("beyond_service_life", 0),
        e["life_ended"]: ("beyond_service_life", -5),
        e["life_ends_day_n"]: ("life_ending", 30),
        e["due_soon_life_soon"]: ("life_ending", 20),
    }
    assert resp.json["summary"] == {"inspection_overdue": 2, "beyond_service_life": 2,
                                    "inspection_due": 2, "life_ending": 2}
    assert resp.json["total"] == 8
    days = [i["days_left"] for i in resp.json["items"]]
    assert days == sorted(days)  # nearest (most overdue) first
    wider = _items(api.get(f"{DUE}?within_days=31&per_page=200", world.company_admin))
    assert wider[e["due_day_n1"]] == ("inspection_due", 31)
    assert wider[e["life_ends_day_n1"]] == ("life_ending", 31)
    one = api.get(f"{DUE}?within_days=30&kind=life_ending", world.regulator).json
    assert [i["code"] for i in one["items"]] == [e["due_soon_life_soon"], e["life_ends_day_n"]]
    assert one["total"] == 2 and one["summary"]["inspection_due"] == 2
    item = one["items"][0]
    assert set(item) == {"code", "display_code", "serial_no", "model", "owner_org_id",
                         "next_inspection_due", "service_life_ends", "kind", "days_left"}
    assert item["service_life_ends"] == _on(20).isoformat()


def test_default_window_and_paging(api, world, registry):
    codes = [_cyl(registry, d) for d in (5, 59, 60, 61)]
    first = api.get(f"{DUE}?per_page=2", world.regulator).json
    assert first["total"] == 3 and first["page"] == 1 and first["per_page"] == 2
    second = api.get(f"{DUE}?per_page=2&page=2", world.regulator).json
    assert [i["code"] for i in first["items"] + second["items"]] == codes[:3]


def test_dead_cylinders_are_left_out(api, world, registry):
    seized, scrapped, alive = (_cyl(registry, 3) for _ in range(3))
    for code, steps in ((seized, [("seize", "regulator")]),
                        (scrapped, [("seize", "regulator"), ("hand-over", "inspector"),
                                    ("scrap", "inspector"), ("cancel-registration", "regulator")])):
        for step, who in steps:
            resp = api.post(f"/api/v1/cylinders/{code}/{step}", world.users[who],
                            json={"note": "x"})
            assert resp.status_code == 201, resp.json
    assert set(_items(api.get(DUE, world.regulator))) == {alive}


def test_scoping_by_role_and_owner(api, world, registry):
    own = _cyl(registry, 3)
    other = _cyl(registry, 4, owner="station_b")
    company = world.orgs["company"]
    assert set(_items(api.get(DUE, world.company_admin))) == {own}
    # another owner's list is empty, as the search answers a company admin
    refused = api.get(f"{DUE}?owner_org_id={world.orgs['station_b']}", world.company_admin)
    assert _items(refused) == {} and refused.json["summary"]["inspection_due"] == 0
    assert set(_items(api.get(f"{DUE}?owner_org_id={company}", world.company_admin))) == {own}
    assert set(_items(api.get(DUE, world.station_a_admin))) == set()
    for who in ("regulator", "inspector", "admin"):  # the platform admin supervises too
        assert set(_items(api.get(DUE, world.users[who]))) == {own, other}
    assert set(_items(api.get(f"{DUE}?owner_org_id={company}", world.inspector))) == {own}
    for who in ("filler_a", "driver", "printer"):
        assert api.get(DUE, world.users[who]).status_code == 403
        assert api.get(DUE + ".xlsx", world.users[who]).status_code == 403
    assert api.get(DUE).status_code == 401


@pytest.mark.parametrize("query", ["within_days=0", "within_days=1000", "within_days=abc",
                                   "kind=soon", "page=0", "per_page=500"])
def test_bad_parameters_are_a_clear_400(api, world, query):
    for path in (DUE, DUE + ".xlsx"):
        resp = api.get(f"{path}?{query}", world.regulator)
        assert resp.status_code == 400, resp.data
        assert resp.json["error"]["code"] == "validation_error"
        field = query.split("=")[0]
        assert field in resp.json["error"]["details"]["query"]


def test_the_route_does_not_shadow_a_cylinder_code(api, world, registry):
    code = _cyl(registry, 3)
    assert api.get(f"/api/v1/cylinders/{code}", world.regulator).json["code"] == code
    assert "summary" in api.get(DUE, world.regulator).json
    assert api.get(DUE + ".xlsx", world.regulator).mimetype.endswith("sheet")


def test_workbook_has_the_rows_in_chinese(api, world, edges):
    resp = api.get(f"{DUE}.xlsx?within_days=30", world.company_admin)
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    sheet = book["到期提醒"]
    assert sheet["A1"].value == "气瓶定期检验及报废到期提醒"
    assert "莲池燃气公司" in sheet["A2"].value
    header = [c.value for c in sheet[3]]
    assert header[:3] == ["序号", "气瓶编码", "出厂编号"] and "剩余天数" in header
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 8
    assert {r[9] for r in rows} == {"超期未检", "超过设计使用年限", "即将到检",
                                    "即将到达设计使用年限"}
    assert rows[0][10] == -5 and rows[0][9] == "超过设计使用年限"
    totals = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert totals["即将到检"] == 2
    only = load_workbook(io.BytesIO(api.get(f"{DUE}.xlsx?within_days=30&kind=inspection_due",
                                            world.regulator).data))["到期提醒"]
    assert only.max_row == 3 + 2 and "全部燃气企业" in only["A2"].value


def test_an_owner_named_with_a_control_character_is_shown_in_the_workbook(api, world,
                                                                          registry):
    """openpyxl refuses C0 control characters: such an owner's name made the XLSX a 500."""
    org = api.post("/api/v1/orgs", world.regulator,
                   json={"name": "东关燃气", "kind": "gas_company"})
    assert org.status_code == 201, org.json
    # the API refuses such a name now (app/text_rules.py); one stored before still holds it
    db.session.get(Organisation, org.json["id"]).name = "东关\x0e燃气"
    db.session.commit()
    world.orgs["ctl"] = org.json["id"]
    _cyl(registry, 3, owner="ctl")
    resp = api.get(f"{DUE}.xlsx?within_days=30", world.regulator)
    assert resp.status_code == 200, resp.data
    rows = load_workbook(io.BytesIO(resp.data))["到期提醒"].iter_rows(min_row=4, values_only=True)
    assert [r[5] for r in rows] == ["东关\ufffd燃气"]


def test_the_page_in_both_languages(browser, world, edges):
    c = browser.as_user(world.company_admin.id)
    zh = c.get("/oversight/due?within_days=30")
    html = zh.get_data(as_text=True)
    assert zh.status_code == 200
    assert "到期提醒" in html and "超期未检" in html and 'data-testid="bars-chart"' in html
    assert f"/oversight/cylinders/{edges['due_today']}" in html
    assert 'class="days-bad"' in html and "/api/v1/cylinders/due.xlsx?within_days=30" in html
    assert html.count('<tr data-kind=') == 8
    en = c.get("/oversight/due?within_days=30&kind=inspection_due&lang=en").get_data(as_text=True)
    assert "Expiry alerts" in en and "Inspection due soon" in en
    assert en.count('<tr data-kind="inspection_due"') == 2
    assert '<tr data-kind="life_ending"' not in en
    bad = c.get("/oversight/due?within_days=abc")
    assert bad.status_code == 400 and "以下字段有误" in bad.get_data(as_text=True)
    nav = c.get("/").get_data(as_text=True)
    assert "/oversight/due" in nav
    assert browser.as_user(world.filler_a.id).get("/oversight/due").status_code == 403


def test_the_demo_has_something_of_every_kind(clean_app):
    seeded = clean_app.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    with clean_app.app_context():
        from app.oversight.due import due_by_month, list_due

        assert all(list_due().summary.values()), list_due().summary
        assert sum(sum(v) for v in due_by_month()[1].values()) > 0


def test_a_serial_that_looks_like_a_formula_stays_text_in_the_workbook(api, world, registry):
    """Formula injection: a stamped serial '=1+2' was written as a formula the sheet computed."""
    _cyl(registry, 3, serial_no="=1+2")
    resp = api.get(f"{DUE}.xlsx", world.regulator)
    sheet = load_workbook(io.BytesIO(resp.data))["到期提醒"]
    [cell] = [c for row in sheet.iter_rows(min_row=4) for c in row if c.value == "=1+2"]
    assert cell.data_type == "s"


def test_an_owner_that_does_not_exist_is_not_found(api, world):
    """As the monthly report answers: an empty list would read as 'nothing due'."""
    for path in (DUE, DUE + ".xlsx"):
        resp = api.get(f"{path}?owner_org_id=999999", world.regulator)
        assert (resp.status_code, resp.json["error"]["code"]) == (404, "org_not_found")
    page = api.get("/oversight/due?owner_org_id=999999", world.regulator,
                   headers={"Accept": "text/html"})
    assert page.status_code == 404
