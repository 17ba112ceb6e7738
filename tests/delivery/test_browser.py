"""The driver's page and a company page in a real Chromium: an online round, an offline round
whose sync is cut off half-way and retried, the area map and the ledger."""
from __future__ import annotations

import base64
import io
import itertools
import random
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.auth import services as auth
from app.extensions import db
from app.traceability.models import Event
from tests.conftest import BROWSER_PASSWORD, Actor, Api, Registry, login, screenshot
from tests.delivery.conftest import Fleet, licence_code, resident_id
from tests.delivery.conftest import checklist as checklist_states

pytestmark = pytest.mark.browser
_SERIAL = itertools.count(1)


def photo_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()


def prepare(live_server) -> tuple[Fleet, Actor]:
    """A fresh driver with a vehicle and an area of their own, customers and filled cylinders."""
    n = next(_SERIAL)
    world = live_server.world
    api = Api(live_server.app.test_client())
    with live_server.app.app_context():
        user = auth.create_user(None, f"web_driver{n}_{uuid.uuid4().hex[:4]}",
                                world.orgs["company"], "driver", password=BROWSER_PASSWORD)
        driver = Actor(user.name, user.id, user.org_id, "driver", auth.issue_token(user))
        db.session.commit()
    fleet = Fleet(api, world, Registry(world, api))
    fleet.registry._serial = n * 1000 + 500  # serial numbers stay unique in the shared database
    admin = world.company_admin
    west = 115.0 + n * 0.1  # each test draws its own area
    area = [[west, 38.80], [west + 0.06, 38.80], [west + 0.06, 38.90], [west, 38.90]]
    inside = {"lon": west + 0.03, "lat": 38.86}
    fleet.ids["vehicle"] = fleet.post("/api/v1/vehicles", admin, {
        "plate": f"冀F3{n:03d}{n % 10}", "permit_no": f"P{n}", "permit_expires_on": "2028-01-01"},
        201).json["id"]
    fleet.ids["area"] = fleet.post("/api/v1/areas", admin, {"name": f"片区{n}", "polygon": area},
                                   201).json["id"]
    api.put(f"/api/v1/drivers/{driver.id}/certificate", admin,
            json={"certificate_no": f"Q{n}", "certificate_expires_on": "2028-01-01"})
    # the page shows today's (fixed) date; the phone stamps real time: cover both
    fleet.post("/api/v1/assignments", admin, {
        "driver_id": driver.id, "vehicle_id": fleet.ids["vehicle"], "area_id": fleet.ids["area"],
        "starts_on": "2026-06-01", "ends_on": "2027-05-31"}, 201)
    # station_a takes the company's cylinders back (made once per server, so 201 or 409)
    entrusted = api.post("/api/v1/entrustments", admin, json={
        "owner_org_id": world.orgs["company"], "station_org_id": world.orgs["station_a"],
        "valid_from": "2026-01-01", "valid_to": "2027-12-31"})
    assert entrusted.status_code in (201, 409), entrusted.json
    for key, kind, premises in (("home", "household", "ground"),
                                ("cellar", "restaurant", "underground")):
        body = {"name": f"{key}{n}", "kind": kind, "address": f"{key}路{n}号", **inside,
                "premises": premises, "contact_name": f"{key}负责人",
                "id_kind": "person" if kind == "household" else "business_licence",
                "id_number": resident_id(n * 10 + len(key)) if kind == "household" else
                licence_code(n * 10 + 1)}
        fleet.customers[key] = fleet.post("/api/v1/customers", admin, body, 201).json["id"]
    fleet.ids["inside"] = inside  # type: ignore[assignment]
    return fleet, driver


def fill_all(live_server, fleet: Fleet, count: int) -> list[str]:
    with live_server.app.app_context():
        codes = [fleet.cylinder() for _ in range(count)]
    return codes


