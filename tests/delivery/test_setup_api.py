"""A gas company's set-up through the API: vehicles, areas, certificates, assignments, customers,
with every refusal and who may see what."""
from __future__ import annotations

import pytest

from tests.db_helpers import race_to_insert
from tests.delivery.conftest import AREA, OUTSIDE, add_driver, licence_code, resident_id


def test_vehicle_rules(fleet, api, world):
    admin = world.company_admin
    ok = api.post("/api/v1/vehicles", admin, json={
        "plate": "冀 F·A1234", "permit_no": "P-9", "permit_expires_on": "2027-01-01"})
    assert ok.status_code == 201 and ok.json["plate"] == "冀FA1234"
    for plate, code in (("ABC123", "invalid_plate"), ("冀FA1234", "duplicate_vehicle")):
        resp = api.post("/api/v1/vehicles", admin, json={
            "plate": plate, "permit_no": "P", "permit_expires_on": "2027-01-01"})
        assert resp.json["error"]["code"] == code
    for actor in (world.driver, world.filler_a, world.station_a_admin, world.regulator):
        resp = api.post("/api/v1/vehicles", actor, json={
            "plate": "冀F99999", "permit_no": "P", "permit_expires_on": "2027-01-01"})
        assert resp.status_code == 403, actor.name
    listed = api.get("/api/v1/vehicles", admin).json
    assert len(listed) == 3
    assert api.get("/api/v1/vehicles", world.station_a_admin).json == []


def test_areas_are_valid_polygons_that_do_not_overlap(fleet, api, world):
    admin = world.company_admin
    bowtie = [[115.40, 38.80], [115.42, 38.82], [115.42, 38.80], [115.40, 38.82]]
    for polygon, code in ((bowtie, "invalid_polygon"),
                          ([[115.4, 38.8], [115.41, 38.8], [115.42, 38.8]], "invalid_polygon"),
                          ([[200, 38.8], [115.41, 38.8], [115.42, 38.81]], "invalid_polygon"),
                          ([[p[0] + 0.01, p[1]] for p in AREA], "area_overlaps")):
        resp = api.post("/api/v1/areas", admin, json={"name": "新区", "polygon": polygon})
        assert resp.status_code in (400, 409), resp.json
        assert resp.json["error"]["code"] == code
    neighbour = [[115.50, 38.85], [115.56, 38.85], [115.56, 38.88], [115.50, 38.88]]
    resp = api.post("/api/v1/areas", admin, json={"name": "南关片区", "polygon": neighbour})
    assert resp.status_code == 201  # touching along an edge is fine
    assert api.post("/api/v1/areas", admin, json={"name": "南关片区", "polygon": bowtie}
                    ).status_code == 400


def test_overlapping_areas_sent_at_once_are_one_area(fleet, api, world, clean_app):
    # both passed the overlap check before either inserted (PostgreSQL runs them side by
    # side): the company then had two areas over the same streets
    west = [[115.60, 38.85], [115.64, 38.85], [115.64, 38.88], [115.60, 38.88]]
    east = [[p[0] + 0.01, p[1]] for p in west]
    answers = race_to_insert(clean_app, "delivery_areas", [
        lambda client, name=name, outline=outline: client.post(
            "/api/v1/areas", json={"name": name, "polygon": outline},
            headers=world.company_admin.headers)
        for name, outline in (("西区", west), ("东区", east))])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "area_overlaps"]
    names = {a["name"] for a in api.get("/api/v1/areas", world.company_admin).json}
    assert len(names & {"西区", "东区"}) == 1


def test_one_driver_assigned_twice_at_once_gets_one_assignment(fleet, api, world, clean_app):
    # both passed the driver's overlap check before either inserted (PostgreSQL runs them
    # side by side): the driver was on two vehicles for the same days
    requests = [{"driver_id": world.driver.id, "vehicle_id": fleet.ids[vehicle],
                 "area_id": fleet.ids["area"], "starts_on": starts, "ends_on": ends}
                for vehicle, starts, ends in (("vehicle", "2026-07-01", "2026-07-10"),
                                              ("spare", "2026-07-05", "2026-07-15"))]
    answers = race_to_insert(clean_app, "assignments", [
        lambda client, body=body: client.post("/api/v1/assignments", json=body,
                                              headers=world.company_admin.headers)
        for body in requests])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json for a in answers]
    refused = next(a.json for a in answers if a.status_code == 409)
    assert [r["code"] for r in refused["error"]["reasons"]] == ["driver_already_assigned"]
    assert len(api.get("/api/v1/assignments", world.company_admin).json) == 2


