"""The registration page (建档): the roles the API admits, its refusals next to the form in the
reader's language with what was typed kept, and another organisation's codes refused."""
from __future__ import annotations

import html
from typing import Any

import pytest

from app.extensions import db
from app.traceability.codes import format_code, new_code
from app.traceability.models import Cylinder
from tests.delivery.test_pages import SignedIn
from tests.traceability.test_import import count

PAGES = ("/cylinders/new", "/cylinders/import", "/cylinders/import/template.xlsx")


def signed_in(app: Any, world: Any, name: str, lang: str | None = None) -> SignedIn:
    user = SignedIn(app, world.users[name].id)
    if lang:
        with user.client.session_transaction() as sess:
            sess["lang"] = lang
    return user


def post(user: SignedIn, path: str, **kw: Any) -> Any:
    """Post a form and keep the answer (a refusal is the page again, not a redirect)."""
    with user.app.app_context():
        return user.client.post(path, **kw)


def form_for(code: str, **fields: str) -> dict[str, str]:
    return {"code": code, "serial_no": "LC2024-0001", "manufacturer": "河北百工高压容器有限公司",
            "model": "YSP35.5", "manufactured_on": "2024-05", "last_inspected_on": "2024-06-01",
            "registration_no": "TS-冀F-000001", "design_life_years": "", **fields}


def field_value(page: str, name: str) -> str:
    marker = f'name="{name}" id="f-{name}" type="'
    start = page.index(marker)
    value = page.index('value="', start) + len('value="')
    return html.unescape(page[value:page.index('"', value)])


@pytest.mark.parametrize("name", ["company_admin", "company_filler", "filler_a", "regulator",
                                  "admin", "station_a_admin"])
def test_the_pages_open_for_the_roles_the_api_admits(clean_app, world, name):
    user = signed_in(clean_app, world, name)
    for path in PAGES:
        assert user.get(path).status_code == 200, path
    assert 'href="/cylinders/new"' in user.get("/").text  # 气瓶建档 in the navigation
    assert "气瓶建档" in user.get("/").text


@pytest.mark.parametrize("name", ["driver", "inspector", "printer"])
def test_the_pages_are_refused_to_other_roles(clean_app, world, name):
    user = signed_in(clean_app, world, name)
    for path in PAGES:
        assert user.get(path).status_code == 403, path
    assert post(user, "/cylinders/new", data=form_for(new_code())).status_code == 403
    assert 'href="/cylinders/new"' not in user.get("/").text


def test_a_scanned_payload_registers_and_links_to_the_cylinders_page(clean_app, world, registry):
    code = registry.codes(2)[0]
    admin = signed_in(clean_app, world, "company_admin")
    assert "待建档的编码：2 个" in admin.get("/cylinders/new").text
    resp = post(admin, "/cylinders/new", data=form_for(code["payload"], design_life_years="8"))
    assert resp.status_code == 303 and resp.headers["Location"] == "/cylinders/new"
    page = admin.get("/cylinders/new").text
    assert f"气瓶 {format_code(code['code'])} 已建档" in page
    assert f'href="/oversight/cylinders/{code["code"]}" data-testid="registered-link"' in page
    assert "待建档的编码：1 个" in page
    db.session.rollback()
    cyl = db.session.scalar(db.select(Cylinder).where(Cylinder.code == code["code"]))
    assert (cyl.owner_org_id, cyl.model, cyl.serial_no) == (world.orgs["company"], "YSP35.5",
                                                             "LC2024-0001")
    assert cyl.manufactured_on.isoformat() == "2024-05-01" and cyl.design_life_years == 8
    assert admin.get(f"/oversight/cylinders/{code['code']}").status_code == 200