def open_driver_page(page, live_server, driver: Actor, where: dict) -> None:
    """Sign in, open the page, and wait until it has a fix and its worker keeps it offline."""
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": where["lat"], "longitude": where["lon"]})
    login(page, driver.name)
    page.goto("/driver")
    page.wait_for_selector("[data-testid=online-state].badge-ok")
    page.wait_for_selector("[data-testid=position][data-fix=live]")
    page.wait_for_selector("[data-testid=queue][data-offline-ready=yes]")


QUEUE_TOTAL = ("['pending','stored','refused'].reduce((sum, k) => sum + +document.querySelector("
               "`[data-testid=count-${k}]`).textContent, 0)")


def queued(page, action) -> None:
    """Do something that queues one record, and wait until the queue holds it.

    The total is read in one evaluation: read count by count, a sync moving a record from
    pending to stored in between would be counted twice.
    """
    before = page.evaluate(f"() => {QUEUE_TOTAL}")
    action()
    page.wait_for_function(f"n => {QUEUE_TOTAL} >= n", arg=before + 1)


def scan(page, mode: str, code: str, customer: int | None = None,
         station: int | None = None) -> None:
    page.check(f"[data-testid=mode-{mode}]")
    if customer is not None:
        page.select_option("[data-testid=customer-select]", str(customer))
    if station is not None:
        page.select_option("[data-testid=station-select]", str(station))
    page.fill("[data-testid=code-input]", code)
    queued(page, lambda: page.click("[data-testid=scan-add]"))


def checklist(page, customer: int, failed: str | None = None) -> None:
    page.check("[data-testid=mode-delivery]")
    page.select_option("[data-testid=customer-select]", str(customer))
    if failed:
        page.check(f"[data-testid=check-{failed}-fail]")
        page.set_input_files(f"[data-testid=check-photo-{failed}]", files=[{
            "name": "fail.png", "mimeType": "image/png", "buffer": photo_png()}])
    page.click("[data-testid=check-all-pass]")
    queued(page, lambda: page.click("[data-testid=check-submit]"))


def wait_counts(page, pending: int, stored: int, refused: int, timeout: int = 20000) -> None:
    page.wait_for_function(
        "([p, s, r]) => ['pending','stored','refused'].map(k => +document.querySelector("
        "`[data-testid=count-${k}]`).textContent).join() === [p, s, r].join()",
        arg=[pending, stored, refused], timeout=timeout)


def test_online_round_on_the_driver_page(page, live_server):
    fleet, driver = prepare(live_server)
    full, other = fill_all(live_server, fleet, 2)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    assert page.inner_text("[data-testid=vehicle-plate]").startswith("冀F3")
    scan(page, "dispatch", full)
    scan(page, "dispatch", other)
    wait_counts(page, 0, 2, 0)
    checklist(page, fleet.customers["home"])
    scan(page, "delivery", full, customer=fleet.customers["home"])
    wait_counts(page, 0, 4, 0)
    scan(page, "delivery", other, customer=fleet.customers["cellar"])
    wait_counts(page, 0, 4, 1)
    assert "地下" in page.inner_text("[data-testid=queue-list] li.refused")
    scan(page, "return", full, customer=fleet.customers["home"])
    scan(page, "unload", full, station=live_server.world.orgs["station_a"])
    wait_counts(page, 0, 6, 1)
    screenshot(page, "driver")
    with live_server.app.app_context():
        assert fleet.custody(full)["kind"] == "station"
        assert fleet.custody(other)["kind"] == "vehicle"


