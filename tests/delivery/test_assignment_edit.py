"""Ending an assignment early, changing or deleting one that has not started (today is
2026-06-15; the fleet's assignment runs through June): its past is never rewritten."""
from __future__ import annotations

import pytest

from app.auth import services as auth
from app.extensions import db
from tests.conftest import Actor
from tests.delivery.conftest import add_driver
from tests.delivery.test_edit_api import EAST, codes, rival  # noqa: F401 - the fixture
from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture

JULY = {"starts_on": "2026-07-01", "ends_on": "2026-07-10"}


def certified(api, world, name: str, expires: str = "2028-01-01") -> Actor:
    driver = add_driver(world, name)
    resp = api.put(f"/api/v1/drivers/{driver.id}/certificate", world.company_admin,
                   json={"certificate_no": f"Q-{name}", "certificate_expires_on": expires})
    assert resp.status_code == 200, resp.json
    return driver


@pytest.fixture
def future(fleet, api, world) -> int:
    """driver_two on the spare vehicle in the fleet's area, 1-10 July (not started)."""
    two = certified(api, world, "driver_two")
    return fleet.post("/api/v1/assignments", world.company_admin, {
        "driver_id": two.id, "vehicle_id": fleet.ids["spare"], "area_id": fleet.ids["area"],
        **JULY}, 201).json["id"]


def err(resp) -> tuple[int, str]:
    return resp.status_code, resp.json["error"]["code"]


def test_end_early_frees_driver_vehicle_and_area_from_the_next_day(fleet, api, world):
    admin, june = world.company_admin, fleet.ids["assignment"]
    resp = api.post(f"/api/v1/assignments/{june}/end", admin,
                    json={"ends_on": "2026-06-20", "reason": "送气工生病"})
    assert resp.status_code == 200, resp.json
    assert (resp.json["ends_on"], resp.json["end_reason"]) == ("2026-06-20", "送气工生病")
    assert resp.json["ended_by_id"] == admin.id and resp.json["ended_at"]
    assert resp.json["starts_on"] == "2026-06-01"  # the past is kept
    other = certified(api, world, "driver_two")
    same = {"driver_id": other.id, "vehicle_id": fleet.ids["vehicle"],
            "area_id": fleet.ids["area"], "ends_on": "2026-06-30"}
    clash = fleet.post("/api/v1/assignments", admin, {**same, "starts_on": "2026-06-20"}, 409)
    assert codes(clash) == ["vehicle_already_assigned"]
    fleet.post("/api/v1/assignments", admin, {**same, "starts_on": "2026-06-21"}, 201)
    fleet.post("/api/v1/assignments", admin, {
        **same, "driver_id": world.driver.id, "vehicle_id": fleet.ids["spare"],
        "starts_on": "2026-06-21"}, 201)
    listed = {a["id"]: a for a in api.get("/api/v1/assignments", admin).json}
    assert listed[june]["end_reason"] == "送气工生病"


def test_ending_refusals_change_nothing(fleet, api, world, future):
    admin, june = world.company_admin, fleet.ids["assignment"]
    may = fleet.post("/api/v1/assignments", admin, {
        "driver_id": world.driver.id, "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-05-01", "ends_on": "2026-05-31"},
        201).json["id"]

    def end(assignment_id: int, ends_on: str, reason: str = "车辆故障"):
        return api.post(f"/api/v1/assignments/{assignment_id}/end", admin,
                        json={"ends_on": ends_on, "reason": reason})

    assert err(end(june, "2026-06-14")) == (400, "end_in_past")
    assert err(end(june, "2026-06-30")) == (400, "not_earlier")
    assert err(end(june, "2026-07-05")) == (400, "not_earlier")
    assert err(end(june, "2026-06-20", "  ")) == (400, "reason_required")
    assert err(end(june, "2026-06-20", "")) == (400, "validation_error")
    assert err(end(future, "2026-06-30")) == (400, "invalid_period")
    assert err(end(may, "2026-05-20")) == (409, "assignment_over")
    assert err(end(may, "2026-06-20")) == (409, "assignment_over")
    listed = {a["id"]: a for a in api.get("/api/v1/assignments", admin).json}
    assert [listed[i]["ends_on"] for i in (june, future, may)] == [
        "2026-06-30", "2026-07-10", "2026-05-31"]
    assert all(a["ended_at"] is None for a in listed.values())
    assert end(june, "2026-06-15").status_code == 200  # the last day may be today
    assert err(end(june, "2026-06-15")) == (409, "assignment_ended")
    assert end(future, "2026-07-01").status_code == 200  # a future one ends on its first day


