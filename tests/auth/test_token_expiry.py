"""API tokens expire: a lifetime at issue, 401 token_expired after it, a list of one's own."""
from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from sqlalchemy import inspect, select, update

from app.auth import services
from app.auth.models import ApiToken, User
from app.config import ConfigError, load_config
from app.database import utcnow
from app.extensions import db
from tests.conftest import Api
from tests.db_helpers import count_statements

DAY = dt.timedelta(days=1)


def _age(token: str, days: float) -> None:
    """Move a token's expiry `days` into the past (as if that much time had gone by)."""
    row = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == services.hash_token(token)))
    row.expires_at = utcnow() - dt.timedelta(days=days)
    db.session.commit()  # an ORM change: every worker's token cache drops its entries


def _close(stamp: str, expected: dt.datetime) -> bool:
    return abs(dt.datetime.fromisoformat(stamp) - expected) < dt.timedelta(minutes=1)


def test_a_new_token_lives_the_configured_days_or_fewer(clean_app, api, world):
    default = api.post("/api/v1/tokens", world.driver)
    assert default.status_code == 201
    days = clean_app.config["API_TOKEN_DAYS"]
    assert _close(default.json["expires_at"], utcnow() + days * DAY)
    assert default.json["label"] == "self-service"
    short = api.post("/api/v1/tokens", world.driver, json={"days": 30, "label": "tablet"})
    assert short.status_code == 201, short.json
    assert _close(short.json["expires_at"], utcnow() + 30 * DAY)
    assert short.json["label"] == "tablet"
    too_long = api.post("/api/v1/tokens", world.driver, json={"days": days + 1})
    assert (too_long.status_code, too_long.json["error"]["code"]) == (400, "lifetime_too_long")
    for bad in (0, -1, "x"):
        resp = api.post("/api/v1/tokens", world.driver, json={"days": bad})
        assert (resp.status_code, resp.json["error"]["code"]) == (400, "validation_error")


def test_api_token_days_comes_from_the_environment():
    assert load_config({"API_TOKEN_DAYS": "30"})["API_TOKEN_DAYS"] == 30
    assert load_config({})["API_TOKEN_DAYS"] == 365
    for bad in ("0", "-5", "soon"):
        with pytest.raises(ConfigError, match="API_TOKEN_DAYS"):
            load_config({"API_TOKEN_DAYS": bad})


def test_the_token_cache_lifetime_comes_from_the_environment():
    """docs/architecture.md names AUTH_CACHE_SECONDS as a setting; it was never read."""
    assert load_config({"AUTH_CACHE_SECONDS": "0"})["AUTH_CACHE_SECONDS"] == 0
    assert load_config({})["AUTH_CACHE_SECONDS"] == 5


def test_an_expired_token_is_refused_with_its_own_code(api, world, ctx):
    assert api.get("/api/v1/me", world.filler_a).status_code == 200
    _age(world.filler_a.token, 1)
    for resp in (api.get("/api/v1/me", world.filler_a),
                 api.post("/api/v1/tokens", world.filler_a)):
        assert (resp.status_code, resp.json["error"]["code"]) == (401, "token_expired")
    made_up = api.get("/api/v1/me", headers={"Authorization": "Bearer lpg_made_up"})
    assert made_up.json["error"]["code"] == "invalid_token"
    assert api.get("/api/v1/me", world.filler_b).status_code == 200


def test_a_cached_token_expires_in_the_cache_without_a_query(api, world):
    """The expiry rides in the cached entry: a hit costs no statement, expired or not."""
    assert api.get("/api/v1/me", world.driver).status_code == 200  # now cached
    statements: list[str] = []
    with count_statements(statements):
        assert api.get("/api/v1/me", world.driver).status_code == 200
    assert not [s for s in statements if "api_tokens" in s]
    later = utcnow() + 400 * DAY
    with mock.patch("app.auth.services.utcnow", return_value=later), \
            count_statements(statements):
        resp = api.get("/api/v1/me", world.driver)
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "token_expired")
    assert not [s for s in statements if "api_tokens" in s]


def test_a_deactivated_users_expired_token_says_invalid(api, world, ctx):
    """Asking for a new token would not help a deactivated user: the answer says invalid."""
    _age(world.driver.token, 1)
    db.session.get(User, world.driver.id).active = False
    db.session.commit()
    resp = api.get("/api/v1/me", world.driver)
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "invalid_token")


def test_users_list_their_own_tokens_without_secrets(api, world):
    extra = api.post("/api/v1/tokens", world.driver, json={"label": "spare", "days": 7}).json
    api.delete(f"/api/v1/tokens/{extra['id']}", world.driver)
    api.post("/api/v1/tokens", world.filler_a, json={"label": "not yours"})
    listed = api.get("/api/v1/tokens", world.driver)
    assert listed.status_code == 200
    assert [t["label"] for t in listed.json] == [None, "spare"]
    assert set(listed.json[0]) == {"id", "label", "created_at", "expires_at", "revoked_at"}
    assert listed.json[0]["revoked_at"] is None and listed.json[1]["revoked_at"]
    assert all(t["expires_at"] and t["created_at"] for t in listed.json)
    body = listed.get_data(as_text=True)
    assert world.driver.token not in body and services.hash_token(world.driver.token) not in body


def test_the_migration_gives_old_tokens_the_default_lifetime(clean_app, world):
    """Tokens issued before expiry existed stay valid for API_TOKEN_DAYS from the upgrade."""
    from flask_migrate import downgrade, upgrade

    with clean_app.app_context():
        db.session.commit()
        downgrade(revision="0013_user_status")
        columns = {c["name"] for c in inspect(db.engine).get_columns("api_tokens")}
        assert "expires_at" not in columns
        db.session.commit()
        upgrade()
        expiries = db.session.scalars(select(ApiToken.expires_at)).all()
    assert len(expiries) == len(world.users)
    assert all(abs(e - (utcnow() + 365 * DAY)) < dt.timedelta(minutes=1) for e in expiries)
    assert Api(clean_app.test_client()).get("/api/v1/me", world.printer).status_code == 200


def test_the_demo_logins_printed_keep_working_after_their_tokens_expire(clean_app):
    runner = clean_app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--cylinders", "3"]).exit_code == 0
    with clean_app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - DAY))
        db.session.commit()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    tokens = re.findall(r"token (lpg_\S+)", again.output)
    assert len(tokens) == 8
    client = Api(clean_app.test_client())
    for token in tokens:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.json
