"""Sign in and out in a real Chromium; Chinese by default, English on request."""
from __future__ import annotations

import pytest

from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_login_page_is_chinese_and_rejects_wrong_password(page):
    page.goto("/login")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=name]", "filler_a")
    page.fill("input[name=password]", "wrong-password")
    page.click("[data-testid=login-submit]")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
    screenshot(page, "login")


def test_login_shows_role_navigation_and_language_switch(page):
    login(page, "regulator")
    assert "欢迎" in page.locator("h1").inner_text()
    assert "监管人员" in page.content()
    page.click("[data-testid=lang-switch]")
    assert "Welcome" in page.locator("h1").inner_text()
    page.click("text=Sign out")
    page.wait_for_url("**/login")


def test_pages_require_login(page):
    page.goto("/")
    assert "/login" in page.url


def test_pages_load_without_a_failed_request(page):
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append((r.status, r.url)))
    page.on("console", lambda m: m.type == "error" and failed.append(m.text))
    page.goto("/login")
    login(page, "regulator")
    page.goto("/oversight/search")
    page.wait_for_load_state("networkidle")
    assert failed == []  # e.g. no /favicon.ico 404 on every first visit
