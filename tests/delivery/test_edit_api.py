"""Editing and retiring vehicles, areas and customers through the API: only the owning
company's administrator, history is never deleted, and nothing in use is taken away."""
from __future__ import annotations

import pytest

from app.auth import services as auth
from app.extensions import db
from tests.conftest import Actor
from tests.delivery.conftest import AREA, INSIDE, OUTSIDE, add_driver

EAST = [[115.52, 38.84], [115.58, 38.84], [115.58, 38.88], [115.52, 38.88]]
PAST = {"starts_on": "2026-05-01", "ends_on": "2026-05-31"}


@pytest.fixture
def rival(world) -> Actor:
    """The administrator of another gas company."""
    org = auth.create_org("南城燃气公司", "gas_company")
    user = auth.create_user(None, "rival_admin", org.id, "admin")
    actor = Actor(user.name, user.id, org.id, "admin", auth.issue_token(user))
    db.session.commit()
    return actor


def codes(resp) -> list[str]:
    return [r["code"] for r in resp.json["error"]["reasons"]]


def test_only_the_owning_company_admin_edits_or_retires(fleet, api, world, rival):
    home = fleet.customer("home")
    targets = {"vehicles": fleet.ids["spare"], "areas": fleet.ids["area"], "customers": home}
    for kind, obj_id in targets.items():
        path = f"/api/v1/{kind}/{obj_id}"
        for actor in (world.driver, world.regulator, world.filler_a, world.station_a_admin):
            assert api.call("PATCH", path, actor, json={}).status_code == 403, (kind, actor)
            assert api.delete(path, actor).status_code == 403, (kind, actor)
        for resp in (api.call("PATCH", path, rival, json={"active": False}),
                     api.delete(path, rival)):
            assert resp.status_code == 404, (kind, resp.json)
            assert resp.json["error"]["code"].endswith("_not_found")
    assert len(api.get("/api/v1/vehicles", world.company_admin).json) == 2
    assert api.get(f"/api/v1/customers/{home}", world.company_admin).json["active"] is True


def test_edit_a_vehicle(fleet, api, world):
    admin, spare = world.company_admin, fleet.ids["spare"]
    resp = api.call("PATCH", f"/api/v1/vehicles/{spare}", admin,
                    json={"plate": "冀 F·B7777", "permit_expires_on": "2028-12-31"})
    assert resp.status_code == 200, resp.json
    assert (resp.json["plate"], resp.json["permit_expires_on"]) == ("冀FB7777", "2028-12-31")
    assert resp.json["permit_no"] == "冀交运管危字10002" and resp.json["active"] is True
    for body, status, code in (({"plate": "ABC123"}, 400, "invalid_plate"),
                               ({"plate": "冀F10001"}, 409, "duplicate_vehicle"),
                               ({"permit_expires_on": "soon"}, 400, "validation_error")):
        resp = api.call("PATCH", f"/api/v1/vehicles/{spare}", admin, json=body)
        assert (resp.status_code, resp.json["error"]["code"]) == (status, code)


def test_a_vehicle_with_history_is_deactivated_not_deleted(fleet, api, world):
    admin, spare = world.company_admin, fleet.ids["spare"]
    in_use = api.delete(f"/api/v1/vehicles/{fleet.ids['vehicle']}", admin)
    assert in_use.status_code == 409 and codes(in_use) == ["assignment_running"]
    other = add_driver(world, "driver_two")
    api.put(f"/api/v1/drivers/{other.id}/certificate", admin,
            json={"certificate_no": "Q2", "certificate_expires_on": "2028-01-01"})
    assignment = {"driver_id": other.id, "vehicle_id": spare, "area_id": fleet.ids["area"]}
    fleet.post("/api/v1/assignments", admin, {**assignment, **PAST}, 201)
    resp = api.delete(f"/api/v1/vehicles/{spare}", admin)
    assert resp.json == {"id": spare, "deleted": False, "active": False}
    listed = {v["id"]: v["active"] for v in api.get("/api/v1/vehicles", admin).json}
    assert listed == {fleet.ids["vehicle"]: True, spare: False}
    july = {**assignment, "starts_on": "2026-07-01", "ends_on": "2026-07-31"}
    refused = fleet.post("/api/v1/assignments", admin, july, 409)
    assert codes(refused) == ["vehicle_inactive"]
    back = api.call("PATCH", f"/api/v1/vehicles/{spare}", admin, json={"active": True})
    assert back.status_code == 200 and back.json["active"] is True
    fleet.post("/api/v1/assignments", admin, july, 201)


