"""Entrustment (托管): who may entrust whose cylinders to which station, and who sees it."""
from __future__ import annotations

import pytest

from tests.db_helpers import race_to_insert


def _body(world, owner="company", station="station_a", valid_from="2026-01-01",
          valid_to="2026-12-31"):
    return {"owner_org_id": world.orgs[owner], "station_org_id": world.orgs[station],
            "valid_from": valid_from, "valid_to": valid_to}


@pytest.mark.parametrize("actor", ["company_admin", "regulator", "admin"])
def test_owner_admin_and_regulators_entrust(api, world, actor):
    resp = api.post("/api/v1/entrustments", world.users[actor], json=_body(world))
    assert resp.status_code == 201, resp.json
    assert resp.json["owner_org_id"] == world.orgs["company"]
    assert resp.json["station_org_id"] == world.orgs["station_a"]
    assert (resp.json["valid_from"], resp.json["valid_to"]) == ("2026-01-01", "2026-12-31")
    assert resp.json["revoked_at"] is None


def test_a_station_owner_may_entrust_its_own_cylinders(api, world):
    resp = api.post("/api/v1/entrustments", world.station_a_admin,
                    json=_body(world, owner="station_a", station="station_b"))
    assert resp.status_code == 201


@pytest.mark.parametrize(("actor", "changes", "status", "code"), [
    ("station_a_admin", {}, 403, "self_entrustment"),  # the station cannot entrust itself
    ("company_admin", {"owner": "station_b"}, 403, "forbidden"),  # someone else's cylinders
    ("company_admin", {"owner": "station_a", "station": "station_b"}, 403, "forbidden"),
    ("regulator", {"station": "company", "owner": "company"}, 400, "same_org"),
    ("regulator", {"station": "agency"}, 400, "not_a_station"),
    ("regulator", {"valid_from": "2026-07-01", "valid_to": "2026-06-30"}, 400,
     "invalid_period"),
])
def test_entrustment_refusals(api, world, actor, changes, status, code):
    body = _body(world, **changes)
    resp = api.post("/api/v1/entrustments", world.users[actor], json=body)
    assert (resp.status_code, resp.json["error"]["code"]) == (status, code), resp.json


@pytest.mark.parametrize("actor", ["filler_a", "company_filler", "driver", "inspector",
                                   "printer"])
def test_other_roles_may_not_entrust(api, world, actor):
    resp = api.post("/api/v1/entrustments", world.users[actor], json=_body(world))
    assert resp.status_code == 403


@pytest.mark.parametrize("body", [
    {},
    {"owner_org_id": "1", "station_org_id": 2, "valid_from": "2026-01-01",
     "valid_to": "2026-02-01"},
    {"owner_org_id": 1, "station_org_id": 2, "valid_from": "2026-13-01",
     "valid_to": "2026-02-01"},
])
def test_bad_entrustment_bodies(api, world, body):
    resp = api.post("/api/v1/entrustments", world.regulator, json=body)
    assert (resp.status_code, resp.json["error"]["code"]) == (400, "validation_error")


def test_unknown_organisations_are_not_found(api, world):
    body = {**_body(world), "station_org_id": 99999}
    resp = api.post("/api/v1/entrustments", world.regulator, json=body)
    assert (resp.status_code, resp.json["error"]["code"]) == (404, "org_not_found")


def test_overlapping_entrustments_of_one_pair_conflict(api, world):
    first = api.post("/api/v1/entrustments", world.regulator, json=_body(world))
    overlap = api.post("/api/v1/entrustments", world.regulator,
                       json=_body(world, valid_from="2026-12-31", valid_to="2027-06-30"))
    assert (overlap.status_code, overlap.json["error"]["code"]) == (409, "entrustment_overlaps")
    after = api.post("/api/v1/entrustments", world.regulator,
                     json=_body(world, valid_from="2027-01-01", valid_to="2027-06-30"))
    assert after.status_code == 201
    other_station = api.post("/api/v1/entrustments", world.regulator,
                             json=_body(world, station="station_b"))
    assert other_station.status_code == 201
    revoke = api.post(f"/api/v1/entrustments/{first.json['id']}/revoke", world.regulator)
    assert revoke.status_code == 200 and revoke.json["revoked_at"]
    again = api.post("/api/v1/entrustments", world.regulator, json=_body(world))
    assert again.status_code == 201  # a revoked one no longer covers the period


def test_overlapping_entrustments_sent_at_once_are_one_entrustment(api, world, clean_app):
    # both passed the overlap check before either inserted (PostgreSQL runs them side by
    # side), so both were stored: the pair then had two entrustments for one period
    periods = [{}, {"valid_from": "2026-12-31", "valid_to": "2027-06-30"}]
    answers = race_to_insert(clean_app, "entrustments", [
        lambda client, changes=changes: client.post(
            "/api/v1/entrustments", json=_body(world, **changes), headers=world.regulator.headers)
        for changes in periods])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "entrustment_overlaps"]
    assert len(api.get("/api/v1/entrustments", world.regulator).json) == 1


def test_parties_see_their_entrustments_and_nobody_else_does(api, world):
    mine = api.post("/api/v1/entrustments", world.regulator, json=_body(world)).json
    theirs = api.post("/api/v1/entrustments", world.regulator,
                      json=_body(world, owner="station_b", station="company")).json

    def ids(actor):
        resp = api.get("/api/v1/entrustments", world.users[actor])
        assert resp.status_code == 200
        return {row["id"] for row in resp.json}

    assert ids("regulator") == {mine["id"], theirs["id"]}
    assert ids("company_admin") == {mine["id"], theirs["id"]}
    assert ids("filler_a") == {mine["id"]}
    assert ids("filler_b") == {theirs["id"]}
    assert api.get("/api/v1/entrustments", world.driver).status_code == 403
    hidden = api.post(f"/api/v1/entrustments/{mine['id']}/revoke", world.users["printer"])
    assert hidden.status_code == 403
    station_b_admin_like = api.post(f"/api/v1/entrustments/{mine['id']}/revoke",
                                    world.station_a_admin)
    assert (station_b_admin_like.status_code,
            station_b_admin_like.json["error"]["code"]) == (403, "forbidden")
    assert api.post("/api/v1/entrustments/99999/revoke", world.regulator).status_code == 404


def test_another_orgs_entrustment_is_not_found(api, world):
    row = api.post("/api/v1/entrustments", world.regulator,
                   json=_body(world, owner="station_b", station="company")).json
    resp = api.post(f"/api/v1/entrustments/{row['id']}/revoke", world.station_a_admin)
    assert (resp.status_code, resp.json["error"]["code"]) == (404, "entrustment_not_found")


def test_an_entrustment_revoked_twice_at_once_keeps_the_first_revocation(api, world,
                                                                          clean_app):
    """A second revocation changes nothing; but both read it unrevoked before either wrote
    (PostgreSQL runs them side by side) and the second overwrote when and by whom it was
    revoked. Now the second waits for the row and answers it as the first left it."""
    from tests.db_helpers import race

    row_id = api.post("/api/v1/entrustments", world.regulator, json=_body(world)).json["id"]
    answers = race(clean_app, [
        lambda client, actor=actor: client.post(f"/api/v1/entrustments/{row_id}/revoke",
                                                headers=actor.headers)
        for actor in (world.regulator, world.company_admin)],
        lambda sql: sql.lstrip().upper().startswith("UPDATE ENTRUSTMENTS"))
    assert [a.status_code for a in answers] == [200, 200], [a.json for a in answers]
    assert answers[0].json["revoked_at"] == answers[1].json["revoked_at"]
