"""The rule table in a real Chromium on a phone: a regulator bans a model with a reason, is
refused an out-of-range value with what was typed kept, confirms the ban, and finds it in the
model's history under their name."""
from __future__ import annotations

import uuid

import pytest

from app.extensions import db
from app.traceability.models import ModelSpecRow
from tests.conftest import login

pytestmark = pytest.mark.browser


def test_a_regulator_bans_a_model_and_sees_it_in_the_history(page, live_server):
    model = f"YSPT{uuid.uuid4().hex[:6].upper()}"  # a model of its own in the shared database
    with live_server.app.app_context():
        db.session.add(ModelSpecRow(model=model, nominal_volume_l=118, rated_fill_kg=49.5,
                                    inspection_interval_years=4, source="GB 5842"))
        db.session.commit()
    login(page, "regulator")
    page.goto("/rules")
    page.click(f"[data-testid=edit-{model}]")  # the form opens under the model
    page.check(f"[data-testid=rule-banned-{model}]")
    page.fill(f"[data-testid=rule-banned_reason-{model}]", "气液双相瓶召回")
    page.fill(f"[data-testid=rule-inspection_interval_years-{model}]", "30")
    page.fill(f"[data-testid=rule-reason-{model}]", "燃气安全整治方案 二(二)1")
    page.click(f"[data-testid=rule-check-{model}]")
    assert "1 到 20 之间的整数" in page.inner_text(
        f"[data-testid=error-inspection_interval_years-{model}]")
    assert page.input_value(f"[data-testid=rule-reason-{model}]") == "燃气安全整治方案 二(二)1"
    assert page.input_value(f"[data-testid=rule-banned_reason-{model}]") == "气液双相瓶召回"
    assert page.is_checked(f"[data-testid=rule-banned-{model}]")

    page.fill(f"[data-testid=rule-inspection_interval_years-{model}]", "4")
    page.click(f"[data-testid=rule-check-{model}]")
    assert "充装时拒绝" in page.inner_text("[data-testid=impact-ban]")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.click("[data-testid=rule-confirm]")
    assert model in page.inner_text("[data-testid=flash-ok]")
    assert page.locator(f"[data-testid=banned-{model}]").is_visible()
    history = page.locator(f"[data-testid=history-{model}]")
    history.locator("summary").click()
    entry = history.locator("li.step").first
    assert entry.is_visible()
    text = entry.inner_text()
    assert "regulator" in text and "燃气安全整治方案 二(二)1" in text
    assert "禁用: 否 → 是" in text and "原因：燃气安全整治方案" in text and "气液双相瓶召回" in text
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"]  # no sideways scrolling on a phone
