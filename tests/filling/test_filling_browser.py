"""The filling page in a real Chromium: typed code, refusal, photo upload, keyboard wedge."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.filling.models import Fill
from app.traceability import services as registry
from tests.conftest import BROWSER_PASSWORD, login, screenshot
from tests.filling.photos import qr_photo

pytestmark = pytest.mark.browser
_serial = itertools.count(1)


def make_cylinder(live_server, owner: str, **fields) -> dict:
    """Issue a code and register a cylinder in the live server's database."""
    with live_server.app.app_context():
        regulator = db.session.get(User, live_server.world.users["regulator"].id)
        owner_id = live_server.world.orgs[owner]
        batch = registry.issue_codes(regulator, owner_id, 1)
        code = registry.batch_codes(batch)[0]
        number = next(_serial)
        reg = registry.Registration(
            code=code, serial_no=f"BR{number:05d}", manufacturer="百工容器", model="YSP35.5",
            manufactured_on=fields.get("manufactured_on", dt.date(2022, 3, 1)),
            owner_org_id=owner_id,
            last_inspected_on=fields.get("last_inspected_on", dt.date(2024, 5, 1)))
        registry.register_cylinder(regulator, reg)
        db.session.commit()
        return registry.code_entry(code)


def verdict(page, state: str) -> str:
    page.wait_for_selector(f"[data-testid=verdict][data-state={state}]:not([hidden])")
    return page.locator("[data-testid=verdict]").inner_text()


def test_typed_code_is_allowed_full_screen(page, live_server):
    cyl = make_cylinder(live_server, "station_a")
    login(page, "filler_a")
    page.goto("/filling")
    page.fill("[data-testid=code-input]", cyl["display"])
    page.click("[data-testid=code-submit]")
    text = verdict(page, "allow")
    assert "允许充装" in text and cyl["display"] in text
    box = page.locator("[data-testid=verdict]").bounding_box()
    assert box["width"] >= 400 and box["height"] >= 800  # the whole phone screen
    screenshot(page, "filling-allow")
    page.click("[data-testid=verdict]")
    page.wait_for_selector("[data-testid=verdict]", state="hidden")
    assert cyl["display"] in page.locator("[data-testid=today]").inner_text()
    screenshot(page, "filling")


def test_refusal_lists_every_reason_in_large_chinese(page, live_server):
    cyl = make_cylinder(live_server, "station_b", manufactured_on=dt.date(2020, 1, 1),
                        last_inspected_on=dt.date(2021, 1, 1))
    login(page, "filler_a")
    page.goto("/filling")
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    text = verdict(page, "refuse")
    assert "拒绝充装" in text
    reasons = page.locator("[data-testid=verdict-reasons] li")
    assert reasons.count() == 2
    assert reasons.nth(0).get_attribute("data-code") == "not_owned"
    assert "非自有且非托管" in reasons.nth(0).inner_text()
    assert "超期未检" in reasons.nth(1).inner_text()
    size = reasons.nth(0).evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 26
    screenshot(page, "filling-refuse")
    page.click("[data-testid=verdict]")
    today = page.locator("[data-testid=today]").inner_text()
    assert "非自有且非托管" in today


def test_photo_from_the_file_chooser_is_checked(page, live_server):
    cyl = make_cylinder(live_server, "station_a")
    login(page, "filler_a")
    page.goto("/filling")
    with page.expect_file_chooser() as chooser:
        page.click("[data-testid=photo-button]")
    chooser.value.set_files({"name": "scale.jpg", "mimeType": "image/jpeg",
                             "buffer": qr_photo([cyl["payload"]])})
    text = verdict(page, "allow")
    assert cyl["display"] in text


def test_keyboard_wedge_types_the_payload_and_enter(page, live_server):
    first = make_cylinder(live_server, "station_a")
    foreign = "MECARD:N:Sean Owen;TEL:+12125658770;;"
    login(page, "filler_a")
    page.goto("/filling")
    page.keyboard.type(first["payload"], delay=2)  # the field has focus from the start
    page.keyboard.press("Enter")
    assert first["display"] in verdict(page, "allow")
    page.keyboard.type(foreign, delay=2)  # the next scan clears the verdict by itself
    page.keyboard.press("Enter")
    text = verdict(page, "refuse")
    assert "非本系统气瓶码" in text
    assert page.locator("[data-testid=code-input]").input_value() == ""


