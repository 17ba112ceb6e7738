"""Rate limits, password hashing, token revocation and security headers, across every route.

tests/auth/test_users.py checks one case of each; these walk every public route, every page,
and the ways around each control (a forged client address, an unknown login name, a revoked
or deactivated user's token, an old password hash).
"""
from __future__ import annotations

import time
from unittest import mock

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash as real_check

from app.auth import services as auth
from app.auth.models import User
from app.auth.policy import access_for
from app.extensions import db
from tests.conftest import make_app

# Public routes that need no limit, and why (an endpoint, or an endpoint and a method).
UNLIMITED = {
    "static": "files from disk, no database",
    "web.login GET": "shows the form; the POST that checks a password is limited",
    "web.healthz": "the load balancer polls it; one SELECT 1",
    "api-docs.openapi_json": "a static document",
    "api-docs.openapi_swagger_ui": "a static page",
    "web.set_language": "sets a cookie, touches no data",
}
BURST = 150


@pytest.fixture
def limited(tmp_path):
    """An app with rate limits on (the shared test app has them off), and the login user."""
    app = make_app("sqlite", tmp_path, RATELIMIT_ENABLED=True)
    with app.app_context():
        org = auth.create_org("监管", "regulator")
        auth.create_user(None, "reg", org.id, "regulator", password="password-123")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _public_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            access = access_for(app, rule.endpoint, method)
            exempt = (rule.endpoint in UNLIMITED or f"{rule.endpoint} {method}" in UNLIMITED
                      or "/static/" in rule.rule)  # a blueprint's own static files
            if access is not None and access.public and not exempt:
                path = rule.rule.replace("<code>", "0000000000000000")
                routes.append((method, path, rule.endpoint))
    return routes


def test_every_public_route_is_rate_limited(limited):
    routes = _public_routes(limited)
    assert ("POST", "/login", "web.login") in routes
    unlimited = []
    for method, path, endpoint in routes:
        client = limited.test_client()
        statuses = [client.open(path, method=method, data={"name": "x", "password": "y"},
                                environ_base={"REMOTE_ADDR": f"10.1.{len(unlimited)}.9"}
                                ).status_code for _ in range(BURST)]
        if 429 not in statuses:
            unlimited.append(f"{method} {path} ({endpoint})")
    assert not unlimited, f"public routes without a rate limit: {unlimited}"


