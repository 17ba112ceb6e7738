"""Deactivating and reactivating users through the API: who may, and that it holds at once."""
from __future__ import annotations

from sqlalchemy import select

from app import create_app
from app.auth import services
from app.auth.models import User, UserStatusChange
from app.extensions import db
from tests.conftest import Api

OFF, ON = {"active": False}, {"active": True}


def test_an_org_admin_lists_its_own_users_only(api, world):
    mine = api.get("/api/v1/users", world.company_admin)
    assert mine.status_code == 200
    assert {u["name"] for u in mine.json} == {"company_admin", "company_filler", "driver"}
    assert all(u["active"] and u["deactivated_at"] is None for u in mine.json)
    assert "token" not in mine.json[0]
    same = api.get(f"/api/v1/users?org_id={world.orgs['company']}", world.company_admin)
    assert same.json == mine.json
    other = api.get(f"/api/v1/users?org_id={world.orgs['station_a']}", world.company_admin)
    assert (other.status_code, other.json["error"]["code"]) == (403, "forbidden")
    missing = api.get("/api/v1/users?org_id=999999", world.company_admin)
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "org_not_found")
    refused = api.get("/api/v1/users", world.regulator)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "role_forbidden")


def test_a_platform_admin_lists_any_organisation_or_all(api, world):
    station = api.get(f"/api/v1/users?org_id={world.orgs['station_a']}", world.admin).json
    assert {u["name"] for u in station} == {"filler_a", "station_a_admin"}
    everyone = api.get("/api/v1/users", world.admin).json
    assert len(everyone) == len(world.users)


def test_an_org_admin_deactivates_and_reactivates_its_user(api, world):
    assert api.get("/api/v1/me", world.driver).status_code == 200
    off = api.call("PATCH", f"/api/v1/users/{world.driver.id}", world.company_admin, json=OFF)
    assert off.status_code == 200, off.json
    assert off.json["active"] is False
    assert off.json["deactivated_by_id"] == world.company_admin.id
    assert off.json["deactivated_at"]
    refused = api.get("/api/v1/me", world.driver)
    assert (refused.status_code, refused.json["error"]["code"]) == (401, "invalid_token")
    listed = {u["name"]: u for u in api.get("/api/v1/users", world.company_admin).json}
    assert listed["driver"]["active"] is False
    assert listed["driver"]["deactivated_by_id"] == world.company_admin.id
    on = api.call("PATCH", f"/api/v1/users/{world.driver.id}", world.company_admin, json=ON)
    assert on.status_code == 200
    assert (on.json["active"], on.json["deactivated_at"]) == (True, None)
    assert api.get("/api/v1/me", world.driver).status_code == 200


def test_who_deactivated_whom_and_when_is_kept(api, world, ctx):
    path = f"/api/v1/users/{world.filler_a.id}"
    api.call("PATCH", path, world.station_a_admin, json=OFF)
    api.call("PATCH", path, world.station_a_admin, json=OFF)  # already off: nothing to record
    api.call("PATCH", path, world.admin, json=ON)
    db.session.rollback()
    changes = db.session.scalars(select(UserStatusChange).order_by(UserStatusChange.id)).all()
    assert [(c.user_id, c.active, c.changed_by_id) for c in changes] == [
        (world.filler_a.id, False, world.station_a_admin.id),
        (world.filler_a.id, True, world.admin.id)]
    assert changes[0].changed_at <= changes[1].changed_at