def test_an_unused_vehicle_is_deleted_and_a_loaded_one_kept(fleet, api, world):
    admin = world.company_admin
    new = fleet.post("/api/v1/vehicles", admin, {
        "plate": "冀F20001", "permit_no": "P", "permit_expires_on": "2027-01-01"}, 201).json["id"]
    assert api.delete(f"/api/v1/vehicles/{new}", admin).json["deleted"] is True
    assert new not in [v["id"] for v in api.get("/api/v1/vehicles", admin).json]
    assert api.delete(f"/api/v1/vehicles/{new}", admin).status_code == 404
    code = fleet.cylinder()
    assert fleet.dispatch(code).status_code == 201
    # the round is over on paper, but a cylinder is still on board
    api.call("PATCH", f"/api/v1/vehicles/{fleet.ids['vehicle']}", admin, json={})
    loaded = api.call("PATCH", f"/api/v1/vehicles/{fleet.ids['vehicle']}", admin,
                      json={"active": False})
    assert loaded.status_code == 409
    assert set(codes(loaded)) == {"assignment_running", "holds_cylinders"}


def test_redraw_rename_and_retire_areas(fleet, api, world):
    admin, area = world.company_admin, fleet.ids["area"]
    inside, outside = fleet.customer("in"), fleet.customer("out", position=OUTSIDE)
    wider = [[115.46, 38.85], [115.56, 38.85], [115.56, 38.88], [115.46, 38.88]]
    resp = api.call("PATCH", f"/api/v1/areas/{area}", admin,
                    json={"name": "东关大片区", "polygon": wider})
    assert resp.status_code == 200, resp.json
    assert resp.json["name"] == "东关大片区" and resp.json["polygon"] == wider
    area_of = lambda c: api.get(f"/api/v1/customers/{c}", admin).json["area_id"]  # noqa: E731
    assert (area_of(inside), area_of(outside)) == (area, area)
    api.call("PATCH", f"/api/v1/areas/{area}", admin, json={"polygon": AREA})
    assert (area_of(inside), area_of(outside)) == (area, None)
    east = fleet.post("/api/v1/areas", admin, {"name": "东郊", "polygon": EAST}, 201).json["id"]
    assert area_of(outside) == east
    overlap = api.call("PATCH", f"/api/v1/areas/{area}", admin, json={"polygon": wider})
    assert (overlap.status_code, overlap.json["error"]["code"]) == (409, "area_overlaps")
    assert codes(api.delete(f"/api/v1/areas/{area}", admin)) == ["assignment_running"]
    assert api.delete(f"/api/v1/areas/{east}", admin).json["deleted"] is True
    assert area_of(outside) is None