def test_a_filler_registers_its_stations_cylinder_without_a_link_it_may_not_open(
        clean_app, world, registry):
    code = registry.codes(1, owner="station_a")[0]["code"]
    filler = signed_in(clean_app, world, "filler_a")
    resp = post(filler, "/cylinders/new", data=form_for(format_code(code).lower()))
    assert resp.status_code == 303
    page = filler.get("/cylinders/new").text
    assert f"气瓶 {format_code(code)} 已建档" in page and "registered-link" not in page
    assert count(Cylinder) == 1


def _registered(registry: Any) -> dict:
    return registry.cylinder(serial_no="LC2020-0042", manufacturer="河北百工高压容器有限公司")


REFUSALS = {  # case: (form changes, the field, what the page says there)
    "never issued": (lambda r: {"code": new_code()}, "code", "此码从未发放。"),
    "not our code": (lambda r: {"code": "WIFI:S:cafe;T:WPA;;"}, "code", "这不是本系统的气瓶编码"),
    "no url": (lambda r: {"code": "http://[gas.example.cn/c/X"}, "code", "这不是本系统的气瓶编码"),
    "mistyped": (lambda r: {"code": (lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"))(
        r.codes(1)[0]["code"])}, "code", "编码校验不通过"),
    "another company's code": (lambda r: {"code": r.codes(1, owner="station_b")[0]["code"]},
                               "code", "此码发放给了其他单位。"),
    "already registered": (lambda r: {"code": _registered(r)["code"]}, "code", "此码已绑定气瓶。"),
    "duplicate serial": (lambda r: {"serial_no": _registered(r)["serial_no"].lower()},
                         "serial_no", "该制造单位的出厂编号已登记。"),
    "banned model": (lambda r: {"model": "YSP118-II"}, "model", "该型号已禁用"),
    "unknown model": (lambda r: {"model": "YSP99"}, "model", "不是规则表中的型号"),
    "made in the future": (lambda r: {"manufactured_on": "2027-01", "last_inspected_on": ""},
                           "manufactured_on", "该日期晚于今天。"),
    "not a date": (lambda r: {"manufactured_on": "2023-13"}, "manufactured_on", "不是日期"),
    "inspected before made": (lambda r: {"last_inspected_on": "2020-01-01"},
                              "last_inspected_on", "上次检验日期早于制造日期。"),
    "inspected in the future": (lambda r: {"last_inspected_on": "2026-07-01"},
                                "last_inspected_on", "该日期晚于今天。"),
    "design life 40": (lambda r: {"design_life_years": "40"}, "design_life_years", "1 至 30 年"),
    "design life in words": (lambda r: {"design_life_years": "²"}, "design_life_years",
                             "不是整数年数。"),
    "no serial": (lambda r: {"serial_no": "  "}, "serial_no", "必填。"),
    "no manufacturer": (lambda r: {"manufacturer": ""}, "manufacturer", "必填。"),
    "serial too long": (lambda r: {"serial_no": "S" * 65}, "serial_no", "最多 64 个字符。"),
    "control character": (lambda r: {"serial_no": "LC\x0700"}, "serial_no", "控制字符"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_every_refusal_is_shown_by_its_field_with_the_values_kept(clean_app, world, registry,
                                                                  case):
    changes, field, said = REFUSALS[case]
    data = form_for(registry.codes(1)[0]["code"], registration_no="TS-冀F-777")
    data.update(changes(registry))
    before = count(Cylinder)
    admin = signed_in(clean_app, world, "company_admin")
    resp = post(admin, "/cylinders/new", data=data)
    assert resp.status_code == 400, case
    page = resp.text
    error = page[page.index(f'data-testid="error-{field}"'):]
    assert said in error[:error.index("</span>")], (case, error[:200])
    assert "未建档，请改正下面标出的字段" in page
    assert field_value(page, "registration_no") == "TS-冀F-777"
    if field not in ("model", "serial_no"):
        assert field_value(page, "serial_no") == data["serial_no"].strip()
    if field != "model":
        assert f'<option value="{data["model"]}" selected>' in page
    assert field_value(page, "code" if field != "code" else "manufacturer") == (
        data["code"] if field != "code" else data["manufacturer"])
    assert count(Cylinder) == before


def test_a_refusal_speaks_english_to_an_english_reader(clean_app, world, registry):
    admin = signed_in(clean_app, world, "company_admin", lang="en")
    other = registry.codes(1, owner="station_b")[0]["code"]
    page = post(admin, "/cylinders/new", data=form_for(other, model="YSP118-II")).text
    assert "This code was issued to another organisation." in page
    page = post(admin, "/cylinders/new",
                data=form_for(registry.codes(1)[0]["code"], model="YSP118-II")).text
    assert "This model is banned: such cylinders are recalled and scrapped" in page
    assert "该型号" not in page


def test_a_company_cannot_register_for_another_owner_by_posting_its_id(
        clean_app, world, registry):
    code = registry.codes(1, owner="station_a")[0]["code"]
    admin = signed_in(clean_app, world, "company_admin")
    assert "owner_org_id" not in admin.get("/cylinders/new").text.split("register-form")[1]
    resp = post(admin, "/cylinders/new",
                data=form_for(code, owner_org_id=str(world.orgs["station_a"])))
    assert resp.status_code == 400 and "此码发放给了其他单位。" in resp.text
    assert count(Cylinder) == 0


def test_a_regulator_chooses_the_owner(clean_app, world, registry):
    code = registry.codes(1, owner="station_b")[0]["code"]
    regulator = signed_in(clean_app, world, "regulator")
    page = regulator.get("/cylinders/new").text
    assert f'<option value="{world.orgs["station_b"]}">南郊充装站</option>' in page
    assert f'<option value="{world.orgs["printer"]}">' not in page  # prints labels, owns none
    resp = post(regulator, "/cylinders/new", data=form_for(code))
    assert resp.status_code == 400 and "请选择产权单位。" in resp.text
    resp = post(regulator, "/cylinders/new",
                data=form_for(code, owner_org_id=str(world.orgs["company"])))
    assert resp.status_code == 400 and "此码发放给了其他单位。" in resp.text
    assert f'<option value="{world.orgs["company"]}" selected>' in resp.text
    resp = post(regulator, "/cylinders/new",
                data=form_for(code, owner_org_id=str(world.orgs["station_b"])))
    assert resp.status_code == 303
    db.session.rollback()
    cyl = db.session.scalar(db.select(Cylinder).where(Cylinder.code == code))
    assert cyl.owner_org_id == world.orgs["station_b"]
    resp = post(regulator, "/cylinders/new", data=form_for(new_code(), owner_org_id="9" * 30))
    assert resp.status_code == 400 and "请选择产权单位。" in resp.text


def test_a_cylinder_registered_past_its_dates_is_named_as_refused_at_filling(
        clean_app, world, registry):
    """A 1990 cylinder, or one never inspected since 2021, was registered with a plain
    "registered": the clerk learnt nothing, the filler at the scale learnt it first."""
    old, overdue, fresh = (c["code"] for c in registry.codes(3))
    admin = signed_in(clean_app, world, "company_admin")
    post(admin, "/cylinders/new", data=form_for(old, serial_no="OLD-1", manufactured_on="1990-01",
                                                last_inspected_on="", design_life_years="8"))
    page = admin.get("/cylinders/new").text
    assert f"气瓶 {format_code(old)} 已建档" in page
    assert "设计使用年限已于 1998-01-01 届满：充装时将被拒绝，应予报废。" in page
    assert 'data-testid="flash-warn"' in page
    post(admin, "/cylinders/new", data=form_for(overdue, serial_no="OLD-2",
                                                manufactured_on="2021-03", last_inspected_on=""))
    page = admin.get("/cylinders/new").text
    assert "定期检验已于 2025-03-01 到期：检验合格前充装时将被拒绝。" in page
    post(admin, "/cylinders/new", data=form_for(fresh, serial_no="NEW-3"))
    page = admin.get("/cylinders/new").text
    assert "已建档" in page and 'data-testid="flash-warn"' not in page