def test_the_mass_and_precheck_are_not_carried_to_the_next_cylinder(page, live_server):
    first = make_cylinder(live_server, "station_a")
    second = make_cylinder(live_server, "station_a")
    login(page, "filler_a")
    page.goto("/filling")
    page.click("details.more summary")
    page.fill("[data-testid=mass-input]", "16.0")  # over the rated 14.9 kg: a hold
    page.uncheck("[data-testid=precheck-no_damage]")
    page.fill("[data-testid=code-input]", first["code"])
    page.keyboard.press("Enter")
    text = verdict(page, "refuse")
    assert "拒绝充装" in text  # the failed check refuses the first cylinder
    assert page.locator("[data-testid=mass-input]").input_value() == ""
    assert page.is_checked("[data-testid=precheck-no_damage]")
    page.click("[data-testid=verdict]")
    page.fill("[data-testid=code-input]", second["code"])
    page.keyboard.press("Enter")
    assert second["display"] in verdict(page, "allow")  # no mass sent: no overfill hold
    with live_server.app.app_context():
        fill = db.session.scalar(select(Fill).where(Fill.code == second["code"]))
        assert fill.net_mass_kg is None and fill.overfill is False
        assert fill.precheck["no_damage"] is True


def test_an_overfill_is_reweighed_from_the_page_and_filled_again(page, live_server):
    cyl = make_cylinder(live_server, "station_a")  # YSP35.5: rated 14.9 kg
    login(page, "filler_a")
    page.goto("/filling")
    page.click("details.more summary")
    page.fill("[data-testid=mass-input]", "15.6")
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    text = verdict(page, "warn")
    assert "超装！扣留复称" in text and "点击去复称" in text
    item = page.locator("[data-testid=held-item]", has_text=cyl["display"])
    item.wait_for()  # the list refreshed behind the verdict
    page.click("[data-testid=verdict]")  # one tap: to this cylinder's re-weigh
    mass = item.locator("[data-testid=reweigh-input]")
    expect(mass).to_be_focused()
    expect(mass).to_be_in_viewport(ratio=1)
    assert mass.bounding_box()["height"] >= 60
    assert "充装 15.6 千克，额定 14.9 千克" in item.inner_text()
    mass.fill("0")
    item.locator("[data-testid=reweigh-submit]").click()
    error = page.locator("[data-testid=reweigh-error]")
    expect(error).to_be_in_viewport(ratio=1)  # not below the fold: the page goes to it
    assert "大于 0" in error.inner_text()
    assert item.locator("[data-testid=reweigh-error]").count() == 1  # beside its cylinder
    item.locator("[data-testid=reweigh-input]").fill("14.6")
    item.locator("[data-testid=reweigh-submit]").click()
    done = page.locator("[data-testid=flash-ok]")
    expect(done).to_be_in_viewport(ratio=1)
    assert "已解除扣留" in done.inner_text()
    assert page.locator("[data-testid=held-item]", has_text=cyl["display"]).count() == 0
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    assert cyl["display"] in verdict(page, "allow")  # the hold is gone: it may be filled


def test_a_scan_whose_answer_was_lost_is_filled_once_when_scanned_again(page, live_server):
    """The request reached the server but the answer was cut off: the page says there is no
    connection; the operator scans the same cylinder again and it is recorded once."""
    cyl = make_cylinder(live_server, "station_a")
    login(page, "filler_a")
    page.goto("/filling")

    def answer_lost(route):
        route.fetch()  # the server stores the fill ...
        route.abort()  # ... and the phone never hears of it

    page.route("**/api/v1/fillings", answer_lost)
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    assert "网络不通，请重试" in verdict(page, "refuse")
    page.unroute("**/api/v1/fillings")
    page.click("[data-testid=verdict]")
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    assert cyl["display"] in verdict(page, "allow")
    with live_server.app.app_context():
        fills = db.session.scalars(select(Fill).where(Fill.code == cyl["code"])).all()
        assert len(fills) == 1


def test_an_error_is_told_in_chinese_and_a_signed_out_operator_is_led_to_sign_in(page,
                                                                               live_server):
    cyl = make_cylinder(live_server, "station_a")
    login(page, "filler_a")
    page.goto("/filling")
    page.click("details.more summary")
    page.fill("[data-testid=mass-input]", "600")  # a scale reading no cylinder has
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    verdict(page, "refuse")
    reason = page.locator("[data-testid=verdict-reasons] li").first
    assert reason.evaluate("li => li.firstChild.textContent") == (
        "请填写电子秤净重（千克）：大于 0、不超过 500 的数字。")
    page.click("[data-testid=verdict]")
    page.context.clear_cookies()  # the session ended during the shift
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    verdict(page, "refuse")
    assert reason.evaluate("li => li.firstChild.textContent") == (
        "您已退出登录：点击重新登录，然后再扫码。")
    page.wait_for_timeout(300)  # the lists' refresh after the answer
    assert page.locator("[data-testid=today] input[name=password]").count() == 0
    page.click("[data-testid=verdict]")
    page.wait_for_url(re.compile(r"/login\?next=/filling$"))
    page.fill("input[name=name]", "filler_a")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/filling")
    page.fill("[data-testid=code-input]", cyl["code"])
    page.keyboard.press("Enter")
    assert cyl["display"] in verdict(page, "allow")
