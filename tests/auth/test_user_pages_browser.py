"""The Users page in a real Chromium on a phone: add a user with a generated password, who
signs in with it, then deactivate them and see their open session and sign-in refused."""
from __future__ import annotations

import itertools

import pytest

from tests.conftest import login

pytestmark = pytest.mark.browser
_NAMES = itertools.count(1)


def test_create_then_deactivate_on_a_phone(page, chromium, live_server):
    name = f"phone_filler{next(_NAMES)}"
    login(page, "station_a_admin")
    page.click("nav >> text=账号管理")
    page.wait_for_url("**/users")
    page.fill("input[name=name]", name)
    page.fill("input[name=display_name]", "赵师傅")
    page.select_option("select[name=role]", "filler")
    page.check("input[name=generate]")
    page.click("[data-testid=create]")
    password = page.inner_text("[data-testid=new-password]")
    assert len(password) == 12
    assert page.locator(f"[data-testid=user-{name}]").count() == 1
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"]  # no sideways scrolling on a phone

    other = chromium.new_context(viewport={"width": 412, "height": 860}, locale="zh-CN",
                                 base_url=live_server.url)
    try:
        theirs = other.new_page()
        theirs.goto("/login")
        theirs.fill("input[name=name]", name)
        theirs.fill("input[name=password]", password)
        theirs.click("[data-testid=login-submit]")
        theirs.wait_for_url(lambda url: "/login" not in url)

        page.click(f"[data-testid=user-{name}]")
        page.check("[data-testid=confirm]")
        page.click("[data-testid=deactivate]")
        assert "已停用" in page.inner_text("[data-testid=flash-ok]")
        assert page.locator("[data-testid=status-inactive]").count() == 1
        assert page.locator("[data-testid=reactivate]").count() == 1

        theirs.goto("/")
        assert "/login" in theirs.url  # the open session ended at once
        theirs.fill("input[name=name]", name)
        theirs.fill("input[name=password]", password)
        theirs.click("[data-testid=login-submit]")
        assert "用户名或密码错误" in theirs.locator("[role=alert]").inner_text()
    finally:
        other.close()


def test_revoking_a_token_asks_first(page, live_server):
    """One click on 吊销 revoked a device's token for good: a station's scale was cut off."""
    login(page, "company_admin")
    page.goto(f"/users/{live_server.world.driver.id}")
    token = page.get_attribute("[data-token]", "data-token")
    assert not page.is_visible(f"[data-testid=revoke-{token}]")
    page.click(f"[data-testid=revoke-open-{token}]")
    assert "吊销后不能恢复" in page.inner_text(f"[data-token='{token}']")
    page.click(f"[data-testid=revoke-{token}]")
    assert "令牌已吊销" in page.inner_text("[data-testid=flash-ok]")
