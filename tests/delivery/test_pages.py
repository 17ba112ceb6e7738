"""The server-rendered pages: who may open them, forms through the same rules as the API."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

PAGES = ["/company/vehicles", "/company/areas", "/company/assignments", "/company/customers",
         "/company/hazards"]


class SignedIn:
    """A browser session of one user; each request in its own app context, as in production."""

    def __init__(self, app, user_id: int) -> None:
        self.app = app
        self.client = app.test_client()
        with self.client.session_transaction() as sess:
            sess["_user_id"] = str(user_id)
            sess["_fresh"] = True

    def get(self, path: str, **kw):
        with self.app.app_context():
            return self.client.get(path, **kw)

    def send(self, path: str, **kw):
        """Post a form and return the answer as it is (a refused form comes back as the page)."""
        with self.app.app_context():
            return self.client.post(path, **kw)

    def post(self, path: str, **kw):
        """Post a form, then open the page it redirects to (a new request, as a browser does)."""
        with self.app.app_context():
            resp = self.client.post(path, **kw)
        assert resp.status_code == 302, resp.text
        return self.get(resp.headers["Location"])


@pytest.fixture
def as_user(clean_app, world):
    return lambda name: SignedIn(clean_app, world.users[name].id)


def test_company_pages_for_the_company_admin(fleet, as_user):
    fleet.customer("home")
    admin = as_user("company_admin")
    for path in PAGES:
        resp = admin.get(path)
        assert resp.status_code == 200, path
        assert "<svg" in resp.text or path != "/company/areas"
    assert "东关片区" in admin.get("/company/areas").text
    assert "<polygon" in admin.get("/company/areas").text


@pytest.mark.parametrize("name", ["driver", "filler_a", "inspector", "station_a_admin"])
def test_company_pages_refused_to_others(fleet, as_user, name):
    client = as_user(name)
    for path in PAGES[:4]:
        assert client.get(path).status_code == 403, (name, path)


def test_regulator_reads_the_ledger_page(fleet, as_user):
    assert as_user("regulator").get("/company/hazards").status_code == 200
    assert as_user("regulator").get("/company/vehicles").status_code == 403


def test_driver_page(fleet, as_user, world):
    fleet.customer("home")
    page = as_user("driver").get("/driver")
    assert page.status_code == 200
    assert "冀F10001" in page.text and "东关片区" in page.text
    assert 'id="driver-config"' in page.text and "用户home" in page.text
    config = json.loads(page.text.split('id="driver-config">')[1].split("</script>")[0])
    assert config["labels"]["refused"] == "被拒绝"  # not the filling page's 拒绝充装
    assert "<span>被拒绝 <strong" in page.text and "拒绝充装" not in page.text
    # unloading: the company itself and the station it entrusted, not every station
    offered = {name for name in ("莲池燃气公司", "第一充装站", "南郊充装站")
               if f'">{name}</option>' in page.text}
    assert offered == {"莲池燃气公司", "第一充装站"}
    assert as_user("company_admin").get("/driver").status_code == 403
    idle = as_user("company_filler").get("/driver")
    assert idle.status_code == 403


def test_forms_use_the_same_rules(fleet, as_user, api, world):
    admin = as_user("company_admin")
    resp = admin.send("/company/vehicles", data={"plate": "ABC1234", "permit_no": "P",
                                                 "permit_expires_on": "2027-01-01"})
    assert "“ABC1234”不是有效的车牌号。" in resp.text
    resp = admin.post("/company/vehicles", data={"plate": "冀F77777", "permit_no": "P",
                                                 "permit_expires_on": "2027-01-01"})
    assert "冀F77777" in resp.text
    resp = admin.post("/company/areas", data={"name": "北区", "outline":
                                              "115.46, 38.90\n115.50, 38.90\n115.50, 38.93"})
    assert "北区" in resp.text
    resp = admin.send("/company/assignments", data={
        "driver_id": world.driver.id, "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-06-10", "ends_on": "2026-06-20"})
    assert "该送气工在" in resp.text  # refused: already assigned, with the reason
    assert len(api.get("/api/v1/assignments", world.company_admin).json) == 1
    resp = admin.send("/company/assignments", data={
        "driver_id": world.driver.id, "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-07-20", "ends_on": "2026-07-10"})
    assert "结束日期早于开始日期。" in resp.text  # a service's message, in the page's language
    resp = admin.send("/company/assignments", data={  # "²" passes isdigit, not int: no 500
        "driver_id": "²", "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-07-20", "ends_on": "2026-07-30"})
    assert "请更正：送气工: 不是整数" in resp.text  # the schema's refusal in the page's words
    resp = admin.send("/company/assignments?lang=en", data={
        "driver_id": "x", "vehicle_id": fleet.ids["spare"], "area_id": fleet.ids["area"],
        "starts_on": "2026-07-20", "ends_on": "soon"})
    assert "Driver: not a whole number" in resp.text and "To: not a date" in resp.text
    assert len(api.get("/api/v1/assignments", world.company_admin).json) == 1


def test_service_worker_keeps_the_driver_page(client):
    resp = client.get("/delivery/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/driver"
    assert resp.headers["Cache-Control"] == "no-store"
    shell = json.loads(resp.text.split("\n", 1)[0].removeprefix("const SHELL = ").rstrip(";"))
    assert shell["page"] == "/driver" and len(shell["version"]) == 16
    assert set(shell["assets"]) == {"/static/css/app.css", "/delivery/static/driver.js"}
    for asset in shell["assets"]:
        with client.get(asset) as kept:
            assert kept.status_code == 200, asset


def test_the_ledger_page_lets_a_regulator_verify_but_not_rectify(fleet, as_user, api, world):
    """Rectifying is the company's own step (API: admin, driver); the page keeps to that."""
    fleet.customer("home")
    assert fleet.check("home", hose_over_2m="fail").status_code == 201
    hazard = api.get("/api/v1/hazards", world.company_admin).json["hazards"][0]
    regulator = as_user("regulator")
    page = regulator.get("/company/hazards").text
    assert 'value="rectify"' not in page  # no rectify form for a regulator
    resp = regulator.post("/company/hazards", data={"hazard_id": hazard["id"],
                                                    "action": "rectify", "evidence": "监管代改"})
    assert "隐患由燃气企业人员整改，监管人员只做复核。" in resp.text  # refused, and said why
    stored = api.get("/api/v1/hazards", world.company_admin).json["hazards"][0]
    assert (stored["status"], stored["rectified_by_id"]) == ("open", None)
    # the company rectifies on the page, the regulator then verifies there
    assert 'value="rectify"' in as_user("company_admin").get("/company/hazards").text
    as_user("company_admin").post("/company/hazards", data={
        "hazard_id": hazard["id"], "action": "rectify", "evidence": "更换胶管"})
    regulator.post("/company/hazards", data={"hazard_id": hazard["id"], "action": "verify"})
    stored = api.get("/api/v1/hazards", world.company_admin).json["hazards"][0]
    assert (stored["status"], stored["verified_by_id"]) == ("verified", world.regulator.id)


