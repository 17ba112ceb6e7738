"""Organisations, users, tokens, login, CSRF and rate limits."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.auth.models import ApiToken, User
from app.extensions import db
from tests.conftest import make_app


def test_platform_admin_creates_org_and_user_with_token(api, world):
    org = api.post("/api/v1/orgs", world.admin,
                   json={"name": "新充装站", "kind": "filling_station"})
    assert org.status_code == 201
    user = api.post("/api/v1/users", world.admin,
                    json={"name": "newfiller", "org_id": org.json["id"], "role": "filler"})
    assert user.status_code == 201 and user.json["token"].startswith("lpg_")
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {user.json['token']}"})
    assert me.json["name"] == "newfiller" and me.json["org_id"] == org.json["id"]


def test_org_and_user_refusals(api, world):
    dup = api.post("/api/v1/orgs", world.admin,
                   json={"name": "第一充装站", "kind": "filling_station"})
    assert (dup.status_code, dup.json["error"]["code"]) == (409, "duplicate_org")
    kind = api.post("/api/v1/orgs", world.admin, json={"name": "X", "kind": "bakery"})
    assert kind.status_code == 400
    other = api.post("/api/v1/users", world.company_admin,
                     json={"name": "sneaky", "org_id": world.orgs["station_a"], "role": "filler"})
    assert (other.status_code, other.json["error"]["code"]) == (403, "forbidden")
    own = api.post("/api/v1/users", world.company_admin,
                   json={"name": "driver2", "org_id": world.orgs["company"], "role": "driver"})
    assert own.status_code == 201
    wrong = api.post("/api/v1/users", world.admin,
                     json={"name": "x", "org_id": world.orgs["printer"], "role": "filler"})
    assert wrong.json["error"]["code"] == "role_not_for_org"
    assert api.post("/api/v1/orgs", world.company_admin,
                    json={"name": "Y", "kind": "printer"}).status_code == 403


def test_tokens_are_stored_hashed_and_revocable(api, world, ctx):
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert world.driver.token not in stored
    assert all(len(h) == 64 for h in stored)
    second = api.post("/api/v1/tokens", world.driver)
    assert second.status_code == 201
    token_id = second.json["id"]
    headers = {"Authorization": f"Bearer {second.json['token']}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert api.delete(f"/api/v1/tokens/{token_id}", world.filler_a).status_code == 404
    assert api.delete(f"/api/v1/tokens/{token_id}", world.driver).status_code == 200
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert api.get("/api/v1/me", world.driver).status_code == 200


def test_passwords_use_a_modern_hash(ctx):
    from app.auth import services

    org = services.create_org("O", "printer")
    user = services.create_user(None, "p1", org.id, "printer", password="correct horse")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert services.authenticate("p1", "correct horse") is not None
    assert services.authenticate("p1", "wrong horse") is None
    with pytest.raises(Exception, match="8 characters"):
        services.create_user(None, "p2", org.id, "printer", password="short")


def test_session_api_calls_need_csrf(tmp_path):
    app = make_app("sqlite", tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from app.auth import services

        org = services.create_org("监管", "regulator")
        services.create_user(None, "reg", org.id, "regulator", password="password-123")
        db.session.commit()
    client = app.test_client()
    page = client.get("/login")
    token = page.data.decode().split('name="csrf-token" content="')[1].split('"')[0]
    no_token = client.post("/login", data={"name": "reg", "password": "password-123"})
    assert no_token.status_code == 400
    resp = client.post("/login", data={"name": "reg", "password": "password-123",
                                       "csrf_token": token})
    assert resp.status_code == 302
    body = {"name": "新站", "kind": "filling_station"}
    home = client.get("/").data.decode()  # the session was renewed at login: a fresh token
    token = home.split('name="csrf-token" content="')[1].split('"')[0]
    refused = client.post("/api/v1/orgs", json=body)
    assert (refused.status_code, refused.json["error"]["code"]) == (400, "csrf_failed")
    assert client.post("/api/v1/orgs", json=body, headers={"X-CSRFToken": token}).status_code == 201
    with app.app_context():
        db.engine.dispose()


def test_login_is_rate_limited(tmp_path):
    app = make_app("sqlite", tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [client.post("/login", data={"name": "x", "password": "y"}).status_code
             for _ in range(12)]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429
    with app.app_context():
        db.engine.dispose()


def test_security_headers_on_pages(client):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_create_admin_cli_prints_token_last(clean_app):
    result = clean_app.test_cli_runner().invoke(args=["users", "create-admin", "boss"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("lpg_")
    resp = clean_app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.json["role"] == "admin"
    with clean_app.app_context():
        user = db.session.scalar(select(User).where(User.name == "boss"))
        assert user.is_platform_admin


def test_a_token_revoked_through_one_worker_is_refused_at_once_by_another(app, api, world):
    """Each worker caches tokens; a revocation anywhere on the host must reach every cache."""
    issued = api.post("/api/v1/tokens", world.filler_a).json
    headers = {"Authorization": f"Bearer {issued['token']}"}
    other = create_app(dict(app.config))  # a second worker: its own cache, same instance dir
    try:
        client = other.test_client()
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # now cached there
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert api.delete(f"/api/v1/tokens/{issued['id']}", world.filler_a).status_code == 200
        resp = client.get("/api/v1/me", headers=headers)
        assert (resp.status_code, resp.json["error"]["code"]) == (401, "invalid_token")
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_bad_bearer_token_is_refused_even_beside_a_signed_in_session(tmp_path):
    """A request that sends a token is judged by that token, never by the session cookie
    beside it: else a revoked or made-up token rode on the session, past the CSRF check."""
    app = make_app("sqlite", tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from app.auth import services

        org = services.create_org("监管", "regulator")
        services.create_user(None, "reg", org.id, "regulator", password="password-123")
        other = services.create_user(None, "reg2", org.id, "regulator")
        revoked = services.issue_token(other)
        services.revoke_token(other, db.session.scalar(select(ApiToken.id)))
        valid = services.issue_token(other)
        db.session.commit()
    client = app.test_client()
    page = client.get("/login").data.decode()
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/login", data={"name": "reg", "password": "password-123",
                                       "csrf_token": token}).status_code == 302
    assert client.get("/api/v1/me").json["name"] == "reg"  # the session alone still works
    for bad in ("made-up", revoked):
        headers = {"Authorization": f"Bearer {bad}"}
        refused = client.post("/api/v1/orgs", json={"name": f"站{bad}", "kind": "printer"},
                              headers=headers)
        assert (refused.status_code, refused.json["error"]["code"]) == (401, "invalid_token")
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    # a valid token speaks for its own user, not for the session's
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {valid}"}).json
    assert me["name"] == "reg2"
    with app.app_context():
        from app.auth.models import Organisation

        assert db.session.scalar(select(Organisation.id).where(
            Organisation.kind == "printer")) is None
        db.engine.dispose()
