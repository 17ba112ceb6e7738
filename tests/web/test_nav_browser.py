"""The menu on a phone, in a real Chromium: one line that scrolls sideways, the open page's
entry in view, and the page itself never wider than the screen."""
from __future__ import annotations

import pytest

from tests.conftest import login

pytestmark = pytest.mark.browser


def test_a_long_menu_is_one_scrolling_line_with_the_open_page_in_view(page):
    login(page, "company_admin")
    page.goto("/users")  # the last entry of a company admin's menu
    nav = page.locator("nav.nav")
    links = nav.locator("a")
    assert links.count() > 10
    heights = {round(box["y"]) for box in (links.nth(i).bounding_box()
                                           for i in range(links.count()))}
    assert len(heights) == 1  # one line, not wrapped
    assert nav.evaluate("n => n.scrollWidth > n.clientWidth")  # it scrolls sideways
    here = nav.locator("[aria-current=page]").bounding_box()
    assert here is not None and here["x"] >= 0 and here["x"] + here["width"] <= 412
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
