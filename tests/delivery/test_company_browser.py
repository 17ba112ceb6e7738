"""The company's edit pages in a real Chromium: correct a vehicle, refuse to retire one in use,
delete one never used, and take a customer out of service and back."""
from __future__ import annotations

import pytest

from tests.conftest import login, screenshot
from tests.delivery.test_browser import _SERIAL, prepare

pytestmark = pytest.mark.browser


def test_edit_and_retire_on_the_company_pages(page, live_server):
    fleet, _driver = prepare(live_server)
    admin = live_server.world.company_admin
    vehicle = fleet.ids["vehicle"]
    n = next(_SERIAL)
    unused = fleet.post("/api/v1/vehicles", admin, {
        "plate": f"冀F9{n:04d}", "permit_no": "P", "permit_expires_on": "2027-01-01"},
        201).json["id"]
    login(page, "company_admin")
    page.goto("/company/vehicles")
    page.click(f"[data-testid=edit-vehicle-{vehicle}]")
    page.fill("input[name=permit_expires_on]", "2029-06-30")
    page.click("[data-testid=edit-save]")
    page.wait_for_selector("[data-testid=flash-ok]")
    assert page.input_value("input[name=permit_expires_on]") == "2029-06-30"
    assert not page.is_visible("[data-testid=retire]")  # one click deleted: now it asks first
    page.click("[data-testid=retire-open]")
    page.click("[data-testid=retire]")  # assigned until next May: refused, with the reason
    assert "仍有人车分配" in page.inner_text("[data-testid=flash-bad]")
    page.goto(f"/company/vehicles/{unused}")
    page.click("[data-testid=retire-open]")
    page.click("[data-testid=retire]")
    page.wait_for_url("**/company/vehicles")
    assert page.locator(f"[data-testid=edit-vehicle-{unused}]").count() == 0
    assert page.locator(f"[data-testid=edit-vehicle-{vehicle}]").count() == 1

    home = fleet.customers["home"]
    page.goto("/company/customers")
    page.click(f"[data-testid=edit-customer-{home}]")
    page.fill("input[name=phone]", "13912345678")
    page.click("[data-testid=edit-save]")
    page.wait_for_selector("[data-testid=flash-ok]")
    fleet.api.call("PATCH", f"/api/v1/customers/{home}", admin, json={"active": False})
    page.reload()
    page.wait_for_selector("[data-testid=inactive]")
    screenshot(page, "company-edit")
    page.click("[data-testid=reactivate]")
    page.wait_for_selector("[data-testid=retire-open]")
    with live_server.app.app_context():
        shown = fleet.api.get(f"/api/v1/customers/{home}", admin).json
    assert (shown["phone"], shown["active"]) == ("13912345678", True)


def test_company_pages_fit_a_phone_screen(page, live_server):
    prepare(live_server)  # a vehicle, an area, customers and today's assignment
    login(page, "company_admin")
    for path in ("/company/vehicles", "/company/areas", "/company/assignments",
                 "/company/customers", "/company/hazards"):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= page.viewport_size["width"], (path, wide)  # no sideways scrolling


def test_a_refused_area_comes_back_drawn_on_the_map(page, live_server):
    """An overlapping outline was refused and the form emptied: the clerk lost every corner
    and could not see where the refused area lay against the others."""
    fleet, _driver = prepare(live_server)
    with live_server.app.app_context():
        areas = fleet.api.get("/api/v1/areas", live_server.world.company_admin).json
    taken = next(a for a in areas if a["id"] == fleet.ids["area"])
    west = min(lon for lon, _lat in taken["polygon"]) + 0.01  # inside the fixture's area
    outline = f"{west}, 38.81\n{west + 0.02}, 38.81\n{west + 0.02}, 38.83"
    login(page, "company_admin")
    page.goto("/company/areas")
    page.fill("input[name=name]", f"重叠区{next(_SERIAL)}")
    page.fill("textarea[name=outline]", outline)
    page.click("form:has(textarea[name=outline]) button[type=submit]")
    assert "配送区域之间不能重叠" in page.inner_text("[data-testid=flash-bad]")
    assert page.input_value("textarea[name=outline]") == outline
    assert len(page.get_attribute("#draft", "points").split()) == 3
