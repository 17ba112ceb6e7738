"""The company's edit pages: the same rules as the API, another company's records not found."""
from __future__ import annotations

from app.auth import services as auth
from app.extensions import db
from tests.delivery.conftest import AREA, OUTSIDE
from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture


def test_edit_pages_open_for_the_owner_only(fleet, as_user, clean_app):  # noqa: F811
    home = fleet.customer("home")
    admin = as_user("company_admin")
    pages = {f"/company/vehicles/{fleet.ids['vehicle']}": "冀F10001",
             f"/company/areas/{fleet.ids['area']}": "115.46, 38.85",
             f"/company/customers/{home}": "用户home"}
    for path, shown in pages.items():
        resp = admin.get(path)
        assert resp.status_code == 200 and shown in resp.text, path
    org = auth.create_org("南城燃气公司", "gas_company")
    rival = auth.create_user(None, "rival_admin", org.id, "admin")
    db.session.commit()
    for path in pages:
        assert SignedIn(clean_app, rival.id).get(path).status_code == 404, path
        assert as_user("driver").get(path).status_code == 403, path
        assert as_user("regulator").get(path).status_code == 403, path


def test_edit_retire_and_reactivate_through_the_pages(fleet, as_user, api, world):  # noqa: F811
    admin = as_user("company_admin")
    shop = fleet.customer("shop", "restaurant")
    page = f"/company/customers/{shop}"
    form = {**api.get(f"/api/v1/customers/{shop}", world.company_admin).json, "form": "edit"}
    form = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else v
            for k, v in form.items() if k not in ("id", "org_id", "area_id", "active")}
    resp = admin.post(page, data={**form, "premises": "underground", **OUTSIDE})
    assert "flash-ok" in resp.text and 'value="underground" selected>地下' in resp.text
    customer = api.get(f"/api/v1/customers/{shop}", world.company_admin).json
    assert (customer["premises"], customer["area_id"]) == ("underground", None)
    resp = admin.send(page, data={**form, "id_number": "123"})
    assert resp.status_code == 400 and "flash-bad" in resp.text
    resp = admin.post(f"/company/areas/{fleet.ids['area']}", data={"form": "retire"})
    assert "flash-bad" in resp.text and "仍有人车分配" in resp.text
    resp = admin.post(f"/company/areas/{fleet.ids['area']}", data={
        "form": "edit", "name": "东关一区", "outline": "\n".join(f"{a}, {b}" for a, b in AREA)})
    assert "东关一区" in resp.text
    resp = admin.post(f"/company/vehicles/{fleet.ids['spare']}", data={"form": "retire"})
    assert "冀F10002" not in resp.text  # never used: deleted, back on the list
    assert resp.request.path == "/company/vehicles"
    api.call("PATCH", f"/api/v1/customers/{shop}", world.company_admin, json={"active": False})
    assert 'data-testid="inactive"' in admin.get(page).text
    resp = admin.post(page, data={"form": "reactivate"})
    assert 'data-testid="inactive"' not in resp.text and 'data-testid="retire"' in resp.text
    assert admin.post(page, data={"form": "retire"}).status_code == 200
    assert api.get(f"/api/v1/customers/{shop}", world.company_admin).status_code == 404


def test_a_refusal_of_many_fields_fits_in_the_session_cookie(fleet, as_user, api,  # noqa: F811
                                                             world):
    """The refusal listed every field: 1,500 unknown ones, or an outline of 300 'nan' points,
    made a flash of 5 to 40 KB in the session cookie, which browsers drop over 4 KB."""
    admin = as_user("company_admin")
    many = {f"f{n}": "x" for n in range(1500)}
    with admin.app.app_context():
        resp = admin.client.post("/company/vehicles", data={
            "plate": "冀F77777", "permit_no": "P", "permit_expires_on": "2027-01-01", **many})
    assert resp.status_code == 400
    assert len(resp.headers.get("Set-Cookie", "")) < 4093
    shown = resp.text.split('data-testid="flash-bad">')[1].split("</p>")[0]
    assert shown.startswith("请更正：f") and shown.count("本表单没有此项") == 5
    assert shown.endswith("另有 1495 项")
    assert len(api.get("/api/v1/vehicles", world.company_admin).json) == 2  # nothing written
    outline = "\n".join(["nan nan"] * 300)
    resp = admin.send(f"/company/areas/{fleet.ids['area']}", data={
        "form": "edit", "name": "东关片区", "outline": outline})
    shown = resp.text.split('data-testid="flash-bad">')[1].split("</p>")[0]
    assert shown.startswith("请更正：边界") and len(shown) < 300  # the field's label
