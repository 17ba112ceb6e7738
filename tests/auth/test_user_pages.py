"""The Users page (账号管理): an admin lists, adds and deactivates their organisation's people
and revokes their API tokens, through the same services and rules as the JSON API."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.auth import services
from app.auth.models import ApiToken, User
from app.extensions import db
from tests.delivery.test_pages import SignedIn

PASSWORD = "secret-pass-1"


@pytest.fixture
def as_user(clean_app, world):
    return lambda name: SignedIn(clean_app, world.users[name].id)


def send(who: SignedIn, path: str, **data: str):
    """Post a form and keep the answer itself (a refusal is the form again, not a redirect)."""
    with who.app.app_context():
        return who.client.post(path, data=data)


def sign_in(app, name: str, password: str):
    """Sign in through the login page with a fresh browser session."""
    client = app.test_client()
    with app.app_context():
        return client.post("/login", data={"name": name, "password": password})


def user_count() -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count(User.id)))


def active(user_id: int) -> bool:
    db.session.rollback()
    return db.session.get(User, user_id).active


@pytest.mark.parametrize("name", ["company_admin", "station_a_admin", "admin"])
def test_admins_open_the_users_page(as_user, name):
    resp = as_user(name).get("/users")
    assert resp.status_code == 200
    assert 'href="/users" aria-current="page">账号管理</a>' in resp.text


@pytest.mark.parametrize("name", ["filler_a", "driver", "regulator", "inspector", "printer"])
def test_other_roles_are_refused(as_user, world, name):
    who = as_user(name)
    target = world.company_filler.id
    assert who.get("/users").status_code == 403
    assert who.get(f"/users/{target}").status_code == 403
    assert ">账号管理</a>" not in who.get("/").text
    for path in ("/users", f"/users/{target}/active", "/users/me/tokens"):
        assert send(who, path, name="x", role="filler", password=PASSWORD,
                    active="0", confirm="1").status_code == 403
    assert active(target) and user_count() == len(world.users)


def test_the_list_shows_the_organisation_its_roles_and_who_deactivated(as_user, world):
    admin = as_user("company_admin")
    page = admin.get("/users").text
    assert all(f'data-testid="user-{n}"' in page
               for n in ("company_admin", "company_filler", "driver"))
    assert 'data-testid="user-filler_a"' not in page  # another organisation's
    assert "送气工" in page and "充装人员" in page and "管理员" in page
    assert "Delivery driver" in admin.get("/users?lang=en").text
    admin.post(f"/users/{world.driver.id}/active", data={"active": "0", "confirm": "1"})
    row = admin.get("/users").text.split(f'data-user="{world.driver.id}"')[1].split("</li>")[0]
    assert 'data-testid="status-inactive"' in row and "由 company_admin 停用" in row
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d 由", row)  # when, in local time


def test_a_platform_admin_picks_the_organisation(as_user, world):
    boss = as_user("admin")
    own = boss.get("/users").text
    assert 'data-testid="user-regulator"' in own and 'data-testid="user-driver"' not in own
    station = boss.get(f"/users?org_id={world.orgs['station_a']}").text
    assert 'data-testid="user-filler_a"' in station and 'data-testid="user-driver"' not in station
    offered = station.split('name="role"')[1].split("</select>")[0]
    assert all(f'value="{r}"' in offered for r in ("admin", "filler", "driver"))
    assert 'value="inspector"' not in offered and 'value="regulator"' not in offered
    everyone = boss.get("/users?org_id=all").text
    assert all(f'data-testid="user-{n}"' in everyone for n in world.users)
    assert 'data-testid="create-form"' not in everyone  # choose an organisation first
    resp = send(boss, f"/users?org_id={world.orgs['station_a']}", name="new_filler",
                role="filler", password=PASSWORD)
    assert resp.status_code == 302
    db.session.rollback()
    made = db.session.scalar(select(User).where(User.name == "new_filler"))
    assert made.org_id == world.orgs["station_a"]
    assert boss.get("/users?org_id=abc").status_code == 400


def test_an_org_admin_cannot_reach_another_organisation(as_user, world):
    admin = as_user("company_admin")
    assert admin.get(f"/users?org_id={world.orgs['station_a']}").status_code == 403
    assert admin.get("/users?org_id=all").status_code == 400
    resp = send(admin, f"/users?org_id={world.orgs['station_a']}", name="mole", role="filler",
                password=PASSWORD)
    assert resp.status_code == 403 and user_count() == len(world.users)


def test_create_with_a_password_then_sign_in(as_user, clean_app):
    admin = as_user("company_admin")
    page = admin.post("/users", data={"name": "driver2", "display_name": "王师傅",
                                      "role": "driver", "password": PASSWORD})
    assert "driver2 现在可以登录了。" in page.text and 'data-testid="user-driver2"' in page.text
    assert PASSWORD not in page.text
    assert sign_in(clean_app, "driver2", PASSWORD).status_code == 302


def test_a_generated_password_is_shown_once(as_user, clean_app):
    admin = as_user("company_admin")
    resp = send(admin, "/users", name="filler2", role="filler", generate="1")
    assert resp.status_code == 200
    password = resp.text.split('data-testid="new-password">')[1].split("<")[0]
    assert len(password) == 12
    assert sign_in(clean_app, "filler2", password).status_code == 302
    assert password not in admin.get("/users").text  # not kept anywhere to be shown again


@pytest.mark.parametrize(("form", "field", "says"), [
    ({"name": "driver", "role": "driver", "password": PASSWORD}, "name", "该登录名已被使用"),
    ({"name": "checker", "role": "inspector", "password": PASSWORD}, "role",
     "本单位不能设置该角色的用户"),
    ({"name": "checker", "role": "boss", "password": PASSWORD}, "role", "请从所列角色中选择"),
    ({"name": "checker", "role": "driver", "password": "short7!"}, "password",
     "密码为 8 至 200 个字符"),
    ({"name": "checker", "role": "driver"}, "password", "请填写至少 8 个字符的密码"),
    ({"name": "   ", "role": "driver", "password": PASSWORD}, "name", "登录名为 1 至 80"),
    ({"name": "x" * 81, "role": "driver", "password": PASSWORD}, "name", "登录名为 1 至 80"),
    ({"name": "check\u202eer", "role": "driver", "password": PASSWORD}, "name",
     "第 6 个字符是改变文字显示顺序的字符（U+202E"),
])
def test_refusals_are_shown_in_the_form_with_the_values_kept(as_user, world, form, field, says):
    resp = send(as_user("company_admin"), "/users", display_name="李四", **form)
    assert resp.status_code == 400
    error = resp.text.split(f'data-testid="error-{field}">')[1].split("</span>")[0]
    assert says in error
    assert 'value="李四"' in resp.text  # what was typed is kept...
    if form["name"].strip():
        assert f'value="{form["name"]}"' in resp.text
    if form["role"] == "driver":
        assert 'value="driver" selected' in resp.text
    if "password" in form:
        assert form["password"] not in resp.text  # ...but never the password
    assert user_count() == len(world.users)


def test_another_organisations_user_is_not_found(as_user, world):
    admin = as_user("company_admin")
    victim = world.filler_a.id
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == victim))
    assert admin.get(f"/users/{victim}").status_code == 404
    assert admin.get("/users/999999").status_code == 404
    resp = send(admin, f"/users/{victim}/active", active="0", confirm="1")
    assert resp.status_code == 404 and active(victim)
    resp = send(admin, f"/users/{victim}/tokens/{token_id}/revoke")
    assert resp.status_code == 404
    # a token named under one of the admin's own users is still not theirs to revoke
    resp = send(admin, f"/users/{world.driver.id}/tokens/{token_id}/revoke")
    assert resp.status_code == 404
    db.session.rollback()
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_nobody_deactivates_themself(as_user, world):
    admin = as_user("company_admin")
    me = world.company_admin.id
    page = admin.get(f"/users/{me}").text
    assert 'data-testid="self-note"' in page and 'data-testid="deactivate"' not in page
    refused = admin.post(f"/users/{me}/active", data={"active": "0", "confirm": "1"})
    assert "不能停用自己的账号；请另一位管理员操作。" in refused.text
    assert 'data-testid="flash-bad"' in refused.text and active(me)


def test_deactivation_needs_the_confirmation(as_user, world):
    admin = as_user("company_admin")
    page = admin.post(f"/users/{world.driver.id}/active", data={"active": "0"})
    assert "请勾选确认框。" in page.text and active(world.driver.id)


def test_a_deactivated_user_can_no_longer_sign_in(as_user, clean_app, world):
    admin = as_user("company_admin")
    admin.post("/users", data={"name": "driver3", "role": "driver", "password": PASSWORD})
    db.session.rollback()
    person = db.session.scalar(select(User).where(User.name == "driver3"))
    session = SignedIn(clean_app, person.id)
    assert session.get("/").status_code == 200
    page = admin.post(f"/users/{person.id}/active", data={"active": "0", "confirm": "1"})
    assert "driver3 已停用" in page.text and 'data-testid="reactivate"' in page.text
    refused = sign_in(clean_app, "driver3", PASSWORD)
    assert refused.status_code == 401 and "用户名或密码错误" in refused.text
    assert session.get("/").status_code == 302  # the open session ends at once too
    page = admin.post(f"/users/{person.id}/active", data={"active": "1", "confirm": "1"})
    assert "driver3 已恢复" in page.text
    assert sign_in(clean_app, "driver3", PASSWORD).status_code == 302


def test_revoke_a_users_token(as_user, api, world):
    admin = as_user("company_admin")
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.driver.id))
    page = admin.get(f"/users/{world.driver.id}").text
    assert f'data-token="{token_id}"' in page and 'data-testid="token-form"' not in page
    assert api.get("/api/v1/me", world.driver).status_code == 200
    page = admin.post(f"/users/{world.driver.id}/tokens/{token_id}/revoke").text
    assert "令牌已吊销" in page and "已吊销" in page.split(f'data-token="{token_id}"')[1]
    assert f'data-testid="revoke-{token_id}"' not in page
    assert api.get("/api/v1/me", world.driver).status_code == 401


def test_issue_a_token_for_yourself(as_user, api, world):
    admin = as_user("station_a_admin")
    resp = send(admin, "/users/me/tokens", label="平板", days="30")
    assert resp.status_code == 200
    token = resp.text.split('data-testid="new-token">')[1].split('class="code"')[1]
    token = token.split(">")[1].split("<")[0]
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["name"] == "station_a_admin"
    assert token not in admin.get(f"/users/{world.station_a_admin.id}").text
    before = len(services.list_tokens(db.session.get(User, world.station_a_admin.id)))
    for days, says in (("9999", "令牌有效期最长 365 天"), ("abc", "请填写不小于 1 的整数天数"),
                      ("³", "请填写不小于 1 的整数天数")):
        resp = send(admin, "/users/me/tokens", label="手机", days=days)
        assert resp.status_code == 400 and says in resp.text
        assert 'value="手机"' in resp.text and f'value="{days}"' in resp.text
    db.session.rollback()
    assert len(services.list_tokens(db.session.get(User, world.station_a_admin.id))) == before
