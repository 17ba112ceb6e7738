"""The inspection desk in a real Chromium at phone size: scan (type + Enter), pass, see it in
today's list, then a fail that asks for its confirmation before it scraps."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.conftest import login, screenshot
from tests.filling.test_filling_browser import make_cylinder

pytestmark = pytest.mark.browser


def scan(page, display: str) -> None:
    """What a hardware scanner does: the code's keystrokes into the focused field, then Enter."""
    field = page.locator("[data-testid=code-input]")
    expect(field).to_be_focused()
    page.keyboard.type(display)
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=desk-code]")).to_have_text(display)


def test_scan_pass_then_fail_with_its_confirmation(page, live_server):
    good = make_cylinder(live_server, "company", manufactured_on=dt.date(2020, 1, 1),
                         last_inspected_on=dt.date(2021, 5, 1))
    bad = make_cylinder(live_server, "company")
    login(page, "inspector")
    page.click("nav >> text=检验台")
    expect(page.locator("h1")).to_have_text("检验台")

    scan(page, good["display"])
    facts = page.locator("[data-testid=facts]").inner_text()
    assert "莲池燃气公司" in facts and "超期未检" in facts
    box = page.locator("[data-testid=inspect-pass]").bounding_box()
    assert box["height"] >= 60 and box["width"] >= 140  # a large target at the bench
    assert box["y"] + box["height"] <= 860  # on the phone's first screen, no scrolling
    screenshot(page, "inspection-desk")
    page.click("[data-testid=inspect-pass]")
    expect(page.locator("[data-testid=flash-ok]")).to_contain_text("定期检验合格")
    today = page.locator("[data-testid=today]")
    expect(today).to_contain_text(good["display"])
    expect(page.locator("[data-testid=facts]")).to_have_count(0)  # ready for the next code

    scan(page, bad["display"])
    page.fill("[data-testid=inspect-note]", "瓶体严重腐蚀")
    page.click("[data-testid=inspect-fail]")
    confirm = page.locator("[data-testid=confirm]")
    expect(confirm).to_contain_text("永久报废")
    expect(today.locator("[data-testid=today-item][data-result=fail]")).to_have_count(0)
    page.click("[data-testid=confirm-fail]")
    expect(page.locator("[data-testid=flash-warn]")).to_contain_text("已报废")
    failed = today.locator("[data-testid=today-item][data-result=fail]")
    expect(failed).to_contain_text(bad["display"])
    expect(failed).to_contain_text("不合格，已报废")
    expect(today.locator("[data-testid=today-item][data-result=pass]")).to_contain_text(
        good["display"])
    expect(page.locator("[data-testid=code-input]")).to_be_focused()
