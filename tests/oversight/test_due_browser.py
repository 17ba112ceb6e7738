"""The expiry alerts page at phone width in a real Chromium: tap a tile, see the list filtered."""
from __future__ import annotations

import datetime as dt

import pytest

from app.traceability.rules import add_years
from tests.conftest import TODAY, login, screenshot
from tests.oversight.test_browser import _cylinder

pytestmark = pytest.mark.browser


def _due_in(live, days: int, ends_in: int = 1400) -> str:
    inspected = add_years(TODAY + dt.timedelta(days=days), -4)
    made = add_years(TODAY + dt.timedelta(days=ends_in), -8)
    return _cylinder(live, manufactured_on=made.isoformat(),
                     last_inspected_on=inspected.isoformat())["code"]


def test_tap_a_tile_and_the_list_shows_that_kind(page, live_server):
    soon = _due_in(live_server, 12)
    overdue = _due_in(live_server, -30)
    ending = _due_in(live_server, 500, ends_in=20)
    login(page, "company_admin")
    page.click("text=到期提醒")  # from the navigation
    page.wait_for_url("**/oversight/due")
    assert page.locator("h1").inner_text() == "到期提醒"
    tile = page.locator("[data-testid=tiles] a[data-kind=inspection_due]")
    count = int(tile.locator(".n").inner_text())
    assert count >= 1
    rows = page.locator("[data-testid=due-list] tbody tr")
    kinds = {rows.nth(i).get_attribute("data-kind") for i in range(rows.count())}
    assert {"inspection_due", "inspection_overdue", "life_ending"} <= kinds
    overdue_row = page.locator("tr", has=page.locator(f"a[href$='/{overdue}']"))
    colour = overdue_row.locator("[data-testid=days-left]").evaluate(
        "el => getComputedStyle(el).color")
    assert colour == "rgb(198, 40, 40)" and overdue_row.locator(
        "[data-testid=days-left]").inner_text() == "-30"
    assert page.locator("[data-testid=bars-chart]").is_visible()
    screenshot(page, "due-alerts")
    tile.click()
    page.wait_for_url("**kind=inspection_due**")
    assert page.locator("[data-testid=tiles] a[aria-current]").get_attribute(
        "data-kind") == "inspection_due"
    rows = page.locator("[data-testid=due-list] tbody tr")
    assert rows.count() == count
    assert {rows.nth(i).get_attribute("data-kind") for i in range(count)} == {"inspection_due"}
    assert page.locator(f"a[href$='/{soon}']").is_visible()
    assert page.locator(f"a[href$='/{ending}']").count() == 0
    # the page fits the phone: nothing wider than the screen but the scrolling table
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    page.locator(f"a[href$='/{soon}']").click()
    page.wait_for_url(f"**/oversight/cylinders/{soon}")