def test_offline_round_with_a_sync_cut_off_half_way(page, live_server):
    fleet, driver = prepare(live_server)
    a, b, c = fill_all(live_server, fleet, 3)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    for code in (a, b, c):
        scan(page, "dispatch", code)
    checklist(page, fleet.customers["home"], failed="hose_over_2m")
    scan(page, "delivery", a, customer=fleet.customers["home"])
    scan(page, "delivery", b, customer=fleet.customers["home"])
    scan(page, "delivery", c, customer=fleet.customers["cellar"])  # refused at sync
    scan(page, "return", a, customer=fleet.customers["home"])
    wait_counts(page, 8, 0, 0)

    calls = []

    def cut_off_after_storing(route):
        calls.append(route.request.post_data_json)
        response = route.fetch()  # the server stores the whole batch...
        if len(calls) == 1:
            assert response.status == 200
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route("**/api/v1/events/batch", cut_off_after_storing)
    page.context.set_offline(False)
    # the page syncs by itself when the signal returns, and that sync is cut off
    page.wait_for_selector("[data-testid=queue][data-sync=failed][data-sync-failures='1']")
    assert len(calls) == 1
    wait_counts(page, 8, 0, 0)  # the cut-off sync left everything queued
    page.click("[data-testid=sync-now]")
    wait_counts(page, 0, 7, 1)
    assert len(calls) == 2
    assert calls[0]["events"] == calls[1]["events"]  # same event ids sent again
    queued = page.evaluate("() => window.lpgDriver.all()")
    ids = [uuid.UUID(r["event_id"]) for r in queued if r["type"] != "safety_check"]
    with live_server.app.app_context():
        stored = dict(db.session.execute(select(Event.id, func.count()).where(
            Event.id.in_(ids)).group_by(Event.id)).all())
        assert stored == {event_id: 1 for event_id in ids}  # every one, exactly once
        from app.delivery.models import Hazard, SafetyCheck

        check_ids = [uuid.UUID(r["event_id"]) for r in queued if r["type"] == "safety_check"]
        assert db.session.scalar(select(func.count()).select_from(SafetyCheck).where(
            SafetyCheck.id.in_(check_ids))) == 1
        assert db.session.scalar(select(func.count()).select_from(Hazard).where(
            Hazard.safety_check_id.in_(check_ids))) == 1
        delivered = db.session.scalars(select(Event).where(
            Event.id.in_(ids), Event.type == "delivered")).all()
        assert len(delivered) == 2 and all(e.data["flags"] == [] for e in delivered)
        assert all(e.lat == 38.86 and e.received_at > e.occurred_at for e in delivered)
        assert all(e.data["safety_check_id"] == str(check_ids[0]) for e in delivered)