def test_ledger_page_speaks_the_readers_language(fleet, as_user):
    fleet.customer("home")
    assert fleet.check("home", hose_over_2m="fail", tee_connection="fail").status_code == 201
    admin = as_user("company_admin")
    zh = admin.get("/company/hazards").text
    for words in ("私接三通", "胶管长度超过2米", "重大隐患", "未整改"):
        assert words in zh, words
    en = admin.get("/company/hazards?lang=en").text
    for words in ("Private tee connection", "Hose longer than 2 m", "Major", "Open"):
        assert words in en, words
    for words in ("私接三通", "胶管长度超过2米", "重大隐患", "一般隐患", "未整改", "已复核销号"):
        assert words not in en, words
    export = admin.get("/api/v1/hazards.xlsx?lang=en")  # the workbook reads as the page
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row}
    assert {"Private tee connection", "Major", "Open"} <= cells
    assert not {"私接三通", "重大隐患", "未整改"} & cells


def test_customer_kinds_and_premises_are_named_not_coded(fleet, as_user):
    fleet.customer("diner", "restaurant")
    admin = as_user("company_admin")
    zh = admin.get("/company/customers").text
    row = zh[zh.index("data-customer="):zh.index("</tr>", zh.index("data-customer="))]
    assert "餐饮企业" in row and "地上" in row and "restaurant" not in row.split(">", 1)[1]
    assert '<option value="restaurant">餐饮企业</option>' in zh  # the form posts the code
    assert '<option value="underground">地下</option>' in zh
    en = admin.get("/company/customers?lang=en").text
    assert "Restaurant" in en and "Above ground" in en and "Semi-underground" in en


