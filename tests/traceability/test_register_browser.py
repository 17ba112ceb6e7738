"""Registering cylinders in a real Chromium at phone width: a scanner's code and Enter, a
refusal shown by its field with the form kept, then the cylinder's page; and a file checked,
then imported with its bad row skipped."""
from __future__ import annotations

from typing import Any

import pytest

from app.traceability.codes import format_code
from tests.conftest import login
from tests.oversight.test_browser import _api
from tests.traceability.test_import import HEADER_ZH, as_csv, rows_for

pytestmark = pytest.mark.browser


def _codes(live: Any, count: int) -> list[dict]:
    return _api(live, "POST", "/api/v1/code-batches", "regulator",
                json={"count": count, "owner_org_id": live.world.orgs["company"]})["codes"]


def _fits_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_register_a_scanned_cylinder_and_open_its_page(page, live_server):
    code = _codes(live_server, 1)[0]
    login(page, "company_admin")
    page.click("nav.nav >> text=气瓶建档")
    page.wait_for_url("**/cylinders/new")
    page.click("#f-code")
    page.keyboard.type(code["payload"])  # a hardware scanner types the payload, then Enter
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-serial_no"  # not submitted
    serial = f"BR{code['code'][:10]}"
    page.keyboard.type(serial)
    page.fill("#f-manufacturer", "河北百工高压容器有限公司")
    page.select_option("#f-model", "YSP35.5")
    page.fill("#f-manufactured_on", "2027-01")  # a slip: next year
    page.fill("#f-last_inspected_on", "2025-03-01")
    _fits_the_phone(page)
    page.click("[data-testid=register-submit]")
    error = page.locator("[data-testid=error-manufactured_on]")
    assert error.inner_text() == "该日期晚于今天。"
    assert page.input_value("#f-serial_no") == serial
    assert page.input_value("#f-code") == code["payload"]
    assert page.input_value("#f-model") == "YSP35.5"
    assert page.input_value("#f-last_inspected_on") == "2025-03-01"
    page.fill("#f-manufactured_on", "2024-05")
    page.click("[data-testid=register-submit]")
    flash = page.locator("[data-testid=flash-ok]")
    assert f"气瓶 {format_code(code['code'])} 已建档" in flash.inner_text()
    assert page.input_value("#f-code") == ""  # ready for the next cylinder
    page.click("[data-testid=registered-link]")
    page.wait_for_url(f"**/oversight/cylinders/{code['code']}")
    assert serial in page.inner_text("main")


def test_check_a_file_then_import_it_skipping_the_bad_row(page, live_server):
    codes = [c["code"] for c in _codes(live_server, 2)]
    rows = rows_for(codes, "莲池燃气公司", start=700)
    rows = [[f"{r[0]}", f"BRIMP{r[0][:8]}", *r[2:]] for r in rows]
    rows[1][3] = "YSP99"  # line 3: no such model
    data = as_csv(HEADER_ZH, rows)
    login(page, "company_admin")
    page.goto("/cylinders/new")
    page.click("[data-testid=tab-import]")
    page.wait_for_url("**/cylinders/import")
    page.set_input_files("[data-testid=import-file]", files=[
        {"name": "台账.csv", "mimeType": "text/csv", "buffer": data}])
    page.click("[data-testid=import-check]")
    summary = page.locator("[data-testid=import-summary]")
    assert summary.inner_text() == "2 行中有 1 行有问题；未写入任何数据。"
    cells = page.locator("[data-testid=import-errors] tbody tr td")
    assert cells.all_inner_texts() == ["3", "型号", "D3", "不是规则表中的型号。"]
    _fits_the_phone(page)
    page.set_input_files("[data-testid=import-file]", files=[
        {"name": "台账.csv", "mimeType": "text/csv", "buffer": data}])
    page.check("[data-testid=skip-invalid]")
    page.click("[data-testid=import-submit]")
    assert summary.inner_text() == "已导入 1 只气瓶；跳过 1 行，见下表。"
    found = _api(live_server, "GET", f"/api/v1/cylinders/{codes[0]}", "company_admin")
    assert found["serial_no"] == f"BRIMP{codes[0][:8]}"


def test_a_second_press_while_the_file_is_imported_sends_nothing(page, live_server):
    """Pressing 导入 again while a file was imported sent it twice: the first imported it,
    the second answered that every code was bound and nothing was imported."""
    codes = [c["code"] for c in _codes(live_server, 2)]
    rows = [[c, f"BRTWICE{c[:8]}", *r[2:]]
            for c, r in zip(codes, rows_for(codes, "莲池燃气公司", start=800), strict=True)]
    login(page, "company_admin")
    page.goto("/cylinders/import")
    page.set_input_files("[data-testid=import-file]", files=[
        {"name": "台账.csv", "mimeType": "text/csv", "buffer": as_csv(HEADER_ZH, rows)}])
    assert not page.is_visible("[data-testid=import-busy]")
    with page.expect_navigation():  # the first press, then a second one in the same moment
        second = page.evaluate("""() => {
            const form = document.querySelector("[data-testid=import-form]");
            form.requestSubmit(document.querySelector("[data-testid=import-submit]"));
            const again = new SubmitEvent("submit", {cancelable: true});
            form.dispatchEvent(again);
            const busy = document.querySelector("[data-testid=import-busy]");
            return {refused: again.defaultPrevented, said: busy.hidden ? "" : busy.innerText};
        }""")
    assert second["refused"] and "请稍候，不要重复点击" in second["said"]
    assert "已导入 2 只气瓶" in page.inner_text("[data-testid=flash-ok]")