def test_change_a_future_assignment(fleet, api, world, future):
    admin, path = world.company_admin, f"/api/v1/assignments/{future}"
    resp = api.call("PATCH", path, admin, json={"vehicle_id": fleet.ids["vehicle"],
                                                 "ends_on": "2026-07-20"})
    assert resp.status_code == 200, resp.json
    assert (resp.json["vehicle_id"], resp.json["ends_on"]) == (fleet.ids["vehicle"], "2026-07-20")
    assert resp.json["driver_id"] == world.users["driver_two"].id
    started = api.call("PATCH", f"/api/v1/assignments/{fleet.ids['assignment']}", admin,
                       json={"ends_on": "2026-06-20"})
    assert err(started) == (409, "assignment_started")
    assert err(api.call("PATCH", path, admin, json={"starts_on": "2026-06-14"})) == (
        400, "start_in_past")
    assert err(api.call("PATCH", path, admin, json={"ends_on": "2026-06-30"})) == (
        400, "invalid_period")


def test_a_change_is_checked_as_a_new_assignment(fleet, api, world, future):
    admin, path = world.company_admin, f"/api/v1/assignments/{future}"
    old = fleet.post("/api/v1/vehicles", admin, {
        "plate": "冀F10003", "permit_no": "冀交运管危字10003",
        "permit_expires_on": "2026-06-01"}, 201).json["id"]
    east = fleet.post("/api/v1/areas", admin, {"name": "东郊片区", "polygon": EAST}, 201).json["id"]
    three = certified(api, world, "driver_three")
    fleet.post("/api/v1/assignments", admin, {
        "driver_id": three.id, "vehicle_id": fleet.ids["vehicle"], "area_id": east,
        "starts_on": "2026-07-05", "ends_on": "2026-07-31"}, 201)

    def refused(body: dict) -> list[str]:
        resp = api.call("PATCH", path, admin, json=body)
        assert resp.status_code == 409, resp.json
        return codes(resp)

    assert refused({"vehicle_id": old}) == ["vehicle_permit_expired"]
    assert refused({"vehicle_id": fleet.ids["vehicle"]}) == ["vehicle_already_assigned"]
    assert refused({"vehicle_id": fleet.ids["vehicle"], "starts_on": "2026-06-20"}) == [
        "vehicle_already_assigned"]
    fleet.post("/api/v1/assignments", admin, {
        "driver_id": world.users["driver_two"].id, "vehicle_id": fleet.ids["spare"],
        "area_id": fleet.ids["area"], "starts_on": "2026-07-20", "ends_on": "2026-07-25"}, 201)
    assert refused({"ends_on": "2026-07-22"}) == ["driver_already_assigned",
                                                  "vehicle_already_assigned"]
    api.call("PATCH", f"/api/v1/vehicles/{old}", admin,
             json={"permit_expires_on": "2028-01-01", "active": False})
    assert refused({"vehicle_id": old}) == ["vehicle_inactive"]
    south = fleet.post("/api/v1/areas", admin, {"name": "南郊片区", "polygon": [
        [115.40, 38.80], [115.44, 38.80], [115.44, 38.83], [115.40, 38.83]]}, 201).json["id"]
    api.call("PATCH", f"/api/v1/areas/{south}", admin, json={"active": False})
    assert refused({"area_id": south}) == ["area_inactive"]
    api.put(f"/api/v1/drivers/{world.users['driver_two'].id}/certificate", admin,
            json={"certificate_no": "Q-two", "certificate_expires_on": "2026-06-10"})
    assert refused({"ends_on": "2026-07-08"}) == ["driver_certificate_expired"]
    listed = {a["id"]: a for a in api.get("/api/v1/assignments", admin).json}
    assert (listed[future]["vehicle_id"], listed[future]["starts_on"],
            listed[future]["ends_on"]) == (fleet.ids["spare"], "2026-07-01", "2026-07-10")