def test_an_area_with_history_is_deactivated_and_checked_again_on_return(fleet, api, world):
    admin = world.company_admin
    east = fleet.post("/api/v1/areas", admin, {"name": "东郊", "polygon": EAST}, 201).json["id"]
    outside = fleet.customer("out", position=OUTSIDE)
    other = add_driver(world, "driver_two")
    api.put(f"/api/v1/drivers/{other.id}/certificate", admin,
            json={"certificate_no": "Q2", "certificate_expires_on": "2028-01-01"})
    fleet.post("/api/v1/assignments", admin, {
        "driver_id": other.id, "vehicle_id": fleet.ids["spare"], "area_id": east, **PAST}, 201)
    resp = api.delete(f"/api/v1/areas/{east}", admin)
    assert resp.json == {"id": east, "deleted": False, "active": False}
    assert api.get(f"/api/v1/customers/{outside}", admin).json["area_id"] is None
    # a deactivated area may be drawn over, and cannot come back on top of its successor
    fleet.post("/api/v1/areas", admin, {"name": "东郊新区", "polygon": EAST}, 201)
    again = api.call("PATCH", f"/api/v1/areas/{east}", admin, json={"active": True})
    assert (again.status_code, again.json["error"]["code"]) == (409, "area_overlaps")
    renamed = api.call("PATCH", f"/api/v1/areas/{east}", admin, json={"name": "旧东郊"})
    assert renamed.status_code == 200 and renamed.json["active"] is False
    listed = {a["name"]: a["active"] for a in api.get("/api/v1/areas", admin).json}
    assert listed == {"东关片区": True, "东郊新区": True, "旧东郊": False}


def test_edit_a_customer(fleet, api, world):
    admin = world.company_admin
    home, shop = fleet.customer("home"), fleet.customer("shop", "restaurant")
    resp = api.call("PATCH", f"/api/v1/customers/{shop}", admin, json={
        "premises": "semi_underground", "phone": "13800000000", **OUTSIDE})
    assert resp.status_code == 200, resp.json
    assert (resp.json["premises"], resp.json["phone"], resp.json["area_id"]) == (
        "semi_underground", "13800000000", None)
    moved_back = api.call("PATCH", f"/api/v1/customers/{shop}", admin, json=INSIDE)
    assert moved_back.json["area_id"] == fleet.ids["area"]
    taken = api.get(f"/api/v1/customers/{home}", admin).json["id_number"]
    for body, status, code in (({"kind": "household"}, 400, "identity_kind_mismatch"),
                               ({"id_number": "130606198001010010"}, 400, "invalid_id_number"),
                               ({"lat": 123}, 400, "validation_error")):
        resp = api.call("PATCH", f"/api/v1/customers/{shop}", admin, json=body)
        assert (resp.status_code, resp.json["error"]["code"]) == (status, code), body
    fleet.customer("neighbour")
    dup = api.call("PATCH", f"/api/v1/customers/{home}", admin,
                   json={"id_number": api.get(f"/api/v1/customers/{fleet.customers['neighbour']}",
                                              admin).json["id_number"]})
    assert (dup.status_code, dup.json["error"]["code"]) == (409, "duplicate_customer")
    assert api.get(f"/api/v1/customers/{home}", admin).json["id_number"] == taken


def test_a_served_customer_is_deactivated_and_no_longer_served(fleet, api, world):
    admin = world.company_admin
    fleet.customer("home")
    never = fleet.customer("never")
    assert api.delete(f"/api/v1/customers/{never}", admin).json["deleted"] is True
    assert api.get(f"/api/v1/customers/{never}", admin).status_code == 404
    code, spare = fleet.cylinder(), fleet.cylinder()
    fleet.dispatch(code)
    fleet.dispatch(spare)
    check = fleet.check("home").json["id"]
    assert fleet.deliver(code, "home", safety_check_id=check).status_code == 201
    holding = api.delete(f"/api/v1/customers/{fleet.customers['home']}", admin)
    assert holding.status_code == 409 and codes(holding) == ["holds_cylinders"]
    assert fleet.take_back(code, "home").status_code == 201
    resp = api.delete(f"/api/v1/customers/{fleet.customers['home']}", admin)
    assert resp.json == {"id": fleet.customers["home"], "deleted": False, "active": False}
    refused = fleet.deliver(spare, "home", safety_check_id=check)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "customer_inactive")
    assert fleet.custody(spare)["kind"] == "vehicle"
    back = api.call("PATCH", f"/api/v1/customers/{fleet.customers['home']}", admin,
                    json={"active": True})
    assert back.json["active"] is True
    assert fleet.deliver(spare, "home", safety_check_id=check).status_code == 201
