"""The chain digests page in a real Chromium: take a digest, copy it as a regulator would, prove
it against the records, and see a back-dated record caught."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.oversight.digests import parse_cutoff
from app.traceability.models import Event
from tests.conftest import login
from tests.oversight.test_browser import _cylinder

pytestmark = pytest.mark.browser


def _prove(page, cutoff: str, digest: str) -> str:
    page.fill("input[name=cutoff]", cutoff)
    page.fill("input[name=digest]", digest)
    with page.expect_navigation():
        page.click("[data-testid=proof-form] button")
    return page.locator("[data-testid=proof]").get_attribute("data-matches")


def test_take_copy_and_prove_a_digest(page, live_server):
    _cylinder(live_server)  # at least one cylinder with a history on the server
    login(page, "regulator")
    page.click("text=链头摘要")  # from the navigation
    page.wait_for_url("**/oversight/chain/")
    page.click("[data-testid=take-digest]")
    page.wait_for_url("**taken=**")
    assert "已生成摘要" in page.locator("[data-testid=flash-ok]").inner_text()
    row = page.locator("tr[data-testid=taken]")
    cutoff = row.locator("td").first.inner_text()
    digest = row.locator("[data-testid=digest]").inner_text()  # two lines, as printed
    assert _prove(page, cutoff, digest) == "yes"
    assert "一致" in page.locator("[data-testid=proof] h1").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 412

    moment = parse_cutoff(cutoff)
    with live_server.app.app_context():
        event = db.session.scalar(select(Event).order_by(Event.received_at.desc()).limit(1))
        event_id, received = event.id, event.received_at
        db.session.execute(update(Event).where(Event.id == event_id).values(
            received_at=moment - dt.timedelta(hours=1)))  # slipped in as if received before
        db.session.commit()
    try:
        assert _prove(page, cutoff, digest[:19]) == "no"
        assert "不一致" in page.locator("[data-testid=proof] h1").inner_text()
    finally:
        with live_server.app.app_context():
            db.session.execute(update(Event).where(Event.id == event_id).values(
                received_at=received))
            db.session.commit()