def test_login_limit_counts_per_client_and_cannot_be_dodged_with_a_header(limited):
    client = limited.test_client()

    def attempt(addr: str, forwarded: str | None = None) -> int:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return client.post("/login", data={"name": "reg", "password": "wrong"}, headers=headers,
                           environ_base={"REMOTE_ADDR": addr}).status_code

    assert [attempt("10.0.0.1", f"192.0.2.{i}") for i in range(12)][-1] == 429
    refused = client.post("/login", data={"name": "reg", "password": "wrong"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert attempt("10.0.0.2") == 401  # another client is not locked out


def test_behind_a_trusted_proxy_the_limit_counts_the_real_client(tmp_path):
    app = make_app("sqlite", tmp_path, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    client = app.test_client()

    def attempt(client_addr: str) -> int:
        return client.post("/login", data={"name": "x", "password": "y"},
                           headers={"X-Forwarded-For": client_addr},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code

    assert [attempt("198.51.100.7") for _ in range(11)][-1] == 429
    assert attempt("198.51.100.8") == 401
    with app.app_context():
        db.engine.dispose()


def test_passwords_are_salted_scrypt_and_never_returned(api, world, ctx):
    org = world.orgs["company"]
    first = auth.create_user(None, "p1", org, "driver", password="same password")
    second = auth.create_user(None, "p2", org, "driver", password="same password")
    assert first.password_hash.startswith("scrypt:32768:8:1$")
    assert first.password_hash != second.password_hash
    db.session.commit()
    resp = api.post("/api/v1/users", world.admin, json={
        "name": "p3", "org_id": org, "role": "driver", "password": "another password"})
    assert resp.status_code == 201
    assert "another password" not in resp.get_data(as_text=True)
    assert not {"password", "password_hash"} & set(resp.json)


def test_an_unknown_login_name_costs_a_hash_check_too(world, ctx):
    auth.create_user(None, "known", world.orgs["company"], "driver", password="password-123")
    db.session.commit()
    with mock.patch("app.auth.services.check_password_hash", side_effect=real_check) as check:
        assert auth.authenticate("nobody", "password-123") is None
        assert auth.authenticate("known", "wrong-password") is None
    assert check.call_count == 2
    timings: dict[str, float] = {}
    for _ in range(5):  # the fastest of five: the machine is shared and noisy
        for name in ("nobody", "known"):
            started = time.perf_counter()
            auth.authenticate(name, "wrong-password")
            took = time.perf_counter() - started
            timings[name] = min(timings.get(name, took), took)
    assert timings["nobody"] > timings["known"] / 3, timings


def test_a_revoked_token_is_refused_at_once_for_reads_and_writes(api, world):
    issued = api.post("/api/v1/tokens", world.regulator).json
    headers = {"Authorization": f"Bearer {issued['token']}"}
    body = {"count": 1, "owner_org_id": world.orgs["company"]}
    assert api.post("/api/v1/code-batches", json=body, headers=headers).status_code == 201
    assert api.delete(f"/api/v1/tokens/{issued['id']}", world.regulator).status_code == 200
    for resp in (api.get("/api/v1/me", headers=headers),
                 api.post("/api/v1/code-batches", json=body, headers=headers),
                 api.get("/api/v1/flags", headers=headers)):
        assert (resp.status_code, resp.json["error"]["code"]) == (401, "invalid_token")
    batches = api.get("/api/v1/code-batches", world.regulator).json
    assert len(batches) == 1  # the refused write wrote nothing


def test_a_deactivated_users_tokens_stop_working(api, world, ctx):
    assert api.get("/api/v1/me", world.filler_a).status_code == 200
    db.session.get(User, world.filler_a.id).active = False
    db.session.commit()
    resp = api.get("/api/v1/me", world.filler_a)
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "invalid_token")


def test_an_org_admin_revokes_its_own_users_tokens_only(api, world):
    issued = api.post("/api/v1/tokens", world.filler_a).json
    assert api.delete(f"/api/v1/tokens/{issued['id']}", world.company_admin).status_code == 404
    assert api.delete(f"/api/v1/tokens/{issued['id']}", world.station_a_admin).status_code == 200


PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def test_every_page_and_answer_carries_the_security_headers(clean_app, world, api):
    checked = 0
    for rule in clean_app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()):
            continue
        for actor in (None, world.regulator, world.printer):
            resp = api.get(rule.rule, actor)
            for name, value in PAGE_HEADERS.items():
                assert resp.headers.get(name) == value, (rule.rule, name)
            csp = resp.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
            assert "http:" not in csp and "https:" not in csp  # nothing from other sites
            if actor is not None and resp.status_code == 200:
                assert "no-store" in resp.headers.get("Cache-Control", ""), rule.rule
            checked += 1
    assert checked > 15


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    app = make_app("sqlite", tmp_path, APP_ENV="production", SESSION_COOKIE_SECURE=True,
                   TESTING=False)
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"]
    resp = app.test_client().get("/login", base_url="https://gas.example.cn")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = resp.headers.get("Set-Cookie", "")
    assert not cookie or ("Secure" in cookie and "HttpOnly" in cookie)
    with app.app_context():
        db.engine.dispose()


def test_login_answers_the_same_for_unknown_names_and_wrong_passwords(client, world, ctx):
    auth.create_user(None, "known", world.orgs["company"], "driver", password="password-123")
    db.session.commit()
    unknown = client.post("/login", data={"name": "nobody", "password": "password-123"})
    wrong = client.post("/login", data={"name": "known", "password": "wrong-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.data == wrong.data
    assert db.session.scalar(select(User).where(User.name == "nobody")) is None
