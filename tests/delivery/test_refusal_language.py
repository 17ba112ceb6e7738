"""A service's refusal that names values reads in the page's language, values and all.

The services built these messages with f-strings, so no catalog had them and a Chinese page
said "The area overlaps '东关片区' by 12345 m²."; the API keeps answering that English.
"""
from __future__ import annotations

import re

from tests.delivery.conftest import AREA
from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture
from tests.delivery.test_sync import event

BOWTIE = [[115.40, 38.80], [115.42, 38.82], [115.42, 38.80], [115.40, 38.82]]


def _outline(points: list[list[float]]) -> str:
    return "\n".join(f"{lon}, {lat}" for lon, lat in points)


def _flash(html: str) -> str:
    return html.split('data-testid="flash-bad">')[1].split("</p>")[0]


def test_an_overlapping_area_is_refused_in_chinese_with_the_other_areas_name(
        fleet, as_user, api, world):  # noqa: F811
    shifted = [[lon + 0.01, lat] for lon, lat in AREA]
    said = _flash(as_user("company_admin").send(
        "/company/areas", data={"name": "北区", "outline": _outline(shifted)}).text)
    assert re.fullmatch(r"该区域与“东关片区”重叠约 \d+ 平方米；配送区域之间不能重叠。", said), said
    assert "overlaps" not in said
    answer = api.post("/api/v1/areas", world.company_admin,
                      json={"name": "北区", "polygon": shifted})
    assert (answer.status_code, answer.json["error"]["code"]) == (409, "area_overlaps")
    assert re.fullmatch(r"The area overlaps '东关片区' by \d+ m²\.",
                        answer.json["error"]["message"])


def test_an_outline_that_crosses_itself_is_refused_with_the_reason_in_chinese(
        fleet, as_user, api, world):  # noqa: F811
    admin = as_user("company_admin")
    said = _flash(admin.send("/company/areas",
                             data={"name": "北区", "outline": _outline(BOWTIE)}).text)
    assert said == "边界不是简单多边形：边线相互交叉[115.41 38.81]。"
    said = _flash(admin.send("/company/areas", data={"name": "东关片区", "outline": _outline(
        [[lon, lat + 0.1] for lon, lat in AREA])}).text)
    assert said == "已有名为“东关片区”的配送区域。"
    said = _flash(admin.send("/company/areas?lang=en",
                             data={"name": "北区", "outline": _outline(BOWTIE)}).text)
    assert said == "The outline is not a simple polygon: Self-intersection[115.41 38.81]."
    answer = api.post("/api/v1/areas", world.company_admin,
                      json={"name": "北区", "polygon": BOWTIE})
    assert answer.json["error"] == {
        "code": "invalid_polygon",
        "message": "The outline is not a simple polygon: Self-intersection[115.41 38.81]."}


def test_a_hazards_state_is_named_in_chinese_when_a_step_is_refused(
        fleet, as_user, api, world):  # noqa: F811
    fleet.customer("home")
    assert fleet.check("home", hose_over_2m="fail").status_code == 201
    hazard = api.get("/api/v1/hazards", world.company_admin).json["hazards"][0]["id"]
    admin, regulator = as_user("company_admin"), as_user("regulator")
    said = _flash(regulator.post("/company/hazards",
                                 data={"hazard_id": hazard, "action": "verify"}).text)
    assert said == "该隐患未整改；只有已整改的隐患才能复核。"
    rectify = {"hazard_id": hazard, "action": "rectify", "evidence": "更换胶管"}
    assert 'flash-ok' in admin.post("/company/hazards", data=rectify).text
    said = _flash(admin.post("/company/hazards", data=rectify).text)
    assert said == "该隐患已整改；只有未整改的隐患才能整改。"
    assert "rectified" not in said and "The hazard" not in said
    said = _flash(admin.post("/company/hazards?lang=en", data=rectify).text)
    assert said == "The hazard is rectified, not open."
    answer = api.post(f"/api/v1/hazards/{hazard}/rectify", world.driver,
                      json={"evidence": "again"})
    assert answer.json["error"] == {"code": "hazard_not_open",
                                    "message": "The hazard is rectified, not open."}
    answer = api.post(f"/api/v1/hazards/{hazard}/verify", world.regulator, json={})
    assert answer.status_code == 200
    answer = api.post(f"/api/v1/hazards/{hazard}/verify", world.regulator, json={})
    assert answer.json["error"] == {
        "code": "hazard_not_rectified",
        "message": "The hazard is verified; only a rectified hazard is verified."}


def test_vehicle_and_customer_refusals_name_the_plate_and_the_problem_in_chinese(
        fleet, as_user, api, world):  # noqa: F811
    admin = as_user("company_admin")
    permit = {"permit_no": "P", "permit_expires_on": "2027-01-01"}
    said = _flash(admin.send("/company/vehicles", data={"plate": "冀F10001", **permit}).text)
    assert said == "车辆 冀F10001 已经登记过了。"
    said = _flash(admin.send("/company/vehicles", data={"plate": "ABC1234", **permit}).text)
    assert said == "“ABC1234”不是有效的车牌号。"
    customer = {"name": "张三", "kind": "household", "id_kind": "person",
                "id_number": "130606198001010010", "address": "东关大街1号", "lon": 115.47,
                "lat": 38.86, "premises": "ground", "contact_name": "张三"}
    said = _flash(admin.send("/company/customers", data=customer).text)
    assert said == "居民身份证号码无效：校验位不对，请核对是否输错。"
    answer = api.post("/api/v1/vehicles", world.company_admin,
                      json={"plate": "冀F10001", **permit})
    assert answer.json["error"] == {"code": "duplicate_vehicle",
                                    "message": "The vehicle 冀F10001 is registered already."}
    answer = api.post("/api/v1/customers", world.company_admin, json=customer)
    assert answer.json["error"] == {
        "code": "invalid_id_number",
        "message": "The person number is not valid: The number's checksum or check digit is "
                   "invalid."}


def test_a_company_record_of_no_such_id_is_not_found_in_chinese(
        fleet, as_user, api, world):  # noqa: F811
    said = as_user("company_admin").get("/company/customers/987654").text
    assert "没有编号为 987654 的用户。" in said and "No customer" not in said
    answer = api.call("PATCH", "/api/v1/customers/987654", world.company_admin,
                      json={"active": False})
    assert answer.json["error"] == {"code": "customer_not_found",
                                    "message": "No customer 987654."}


def test_the_offline_queue_names_the_step_a_non_driver_may_not_record_in_chinese(
        fleet, api, world):
    """The driver page shows a queued event's `text`; the step kind was an English code."""
    events = [event("safety_check", 1, customer_id=fleet.customer("home"))]
    zh = api.post("/api/v1/events/batch", world.company_admin, json={"events": events}).json
    error = zh["results"][0]["error"]
    assert error["code"] == "forbidden"
    assert error["message"] == "Only drivers record safety_check events."
    assert error["text"] == "只有送气工才能记录入户安检。"