def noisy_png(seed: int) -> bytes:
    """A photo JPEG cannot shrink much: about 50 KB once the page has re-encoded it."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (200, 200), random.Random(seed).randbytes(200 * 200 * 3)).save(
        buf, format="PNG")
    return buf.getvalue()


def test_an_offline_round_of_photos_larger_than_one_upload_still_syncs(page, live_server):
    fleet, driver = prepare(live_server)
    config = live_server.app.config
    limit = config.get("MAX_CONTENT_LENGTH")
    config["MAX_CONTENT_LENGTH"] = 200 * 1024  # the page reads it: batches of half that
    sent: list[int] = []
    try:
        open_driver_page(page, live_server, driver, fleet.ids["inside"])
        page.context.set_offline(True)
        page.wait_for_selector("[data-testid=online-state].badge-warn")
        for seed in range(5):
            page.check("[data-testid=mode-delivery]")
            page.select_option("[data-testid=customer-select]", str(fleet.customers["home"]))
            page.check("[data-testid=check-hose_over_2m-fail]")
            page.set_input_files("[data-testid=check-photo-hose_over_2m]", files=[{
                "name": "fail.png", "mimeType": "image/png", "buffer": noisy_png(seed)}])
            page.click("[data-testid=check-all-pass]")
            queued(page, lambda: page.click("[data-testid=check-submit]"))
        wait_counts(page, 5, 0, 0)
        page.on("request", lambda r: sent.append(len(r.post_data_buffer or b""))
                if r.url.endswith("/api/v1/events/batch") else None)
        page.context.set_offline(False)
        wait_counts(page, 0, 5, 0)  # one body of all five would be refused as too large
    finally:
        config["MAX_CONTENT_LENGTH"] = limit
    assert sum(sent) > 200 * 1024 and len(sent) >= 3 and max(sent) <= 100 * 1024


def test_reload_with_no_signal_keeps_the_page_and_the_queue(page, live_server):
    fleet, driver = prepare(live_server)
    a, b = fill_all(live_server, fleet, 2)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    # registered after the page was kept: a page from the network would list this customer
    fleet.post("/api/v1/customers", live_server.world.company_admin, {
        "name": "后来者", "kind": "household", "address": "新路1号", **fleet.ids["inside"],
        "id_kind": "person", "id_number": resident_id(next(_SERIAL) * 10 + 7)}, 201)
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    scan(page, "dispatch", a)
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    wait_counts(page, 1, 0, 0)  # the queue survived the reload
    assert "后来者" not in page.inner_text("[data-testid=customer-select]")
    assert page.get_attribute("[data-testid=position]", "data-fix") in ("saved", "live")
    scan(page, "dispatch", b)
    checklist(page, fleet.customers["home"])
    scan(page, "delivery", a, customer=fleet.customers["home"])
    wait_counts(page, 4, 0, 0)
    page.context.set_offline(False)
    wait_counts(page, 0, 4, 0)  # the page syncs by itself when the signal returns
    page.click("[data-testid=sync-now]")  # a second sync sends nothing twice
    page.wait_for_selector("[data-testid=queue][data-sync=idle]")
    queued_ids = [uuid.UUID(r["event_id"]) for r in page.evaluate("() => window.lpgDriver.all()")]
    with live_server.app.app_context():
        from app.delivery.models import SafetyCheck

        events = dict(db.session.execute(select(Event.id, func.count()).where(
            Event.id.in_(queued_ids)).group_by(Event.id)).all())
        checks = db.session.scalars(select(SafetyCheck.id).where(
            SafetyCheck.id.in_(queued_ids))).all()
        assert len(events) == 3 and set(events.values()) == {1}
        assert len(checks) == 1 and set(events) | set(checks) == set(queued_ids)
        assert fleet.custody(a)["kind"] == "customer"
        assert fleet.custody(b)["kind"] == "vehicle"


def test_company_area_map_and_ledger(page, live_server):
    fleet, driver = prepare(live_server)
    photo = "data:image/png;base64," + base64.b64encode(photo_png()).decode()
    fleet.post("/api/v1/safety-checks", driver, {
        "customer_id": fleet.customers["home"], "lat": 38.86, "lon": 115.0,
        "items": checklist_states(no_gas_detector="fail", tee_connection="fail"),
        "photos": {"no_gas_detector": photo, "tee_connection": photo}}, 201)
    login(page, "company_admin")
    page.goto("/company/areas")
    assert page.locator("[data-testid=area-map] polygon").count() >= 1
    assert page.locator("[data-testid=area-map] circle").count() >= 2
    screenshot(page, "company-areas")
    page.goto("/company/hazards")
    assert page.locator("[data-testid=ledger] tbody tr[data-hazard]").count() >= 2
    assert "私接三通" in page.inner_text("[data-testid=ledger]")
    row = page.locator("[data-testid=ledger] tr[data-hazard]").first
    row.locator("input[name=evidence]").fill("已拆除三通")
    row.locator("button").click()
    page.wait_for_selector("[data-testid=flash-ok]")
    screenshot(page, "hazards")
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_refused_scan_says_why_in_the_page_language(page, live_server):
    """Synced later, a scan of a code of another system is refused; the driver reads why in
    Chinese (the API's message is English), and a refusal's reasons in English on ?lang=en."""
    fleet, driver = prepare(live_server)
    (code,) = fill_all(live_server, fleet, 1)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    scan(page, "dispatch", "NOTACODE123")
    scan(page, "delivery", code, customer=fleet.customers["home"])  # never loaded
    page.context.set_offline(False)
    wait_counts(page, 0, 0, 2)
    items = page.inner_text("[data-testid=queue-list]")
    assert "NOTACODE123 · 被拒绝: 这不是本系统的气瓶编码。" in items, items
    assert "该气瓶未装上本人车辆，不得交付" in items and "This is" not in items, items
    page.goto("/driver?lang=en")
    wait_counts(page, 0, 0, 2)
    items = page.inner_text("[data-testid=queue-list]")
    assert "The cylinder was not dispatched onto your vehicle." in items, items


def test_a_sync_the_driver_must_unblock_says_so(page, live_server):
    """Signed out while offline (401), or signed in again in another tab (this page's CSRF
    token is stale): the queue cannot go until the driver acts, and the page says what to do;
    once they do, the scans go, once."""
    fleet, driver = prepare(live_server)
    a, b = fill_all(live_server, fleet, 2)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    notice = "[data-testid=sync-msg]"
    assert page.is_hidden(notice)
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    scan(page, "dispatch", a)
    page.context.clear_cookies()  # the session ended while in the basement
    page.context.set_offline(False)
    page.wait_for_selector(f"{notice}[data-problem=signed_out]")
    assert "重新登录后即发送" in page.inner_text(notice)
    wait_counts(page, 1, 0, 0)
    page.click(f"{notice} a")  # sign in again, back to the page
    page.fill("input[name=name]", driver.name)
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/driver")
    wait_counts(page, 0, 1, 0)
    assert page.is_hidden(notice)

    other = page.context.new_page()  # a second tab signs in again: a new session
    login(other, driver.name)
    other.close()
    page.context.set_offline(True)
    scan(page, "dispatch", b)
    page.context.set_offline(False)
    page.wait_for_selector(f"{notice}[data-problem=reload]")
    assert "请刷新页面" in page.inner_text(notice)
    page.click(f"{notice} a")
    wait_counts(page, 0, 2, 0)
    assert page.is_hidden(notice)
    with live_server.app.app_context():
        assert fleet.custody(a)["kind"] == fleet.custody(b)["kind"] == "vehicle"


def test_what_was_refused_or_flagged_on_sync_heads_the_queue_until_seen(page, live_server):
    """Synced later, one hand-over is refused and one stored with a flag (no safety check):
    both head the list with why, a banner counts them until the driver taps it, and the line
    under the scanner says what became of the last scan."""
    fleet, driver = prepare(live_server)
    a, b = fill_all(live_server, fleet, 2)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    scan(page, "dispatch", a)
    scan(page, "dispatch", b)
    wait_counts(page, 0, 2, 0)
    assert page.is_hidden("[data-testid=attention]")
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    scan(page, "delivery", a, customer=fleet.customers["home"])  # first delivery, no check
    scan(page, "delivery", b, customer=fleet.customers["cellar"])  # underground: refused
    page.context.set_offline(False)
    wait_counts(page, 0, 3, 1)
    banner = page.locator("[data-testid=attention]")
    banner.wait_for()
    assert "2 条记录需要处理" in banner.inner_text()
    first, second = page.locator("[data-testid=queue-list] li").all()[:2]
    assert "被拒绝" in first.inner_text() and b in first.inner_text()
    assert "已同步" in second.inner_text() and "请当场补做安检" in second.inner_text()
    assert "被拒绝" in page.inner_text("#scan-msg")  # the last scan, b, was refused
    assert page.get_attribute("#scan-msg", "data-state") == "look"
    for target in ("[data-testid=attention-ok]", "[data-testid=scan-photo]",
                   "label:has([data-testid=check-tee_connection-fail])"):  # gloved thumbs
        box = page.locator(target).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (target, box)
    page.click("[data-testid=attention-ok]")
    page.wait_for_selector("[data-testid=attention]", state="hidden")
    page.reload()
    wait_counts(page, 0, 3, 1)
    assert page.is_hidden("[data-testid=attention]")  # seen stays seen


def test_the_queue_keeps_no_photos_nor_old_answers_and_links_only_todays_check(page,
                                                                             live_server):
    """A synced checklist's photos leave the phone; answers from before today are dropped on
    opening (pending scans stay); a delivery names only a check made today at that door."""
    fleet, driver = prepare(live_server)
    a, b = fill_all(live_server, fleet, 2)
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    home, cellar = fleet.customers["home"], fleet.customers["cellar"]
    page.evaluate("([key, cellar]) => localStorage.setItem(key, JSON.stringify({[cellar]: "
                  "'00000000-0000-4000-8000-000000000001'}))",  # a check of some other day
                  [f"lpg-driver-{driver.id}-checks", cellar])
    page.reload()
    scan(page, "dispatch", a)
    scan(page, "dispatch", b)
    checklist(page, home, failed="tee_connection")
    wait_counts(page, 0, 3, 0)
    assert "发现隐患 1 项，已登记入台账" in page.inner_text("[data-testid=queue-list]")
    records = page.evaluate("() => window.lpgDriver.all()")
    assert "data:" not in str(records)  # the failed item's photo is on the server now
    (check,) = [r["event_id"] for r in records if r["type"] == "safety_check"]
    page.evaluate("""() => new Promise((resolve) => {
      const config = JSON.parse(document.getElementById('driver-config').textContent);
      const open = indexedDB.open(`lpg-driver-${config.userId}`, 1);
      open.onsuccess = () => {
        const store = open.result.transaction('queue', 'readwrite').objectStore('queue');
        store.getAll().onsuccess = (ev) => {
          for (const r of ev.target.result.filter((r) => r.type === 'dispatch')) {
            store.put(Object.assign(r, {synced: Date.now() - 2 * 86400000}));
          }
          store.transaction.oncomplete = resolve;
        };
      };
    })""")
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    scan(page, "delivery", a, customer=home)
    scan(page, "delivery", b, customer=cellar)
    page.reload()
    wait_counts(page, 2, 1, 0)  # the two loads answered "yesterday" are gone, pending stay
    payloads = {r["payload"]["code"]: r["payload"]
                for r in page.evaluate("() => window.lpgDriver.all()") if r["type"] == "delivery"}
    assert payloads[a]["safety_check_id"] == check
    assert "safety_check_id" not in payloads[b]


def test_a_scan_sent_twice_is_queued_once(page, live_server):
    """A wedge scanner's code and Enter arrive twice, and the driver scans again to be sure:
    one hand-over is queued and stored, nothing comes back refused, and the page says why."""
    fleet, driver = prepare(live_server)
    (code,) = fill_all(live_server, fleet, 1)
    home = fleet.customers["home"]
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    scan(page, "dispatch", code)
    wait_counts(page, 0, 1, 0)
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=online-state].badge-warn")
    page.check("[data-testid=mode-delivery]")
    page.select_option("[data-testid=customer-select]", str(home))
    page.focus("[data-testid=code-input]")
    page.keyboard.type(f"{code}\n{code}\n\n", delay=1)
    page.wait_for_selector("#scan-msg[data-state=repeated]")
    assert "已记录过，未重复暂存" in page.inner_text("#scan-msg")
    wait_counts(page, 1, 1, 0)
    page.context.set_offline(False)
    wait_counts(page, 0, 2, 0)
    page.check("[data-testid=mode-return]")  # the next step of that cylinder is no repeat
    scan(page, "return", code, customer=home)
    wait_counts(page, 0, 3, 0)
    with live_server.app.app_context():
        history = [e.type for e in db.session.scalars(
            select(Event).where(Event.data["code"].as_string() == code).order_by(Event.seq))]
        assert history.count("delivered") == 1 and "delivery_refused" not in history


def test_a_photographed_code_shows_the_code_the_server_read(page, live_server):
    """The driver photographs the label instead of typing: once synced, the line names the
    cylinder the server read, so a wrong one is seen at the door."""
    from tests.filling.photos import qr_photo

    fleet, driver = prepare(live_server)
    (code,) = fill_all(live_server, fleet, 1)
    with live_server.app.app_context():
        from app.traceability.services import code_entry

        payload = code_entry(code)["payload"]
    open_driver_page(page, live_server, driver, fleet.ids["inside"])
    page.check("[data-testid=mode-dispatch]")
    queued(page, lambda: page.set_input_files("[data-testid=scan-photo]", files=[{
        "name": "label.jpg", "mimeType": "image/jpeg", "buffer": qr_photo([payload])}]))
    wait_counts(page, 0, 1, 0)
    assert f"装车 📷 {code} · 已同步" in page.inner_text("[data-testid=queue-list]")
    assert code in page.inner_text("#scan-msg")
