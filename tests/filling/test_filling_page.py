"""The filling page as HTML: who may open it, what it offers, today's list."""
from __future__ import annotations

from app.auth import services as auth
from app.extensions import db


def _signed_in(api, world, name: str):
    """Sign a password user of the same organisation and role in; the api keeps the cookie."""
    login = f"{name}-web"
    auth.create_user(None, login, world.users[name].org_id, world.users[name].role,
                     password="password-123")
    db.session.commit()
    resp = api.post("/login", data={"name": login, "password": "password-123"})
    assert resp.status_code == 302
    return api


def test_the_page_offers_camera_typed_code_and_precheck(api, world):
    page = _signed_in(api, world, "filler_a").get("/filling")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert 'data-testid="code-input"' in html and "autofocus" in html
    assert "拒绝充装" in html and "允许充装" in html
    assert "残压正常" in html
    assert '<meta name="csrf-token"' in html
    assert "/filling/static/filling.js" in html
    assert "href=\"/filling\"" in html  # in the navigation


def test_todays_list_shows_fills_and_refusals(api, world, registry, station):
    own = registry.cylinder(owner="station_a")
    station.present(own["code"], net_mass_kg=15.2)
    station.present(registry.cylinder(owner="station_b")["code"])
    station.present(own["code"], world.filler_b)  # another station's work is not listed
    html = _signed_in(api, world, "filler_a").get("/filling/today").get_data(as_text=True)
    assert html.count('data-testid="today-fill"') == 1
    assert html.count('data-testid="today-refusal"') == 1
    assert own["display_code"] in html and "15.2 kg" in html
    assert "非自有且非托管" in html and "超装" in html
    api_list = api.get("/api/v1/fillings/today", world.filler_a).json
    assert [e["kind"] for e in api_list] == ["refusal", "fill"]
    assert api_list[1]["overfill"] is True


def test_other_roles_do_not_get_the_page(api, world):
    driver = _signed_in(api, world, "driver")
    assert driver.get("/filling").status_code == 403
    assert driver.get("/filling/today").status_code == 403
    assert "href=\"/filling\"" not in driver.get("/").get_data(as_text=True)


def test_the_page_needs_a_login_and_its_script_does_not(api):
    resp = api.get("/filling")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    script = api.get("/filling/static/filling.js")
    try:
        assert script.status_code == 200 and b"X-CSRFToken" in script.get_data()
    finally:
        script.close()
    assert api.get("/filling/static/../views.py").status_code == 404