def test_customers_join_the_area_they_lie_in(fleet, api, world):
    inside = fleet.customer("in")
    outside = fleet.customer("out", position=OUTSIDE)
    assert api.get(f"/api/v1/customers/{inside}", world.company_admin).json["area_id"] == \
        fleet.ids["area"]
    assert api.get(f"/api/v1/customers/{outside}", world.company_admin).json["area_id"] is None
    east = [[115.52, 38.84], [115.58, 38.84], [115.58, 38.88], [115.52, 38.88]]
    area = api.post("/api/v1/areas", world.company_admin, json={"name": "东郊", "polygon": east})
    assert api.get(f"/api/v1/customers/{outside}", world.company_admin).json["area_id"] == \
        area.json["id"]


@pytest.mark.parametrize(("changes", "code"), [
    ({"id_number": "130606198001010010"}, "invalid_id_number"),
    ({"id_number": "130606198013010012"}, "invalid_id_number"),
    # digits str.isdigit() admits and int() refuses, in the birth date and elsewhere
    ({"id_number": "1306061980²1010012"}, "invalid_id_number"),
    ({"id_number": "①30606198001010012"}, "invalid_id_number"),
    ({"kind": "restaurant"}, "identity_kind_mismatch"),
    ({"kind": "spaceship"}, "validation_error"),
    ({"premises": "roof"}, "validation_error"),
    ({"lat": 123}, "validation_error"),
    ({"name": ""}, "validation_error"),
])
def test_customer_refusals(fleet, api, world, changes, code):
    body = {"name": "王某", "id_kind": "person", "id_number": resident_id(7),
            "kind": "household", "address": "莲池区裕华路1号", "lat": 38.86, "lon": 115.47,
            **changes}
    resp = api.post("/api/v1/customers", world.company_admin, json=body)
    assert resp.status_code == 400, resp.json
    assert resp.json["error"]["code"] == code


def test_customer_identity_is_unique_per_company(fleet, api, world):
    body = {"name": "聚福楼", "id_kind": "business_licence", "id_number": licence_code(5),
            "kind": "restaurant", "address": "莲池区裕华路2号", "lat": 38.86, "lon": 115.47}
    assert api.post("/api/v1/customers", world.company_admin, json=body).status_code == 201
    again = api.post("/api/v1/customers", world.company_admin, json=body)
    assert (again.status_code, again.json["error"]["code"]) == (409, "duplicate_customer")


def test_customer_addresses_are_private_to_company_and_regulators(fleet, api, world):
    cid = fleet.customer("home")
    for actor in (world.company_admin, world.driver, world.regulator):
        resp = api.get(f"/api/v1/customers/{cid}", actor)
        assert resp.status_code == 200 and resp.json["address"], actor.name
    rival = add_driver(world, "rival", org="station_b")
    for actor in (world.station_a_admin, rival):
        assert api.get(f"/api/v1/customers/{cid}", actor).status_code in (403, 404)
        listed = api.get("/api/v1/customers", actor)
        assert listed.status_code == 403 or listed.json == []
    for actor in (world.filler_a, world.inspector, world.printer):
        assert api.get(f"/api/v1/customers/{cid}", actor).status_code == 403


