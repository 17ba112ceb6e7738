"""The code batches page in a real Chromium on a phone: a company's admin orders codes and gives
the batch to a print shop, which then finds it on its label printing page."""
from __future__ import annotations

import re

import pytest

from tests.conftest import login

pytestmark = pytest.mark.browser


def test_an_admin_orders_a_batch_and_gives_it_to_a_print_shop(page, live_server):
    login(page, "company_admin")
    page.goto("/printing/batches")
    page.fill("[data-testid=order-count]", "24")
    page.click("[data-testid=order-submit]")
    flash = page.locator("[data-testid=flash-ok]").inner_text()
    batch_id = re.search(r"批次 (\d+) 已生成", flash)[1]
    assert "24 个二维码" in flash
    assert page.inner_text(f"[data-testid=status-{batch_id}]") == "已发放"
    page.select_option(f"[data-testid=assign-printer-{batch_id}]", label="印务公司")
    page.click(f"[data-testid=assign-submit-{batch_id}]")
    page.wait_for_selector("[data-testid=flash-ok]")
    assert page.inner_text(f"[data-testid=status-{batch_id}]") == "已分配"
    assert page.inner_text(f"[data-testid=printer-{batch_id}]") == "印务公司"
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"]  # no sideways scrolling on a phone
    page.context.clear_cookies()
    login(page, "printer")
    page.goto("/printing")
    assert page.locator(f"article[data-batch='{batch_id}']").count() == 1