def test_refusals_other_org_self_and_roles(api, world, ctx):
    other = api.call("PATCH", f"/api/v1/users/{world.filler_a.id}", world.company_admin,
                     json=OFF)
    missing = api.call("PATCH", "/api/v1/users/999999", world.company_admin, json=OFF)
    assert (other.status_code, other.json["error"]["code"]) == (404, "user_not_found")
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "user_not_found")
    me = api.call("PATCH", f"/api/v1/users/{world.company_admin.id}", world.company_admin,
                  json=OFF)
    assert (me.status_code, me.json["error"]["code"]) == (403, "self_deactivation")
    boss = api.call("PATCH", f"/api/v1/users/{world.admin.id}", world.admin, json=OFF)
    assert (boss.status_code, boss.json["error"]["code"]) == (403, "self_deactivation")
    for actor in (world.regulator, world.filler_a, world.driver):
        refused = api.call("PATCH", f"/api/v1/users/{world.filler_a.id}", actor, json=OFF)
        assert (refused.status_code, refused.json["error"]["code"]) == (403, "role_forbidden")
    bad = api.call("PATCH", f"/api/v1/users/{world.driver.id}", world.company_admin,
                   json={"active": "no"})
    assert (bad.status_code, bad.json["error"]["code"]) == (400, "validation_error")
    db.session.rollback()
    assert all(db.session.scalars(select(User.active)))
    assert db.session.scalar(select(UserStatusChange.id)) is None
    assert api.get("/api/v1/me", world.company_admin).status_code == 200


def test_a_platform_admin_deactivates_anyone_but_itself(api, world):
    resp = api.call("PATCH", f"/api/v1/users/{world.station_a_admin.id}", world.admin, json=OFF)
    assert (resp.status_code, resp.json["active"]) == (200, False)
    resp = api.get("/api/v1/users", world.station_a_admin)
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "invalid_token")


def test_a_deactivation_reaches_every_worker_at_once(app, api, world):
    """Each worker caches tokens; a deactivation through one must reach every cache."""
    other = create_app(dict(app.config))  # a second worker: its own cache, same instance dir
    try:
        client = other.test_client()
        assert client.get("/api/v1/me", headers=world.filler_b.headers).status_code == 200
        assert client.get("/api/v1/me", headers=world.filler_b.headers).status_code == 200
        admin = services.create_user(None, "station_b_admin", world.orgs["station_b"], "admin")
        token = services.issue_token(admin)
        db.session.commit()
        off = api.call("PATCH", f"/api/v1/users/{world.filler_b.id}",
                       headers={"Authorization": f"Bearer {token}"}, json=OFF)
        assert off.status_code == 200
        resp = client.get("/api/v1/me", headers=world.filler_b.headers)
        assert (resp.status_code, resp.json["error"]["code"]) == (401, "invalid_token")
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_deactivated_users_web_session_stops_on_the_next_request(clean_app, api, world):
    services.create_user(None, "web_filler", world.orgs["company"], "filler",
                         password="password-123")
    db.session.commit()
    browser = Api(clean_app.test_client())  # a fresh app context per request, as in production
    login = {"data": {"name": "web_filler", "password": "password-123"}}
    assert browser.post("/login", **login).status_code == 302
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/me").json["name"] == "web_filler"
    user_id = db.session.scalar(select(User.id).where(User.name == "web_filler"))
    assert api.call("PATCH", f"/api/v1/users/{user_id}", world.company_admin,
                    json=OFF).status_code == 200
    page = browser.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    resp = browser.get("/api/v1/me")
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "unauthorized")
    assert browser.post("/login", **login).status_code == 401


def test_an_admin_lists_a_users_tokens_to_revoke_a_lost_devices(api, world):
    second = api.post("/api/v1/tokens", world.driver, json={"label": "phone 2"})
    assert second.status_code == 201
    listed = api.get(f"/api/v1/users/{world.driver.id}/tokens", world.company_admin)
    assert listed.status_code == 200
    labels = [t["label"] for t in listed.json]
    assert "phone 2" in labels and all("token" not in t for t in listed.json)
    [lost] = [t for t in listed.json if t["label"] == "phone 2"]
    revoked = api.call("DELETE", f"/api/v1/tokens/{lost['id']}", world.company_admin)
    assert revoked.status_code == 200
    lost_device = {"Authorization": f"Bearer {second.json['token']}"}
    assert api.get("/api/v1/me", headers=lost_device).status_code == 401
    assert api.get("/api/v1/me", world.driver).status_code == 200  # the other device works on
    other = api.get(f"/api/v1/users/{world.driver.id}/tokens", world.station_a_admin)
    assert (other.status_code, other.json["error"]["code"]) == (404, "user_not_found")
    assert api.get(f"/api/v1/users/{world.driver.id}/tokens", world.admin).status_code == 200
    refused = api.get(f"/api/v1/users/{world.driver.id}/tokens", world.driver)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "role_forbidden")