def test_the_ledgers_export_link_keeps_the_filters_chosen(fleet, as_user):
    """The filter form sends every box, empty ones too; the export link passed them on and the
    API refused `area_id=` (400) for any filtered ledger. It carries the chosen filters only."""
    fleet.customer("home")
    assert fleet.check("home", hose_over_2m="fail", tee_connection="fail").status_code == 201
    admin = as_user("company_admin")
    page = admin.get("/company/hazards?status=open&area_id=&driver_id=&item=&overdue=").text
    link = page.split('data-testid="export"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert link == "/api/v1/hazards.xlsx?status=open"
    export = admin.get(link)
    assert export.status_code == 200, export.data
    assert load_workbook(io.BytesIO(export.data)).active.max_row == 3 + 2


def test_a_refused_form_comes_back_as_typed(fleet, as_user, world):
    """A refusal redirected to an empty form: the clerk retyped a whole customer (name, ID
    number, address, position) or an area's every corner to fix one field."""
    admin = as_user("company_admin")
    customer = {"name": "王五餐馆", "kind": "restaurant", "id_kind": "business_licence",
                "id_number": "123", "address": "东关大街9号", "lat": "38.86", "lon": "115.48",
                "premises": "underground", "has_cylinder_room": "true",
                "storage_capacity_kg": "120", "contact_name": "王五", "phone": "13800000009"}
    resp = admin.send("/company/customers", data=customer)
    assert resp.status_code == 400 and "营业执照" in resp.text.split('flash-bad">')[1][:200]
    for name in ("name", "id_number", "address", "lat", "lon", "storage_capacity_kg",
                 "contact_name", "phone"):
        assert f'name="{name}"' in resp.text and f'value="{customer[name]}"' in resp.text, name
    assert 'value="underground" selected' in resp.text and 'value="true" selected' in resp.text
    assert 'value="restaurant" selected' in resp.text
    assert 'value="business_licence" selected' in resp.text
    resp = admin.send("/company/vehicles", data={
        "plate": "冀F10001", "permit_no": "冀交运管危字999", "permit_expires_on": "2028-03-31"})
    assert resp.status_code == 400 and "已经登记过了" in resp.text
    assert 'value="冀交运管危字999"' in resp.text and 'value="2028-03-31"' in resp.text
    outline = "115.46, 38.85\n115.50, 38.85\n115.50, 38.88"
    resp = admin.send("/company/areas", data={"name": "东关片区", "outline": outline})
    assert resp.status_code == 400 and f">{outline}</textarea>" in resp.text
    resp = admin.send("/company/assignments", data={
        "driver_id": world.driver.id, "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-07-20", "ends_on": "2026-07-10"})
    assert resp.status_code == 400 and "结束日期早于开始日期。" in resp.text
    assert f'value="{fleet.ids["spare"]}" selected' in resp.text
    assert 'value="2026-07-20"' in resp.text and 'value="2026-07-10"' in resp.text
    resp = admin.send(f"/company/vehicles/{fleet.ids['vehicle']}", data={
        "form": "edit", "plate": "冀F10001", "permit_no": "改过的许可证",
        "permit_expires_on": "not a date"})
    assert resp.status_code == 400 and 'value="改过的许可证"' in resp.text
    resp = admin.get("/company/customers")  # nothing was kept in the session for later
    assert resp.status_code == 200 and "flash-bad" not in resp.text
    assert 'value="王五餐馆"' not in resp.text