def test_assignment_refuses_expired_papers_and_double_booking(fleet, api, world):
    admin = world.company_admin
    second = add_driver(world, "driver2")
    base = {"driver_id": second.id, "vehicle_id": fleet.ids["spare"], "area_id": fleet.ids["area"],
            "starts_on": "2026-06-01", "ends_on": "2026-06-30"}
    no_cert = api.post("/api/v1/assignments", admin, json=base)
    assert no_cert.status_code == 409
    assert [r["code"] for r in no_cert.json["error"]["reasons"]] == ["driver_no_certificate"]
    api.put(f"/api/v1/drivers/{second.id}/certificate", admin,
            json={"certificate_no": "Q-2", "certificate_expires_on": "2026-06-10"})
    expired = api.post("/api/v1/assignments", admin, json=base)
    assert [r["code"] for r in expired.json["error"]["reasons"]] == ["driver_certificate_expired"]
    api.put(f"/api/v1/drivers/{second.id}/certificate", admin,
            json={"certificate_no": "Q-2", "certificate_expires_on": "2026-06-20"})
    short = api.post("/api/v1/assignments", admin, json=base)
    assert [r["code"] for r in short.json["error"]["reasons"]] == ["driver_certificate_expires"]
    api.put(f"/api/v1/drivers/{second.id}/certificate", admin,
            json={"certificate_no": "Q-2", "certificate_expires_on": "2029-01-01"})
    old_truck = api.post("/api/v1/vehicles", admin, json={
        "plate": "冀F20000", "permit_no": "P", "permit_expires_on": "2026-05-31"}).json["id"]
    permit = api.post("/api/v1/assignments", admin, json={**base, "vehicle_id": old_truck})
    assert [r["code"] for r in permit.json["error"]["reasons"]] == ["vehicle_permit_expired"]
    taken = api.post("/api/v1/assignments", admin,
                     json={**base, "vehicle_id": fleet.ids["vehicle"]})
    assert [r["code"] for r in taken.json["error"]["reasons"]] == ["vehicle_already_assigned"]
    ok = api.post("/api/v1/assignments", admin, json=base)
    assert ok.status_code == 201, ok.json
    twice = api.post("/api/v1/assignments", admin, json={**base, "starts_on": "2026-06-30",
                                                         "ends_on": "2026-07-05"})
    codes = {r["code"] for r in twice.json["error"]["reasons"]}
    assert codes == {"driver_already_assigned", "vehicle_already_assigned"}
    backwards = api.post("/api/v1/assignments", admin, json={**base, "starts_on": "2026-08-02",
                                                             "ends_on": "2026-08-01"})
    assert backwards.status_code == 400


def test_assignment_of_another_companys_objects_is_404(fleet, api, world):
    from app.auth import services as auth
    from app.extensions import db
    from tests.conftest import Actor

    org = auth.create_org("别家燃气", "gas_company")
    user = auth.create_user(None, "other_admin", org.id, "admin")
    other = Actor("other_admin", user.id, org.id, "admin", auth.issue_token(user))
    db.session.commit()
    resp = api.post("/api/v1/assignments", other, json={
        "driver_id": world.driver.id, "vehicle_id": fleet.ids["vehicle"],
        "area_id": fleet.ids["area"], "starts_on": "2026-07-01", "ends_on": "2026-07-31"})
    assert resp.status_code == 404
    cert = api.put(f"/api/v1/drivers/{world.driver.id}/certificate", other,
                   json={"certificate_no": "X", "certificate_expires_on": "2030-01-01"})
    assert cert.status_code == 404
    assert api.get("/api/v1/areas", other).json == []


def test_openapi_describes_every_delivery_body(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/vehicles", "/api/v1/areas", "/api/v1/assignments", "/api/v1/customers",
                 "/api/v1/dispatches", "/api/v1/deliveries", "/api/v1/returns",
                 "/api/v1/unloads", "/api/v1/safety-checks", "/api/v1/events/batch"):
        post = spec["paths"][path]["post"]
        assert "requestBody" in post, path
        assert "409" in post["responses"] or path in (
            "/api/v1/vehicles", "/api/v1/areas", "/api/v1/customers", "/api/v1/unloads",
            "/api/v1/safety-checks", "/api/v1/events/batch"), path
    assert "/api/v1/hazards" in spec["paths"] and "/api/v1/hazards.xlsx" in spec["paths"]


def test_openapi_says_what_a_batched_events_payload_holds(client):
    """`payload` was documented as any object: a client calling /events/batch from the
    document could not know a delivery needs customer_id; it learnt it from refusals."""
    spec = client.get("/api/v1/openapi.json").json
    said = spec["components"]["schemas"]["BatchEventIn"]["properties"]["payload"]["description"]
    for kind, path in (("dispatch", "dispatches"), ("delivery", "deliveries"),
                       ("return", "returns"), ("unload", "unloads"),
                       ("safety_check", "safety-checks")):
        body = spec["paths"][f"/api/v1/{path}"]["post"]["requestBody"]["content"]
        schema = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert f"{kind} " in said and f"/{path} ({schema})" in said, (kind, schema)
