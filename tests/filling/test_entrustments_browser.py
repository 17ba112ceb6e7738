"""The entrustments page in a real Chromium on a phone: an owner's admin entrusts its cylinders
to a station, is refused an overlapping period with its choices kept, and revokes."""
from __future__ import annotations

import uuid

import pytest

from app.auth import services as auth
from app.extensions import db
from tests.conftest import login

pytestmark = pytest.mark.browser


def test_an_admin_entrusts_is_refused_an_overlap_and_revokes(page, live_server):
    name = f"托管测试站{uuid.uuid4().hex[:6]}"  # a station of its own in the shared database
    with live_server.app.app_context():
        station_id = auth.create_org(name, "filling_station").id
        db.session.commit()
    login(page, "company_admin")
    page.goto("/entrustments")
    page.select_option("[data-testid=entrust-station]", label=name)
    assert page.input_value("[data-testid=entrust-from]") == "2026-06-15"  # today
    page.fill("[data-testid=entrust-to]", "2026-09-30")
    page.click("[data-testid=entrust-submit]")
    assert name in page.inner_text("[data-testid=flash-ok]")
    row = page.locator("li.queue-item", has_text=name)
    assert "生效中" in row.inner_text() and "2026-06-15 – 2026-09-30" in row.inner_text()
    row_id = row.get_attribute("data-testid").removeprefix("entrustment-")

    page.select_option("[data-testid=entrust-station]", label=name)
    page.fill("[data-testid=entrust-from]", "2026-09-01")
    page.fill("[data-testid=entrust-to]", "2026-10-31")
    page.click("[data-testid=entrust-submit]")
    error = page.inner_text("[data-testid=entrust-error]")
    assert "部分重叠（2026-06-15 至 2026-09-30）" in error
    assert page.input_value("[data-testid=entrust-station]") == str(station_id)
    assert page.input_value("[data-testid=entrust-from]") == "2026-09-01"
    assert page.input_value("[data-testid=entrust-to]") == "2026-10-31"
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"]  # no sideways scrolling on a phone

    page.click(f"[data-testid=revoke-open-{row_id}]")  # the confirmation opens
    page.click(f"[data-testid=revoke-{row_id}]")
    assert "撤销" in page.inner_text("[data-testid=flash-ok]")
    assert page.locator(f"[data-testid=revoke-{row_id}]").count() == 0
    assert "已撤销" in page.locator(f"[data-testid=entrustment-{row_id}]").inner_text()
