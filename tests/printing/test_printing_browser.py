"""The print shop's page in a real Chromium: preview the first sheet, download the PDF."""
from __future__ import annotations

import pytest

from app.auth.models import User
from app.extensions import db
from app.printing.services import assign_batch
from app.traceability.services import issue_codes
from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_printer_previews_and_downloads(page, live_server):
    with live_server.app.app_context():
        regulator = db.session.get(User, live_server.world.regulator.id)
        batch = issue_codes(regulator, live_server.world.orgs["company"], 24)
        assign_batch(regulator, batch.id, live_server.world.orgs["printer"])
        db.session.commit()
        batch_id = batch.id
    login(page, "printer")
    page.goto("/printing")
    assert "标签打印" in page.content()
    card = page.locator(f"article[data-batch='{batch_id}']")
    card.locator("select[name=template]").select_option("a4-2x7-99x38")
    card.locator(f"[data-testid=preview-{batch_id}]").click()
    preview = card.locator("img.preview")
    preview.wait_for(state="visible")
    page.wait_for_function("img => img.complete && img.naturalWidth > 100",
                           arg=preview.element_handle())
    screenshot(page, "printing")
    with page.expect_download() as info:
        card.locator(f"[data-testid=download-{batch_id}]").click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    page.goto("/printing")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 2  # the preview and the download are both on record