def test_delete_only_what_has_not_started(fleet, api, world, future):
    admin = world.company_admin
    started = api.delete(f"/api/v1/assignments/{fleet.ids['assignment']}", admin)
    assert err(started) == (409, "assignment_started")
    assert api.delete(f"/api/v1/assignments/{future}", admin).status_code == 204
    assert err(api.delete(f"/api/v1/assignments/{future}", admin)) == (
        404, "assignment_not_found")
    assert [a["id"] for a in api.get("/api/v1/assignments", admin).json] == [
        fleet.ids["assignment"]]


def test_only_the_owning_company_admin(fleet, api, world, future, rival):  # noqa: F811
    for assignment_id in (future, fleet.ids["assignment"]):
        calls = (("POST", f"/api/v1/assignments/{assignment_id}/end",
                  {"ends_on": "2026-06-20", "reason": "x"}),
                 ("PATCH", f"/api/v1/assignments/{assignment_id}", {"ends_on": "2026-07-05"}),
                 ("DELETE", f"/api/v1/assignments/{assignment_id}", None))
        for method, path, body in calls:
            for actor in (world.driver, world.regulator, world.filler_a):
                assert api.call(method, path, actor, json=body).status_code == 403
            assert err(api.call(method, path, world.station_a_admin, json=body)) == (
                403, "forbidden")
            assert err(api.call(method, path, rival, json=body)) == (
                404, "assignment_not_found")
    listed = api.get("/api/v1/assignments", world.company_admin).json
    assert sorted((a["ends_on"], a["ended_at"]) for a in listed) == [
        ("2026-06-30", None), ("2026-07-10", None)]


def test_the_assignments_page_ends_edits_and_deletes(fleet, as_user, clean_app,  # noqa: F811
                                                     future):
    admin, june = as_user("company_admin"), fleet.ids["assignment"]
    page = admin.get("/company/assignments").text
    assert page.count('data-testid="end-form"') == 2 and page.count("edit-assignment") == 1
    assert f"/company/assignments/{future}" in page
    resp = admin.post("/company/assignments", data={
        "form": "end", "assignment_id": june, "ends_on": "2026-06-10", "reason": "生病"})
    assert "flash-bad" in resp.text and "不能" in resp.text  # the service's message in Chinese
    resp = admin.post("/company/assignments", data={
        "form": "end", "assignment_id": june, "ends_on": "2026-06-18", "reason": "送气工生病"})
    assert "flash-ok" in resp.text and 'data-testid="ended"' in resp.text
    assert "送气工生病" in resp.text and resp.text.count('data-testid="end-form"') == 1
    assert 'data-testid="started"' in admin.get(f"/company/assignments/{june}").text
    resp = admin.post(f"/company/assignments/{june}", data={"form": "delete"})
    assert "flash-bad" in resp.text
    edit = f"/company/assignments/{future}"
    resp = admin.post(edit, data={"form": "edit", "vehicle_id": fleet.ids["spare"],
                                  "area_id": fleet.ids["area"], "starts_on": "2026-07-02",
                                  "ends_on": "2026-07-12"})
    assert "flash-ok" in resp.text and 'value="2026-07-02"' in resp.text
    org = auth.create_org("南城燃气公司", "gas_company")
    other = auth.create_user(None, "rival_page_admin", org.id, "admin")
    db.session.commit()
    assert SignedIn(clean_app, other.id).get(edit).status_code == 404
    assert as_user("driver").get(edit).status_code == 403
    resp = admin.post(edit, data={"form": "delete"})
    assert "flash-ok" in resp.text and "edit-assignment" not in resp.text


def test_an_assignment_ended_twice_at_once_is_ended_once(fleet, api, world, clean_app):
    """Both read it not ended before either wrote (PostgreSQL runs them side by side): the
    second overwrote the first's end day and reason. Now the second waits and answers 409."""
    from tests.db_helpers import race

    june = fleet.ids["assignment"]
    answers = race(clean_app, [
        lambda client, ends_on=ends_on: client.post(
            f"/api/v1/assignments/{june}/end", json={"ends_on": ends_on, "reason": "生病"},
            headers=world.company_admin.headers)
        for ends_on in ("2026-06-20", "2026-06-25")],
        lambda sql: sql.lstrip().upper().startswith("UPDATE ASSIGNMENTS"))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    assert [err(a) for a in answers if a.status_code == 409] == [(409, "assignment_ended")]
    done = next(a for a in answers if a.status_code == 200).json
    stored = {a["id"]: a for a in api.get("/api/v1/assignments", world.company_admin).json}
    assert stored[june]["ends_on"] == done["ends_on"]
