"""A cylinder's timeline page as a reader sees it, in Chinese and in English."""
from __future__ import annotations

import re

from app.extensions import db
from app.traceability.models import Event
from tests.oversight.conftest import BASE


def _steps(html: str) -> list[str]:
    """The visible text of each timeline step after its time, tags stripped."""
    items = re.findall(r'<li class="step[^"]*" data-type="[^"]+">(.*?)</li>', html, re.S)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", i)).strip() for i in items]
    return [re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d (· #\d+ )?", "", t) for t in text]


def _refusal(events, code, kind, *reasons):
    return events.add(code, kind, "driver", reasons=[
        {"code": c, "message": zh, "message_en": en} for c, zh, en in reasons])


def test_refused_round_steps_are_named_with_their_reasons(browser, registry, world, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    _refusal(events, code, "dispatch_refused",
             ("overfill", "上次充装超装，不得出站", "The last fill was an overfill."))
    _refusal(events, code, "delivery_refused",
             ("underground_premises", "不得向地下场所配送", "No LPG to underground premises."))
    _refusal(events, code, "return_refused",
             ("not_with_customer", "该气瓶不在此用户处", "The cylinder is not at this customer."))
    c = browser.as_user(world.users["regulator"].id)
    zh = _steps(c.get(f"/oversight/cylinders/{code}").get_data(as_text=True))
    assert zh[-3].startswith("拒绝装车") and "上次充装超装，不得出站" in zh[-3]
    assert zh[-2].startswith("拒绝交付") and "不得向地下场所配送" in zh[-2]
    assert zh[-1].startswith("拒绝回收") and "该气瓶不在此用户处" in zh[-1]
    en = _steps(c.get(f"/oversight/cylinders/{code}?lang=en").get_data(as_text=True))
    assert en[-3].startswith("Dispatch refused") and "The last fill was an overfill." in en[-3]
    assert en[-2].startswith("Delivery refused") and "No LPG to underground" in en[-2]
    assert en[-1].startswith("Return refused") and "not at this customer" in en[-1]
    assert not any("_refused" in s or "不得" in s for s in en)


def test_fill_refusal_reasons_follow_the_page_language(browser, registry, world, events):
    code = registry.cylinder()["code"]
    events.add(code, "fill_refused", "filler_a", station_org_id=world.orgs["station_a"],
               reasons=[{"code": "not_owned", "message": "非自有且非托管",
                         "message_en": "Neither ours nor entrusted to us"}])
    c = browser.as_user(world.users["regulator"].id)
    zh = _steps(c.get(f"/oversight/cylinders/{code}").get_data(as_text=True))
    assert "非自有且非托管" in zh[-1]
    en = _steps(c.get(f"/oversight/cylinders/{code}?lang=en").get_data(as_text=True))
    assert en[-1].startswith("Fill refused") and "Neither ours nor entrusted to us" in en[-1]


def test_flag_kinds_are_named_in_the_page_language(browser, registry, world, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    events.fill(code, "filler_b", at=BASE.replace(hour=9))  # two stations in an hour: a clone
    c = browser.as_user(world.users["regulator"].id)
    zh_page = c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)
    assert _steps(zh_page)[-1].startswith("产生标记 · 疑似克隆码")
    pages = {"cylinder": c.get(f"/oversight/cylinders/{code}?lang=en"),
             "dashboard": c.get("/oversight/flags?lang=en"),
             "queue": c.get("/oversight/flags?kind=clone_suspected&lang=en"),
             "search": c.get(f"/oversight/search?code={code}&lang=en")}
    for name, resp in pages.items():
        html = resp.get_data(as_text=True)
        assert "Suspected cloned code" in html, name
        assert "疑似克隆码" not in html and "黑气瓶" not in html, name
    assert _steps(pages["cylinder"].get_data(as_text=True))[-1].startswith(
        "Flag raised · Suspected cloned code")
    assert "Black cylinder" in pages["search"].get_data(as_text=True)  # the flag filter


def _chain_badge(html: str) -> str:
    badge = re.search(r'data-testid="chain-badge">(.*?)</span>', html, re.S)
    assert badge, "no chain badge"
    return re.sub(r"\s+", " ", badge.group(1))


def test_a_broken_chain_is_explained_in_the_page_language(browser, registry, world, events):
    altered, cut = registry.cylinder()["code"], registry.cylinder()["code"]
    events.fill(altered, "filler_a", at=BASE)
    event = events.fill(altered, "filler_a", at=BASE.replace(hour=9))
    events.fill(cut, "filler_a", at=BASE)
    last = events.fill(cut, "filler_a", at=BASE.replace(hour=9))
    db.session.execute(db.update(Event).where(Event.id == event.id).values(
        data={**event.data, "net_mass_kg": 9.9}))  # edited behind the service's back
    db.session.execute(db.delete(Event).where(Event.id == last.id))
    db.session.commit()
    c = browser.as_user(world.users["regulator"].id)
    zh = _chain_badge(c.get(f"/oversight/cylinders/{altered}").get_data(as_text=True))
    assert "履历链校验失败" in zh and "第 3 条记录在保存后被改动" in zh and "event" not in zh
    assert zh.startswith("✘ 履历链校验失败：第 3 条")  # a Chinese colon, not ": "
    en = _chain_badge(c.get(f"/oversight/cylinders/{altered}?lang=en").get_data(as_text=True))
    assert "History chain broken: event 3 was altered after it was stored" in en
    page = c.get(f"/oversight/cylinders/{cut}").get_data(as_text=True)
    zh = _chain_badge(page)
    assert "履历末尾的记录被删除" in zh and "events" not in zh
    # how many were cut off: the record counts 3 events (registered, two fills), 2 remain
    assert 'data-testid="chain-count">气瓶档案记载共 3 条记录，实存 2 条。' in page
    assert 'data-testid="chain-count"' not in c.get(f"/oversight/cylinders/{altered}").get_data(
        as_text=True)  # altered, none missing
    api = c.get(f"/api/v1/cylinders/{cut}/history").get_json()  # the API stays in English
    assert api["chain_ok"] is False
    assert api["chain_problems"] == ["events were removed from the end of the history"]


def test_clone_evidence_in_the_queue_is_in_district_time_and_words(browser, registry, world,
                                                                     events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)  # 08:00 UTC is 16:00 in the district
    events.fill(code, "filler_b", at=BASE.replace(hour=8, minute=40))
    c = browser.as_user(world.users["regulator"].id)
    html = c.get("/oversight/flags").get_data(as_text=True)
    item = re.search(r'<li class="queue-item"[^>]*data-kind="clone_suspected">(.*?)</li>',
                     html, re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))
    assert "2026-05-10 16:00" in text and "2026-05-10 16:40" in text and "T08:" not in text
    assert "充装" in text and "filled" not in text
    assert "2026-05-10 16:00 第一充装站" in text and "2026-05-10 16:40 南郊充装站" in text
    html = c.get("/oversight/flags?lang=en").get_data(as_text=True)
    item = re.search(r'<li class="queue-item"[^>]*data-kind="clone_suspected">(.*?)</li>',
                     html, re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))
    assert "filled at two stations too close together" in text and "Filled 2026-05-10 16:00" in text


def test_hand_edited_event_data_is_reported_not_a_server_error(browser, registry, world,
                                                               events):
    codes = [registry.cylinder()["code"] for _ in range(2)]
    stored = []
    for code in codes:
        events.fill(code, "filler_a", at=BASE)
        stored.append(events.refuse(code, "filler_a", "not_owned"))
    # one event's data overwritten with JSON that is not an object, the other (on SQLite,
    # where the column is text) with text that is not JSON at all
    db.session.execute(db.update(Event).where(Event.id == stored[0].id).values(data=[1, 2]))
    if db.engine.dialect.name == "sqlite":
        db.session.execute(db.text("UPDATE events SET data = :text WHERE id = :id"),
                           {"text": '{"reasons": [', "id": stored[1].id.hex})
    else:
        db.session.execute(db.update(Event).where(Event.id == stored[1].id).values(data="x"))
    db.session.commit()
    db.session.expire_all()
    c = browser.as_user(world.users["regulator"].id)
    for code in codes:
        resp = c.get(f"/oversight/cylinders/{code}")
        assert resp.status_code == 200, code
        badge = _chain_badge(resp.get_data(as_text=True))
        assert "第 3 条记录在保存后被改动" in badge


def test_a_hand_edited_cylinder_record_is_caught_by_its_history(browser, api, registry, world,
                                                                 clean_app):
    """The facts shown above the timeline (made, life, seizure) come from the cylinder's row;
    the chain records them at registration and at each oversight step, so a row edited by
    hand no longer matches its history and must not be shown as verified."""
    import datetime as dt

    from app.traceability.models import Cylinder

    younger, seized, kept = (registry.cylinder()["code"] for _ in range(3))
    inspected = registry.cylinder(last_inspected_on="2021-05-01",
                                  manufactured_on="2020-01-01")["code"]
    assert api.post(f"/api/v1/cylinders/{inspected}/inspections", world.inspector, json={
        "result": "pass", "inspected_on": "2026-06-01"}).status_code == 201  # changed by a step
    db.session.execute(db.update(Cylinder).where(Cylinder.code == younger).values(
        manufactured_on=dt.date(2025, 1, 1), life_extended_until=dt.date(2040, 1, 1)))
    db.session.execute(db.update(Cylinder).where(Cylinder.code == seized).values(
        seized_at=db.func.current_timestamp()))
    db.session.commit()
    c = browser.as_user(world.users["regulator"].id)
    en = _chain_badge(c.get(f"/oversight/cylinders/{younger}?lang=en").get_data(as_text=True))
    assert "History chain broken" in en
    assert "the cylinder's record differs from its history: Made, Design life" in en
    zh_page = c.get(f"/oversight/cylinders/{younger}").get_data(as_text=True)
    assert "气瓶档案与履历记录不符：制造年月、设计使用年限" in _chain_badge(zh_page)
    assert 'data-testid="altered-manufactured_on"' in zh_page  # the fact itself is marked
    assert 'data-testid="altered-life_extended_until"' in zh_page
    seized_page = c.get(f"/oversight/cylinders/{seized}").get_data(as_text=True)
    assert 'data-testid="altered-seized_at"' in seized_page
    assert "altered-" not in c.get(f"/oversight/cylinders/{kept}").get_data(as_text=True)
    history = c.get(f"/api/v1/cylinders/{seized}/history").get_json()
    assert history["chain_ok"] is False
    assert history["chain_problems"] == [
        "the cylinder's record differs from its history: seized_at"]
    for code in (kept, inspected):
        assert c.get(f"/api/v1/cylinders/{code}/history").get_json()["chain_ok"] is True, code
    out = clean_app.test_cli_runner().invoke(args=["verify-chain"])
    assert out.exit_code == 1
    assert f"BROKEN {younger}: the cylinder's record differs from its history: " \
           "manufactured_on, life_extended_until" in out.output
    assert "2 intact, 2 broken" in out.output


def test_the_step_a_broken_chain_names_is_marked_on_the_timeline(browser, registry, world,
                                                                 events):
    """'event 3 was altered' is findable: each step shows its number, and the altered one
    (or the one that no longer links) says so where it is shown."""
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    event = events.fill(code, "filler_a", at=BASE.replace(hour=9))
    events.fill(code, "filler_a", at=BASE.replace(hour=10))
    db.session.execute(db.update(Event).where(Event.id == event.id).values(
        data={**event.data, "net_mass_kg": 9.9}))
    db.session.commit()
    c = browser.as_user(world.users["regulator"].id)
    html = c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)
    items = re.findall(r'<li class="(step[^"]*)" data-type="[^"]+">(.*?)</li>', html, re.S)
    assert [("altered" in cls) for cls, _ in items] == [False, False, True, False]
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for _, body in items]
    assert all(f"#{n}" in t for n, t in enumerate(texts, start=1))
    assert "✘ 保存后被改动" in texts[2] and "✘" not in texts[1] + texts[3]


def test_the_page_says_what_the_chain_check_proves(browser, registry, world):
    """The badge said "history chain verifies (1 event)" and nothing of what that means: a
    regulator could not tell a colleague why it shows the history was not edited."""
    code = registry.cylinder()["code"]
    c = browser.as_user(world.users["regulator"].id)
    zh = c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)
    explained = re.search(r'data-testid="chain-explained">([^<]*)<', zh).group(1)
    assert "上一条记录的指纹" in explained and "指出是哪一条" in explained
    en = c.get(f"/oversight/cylinders/{code}?lang=en").get_data(as_text=True)
    assert "Editing, deleting or cutting off any event breaks the chain" in en


def test_a_scrap_after_a_failed_inspection_is_named_in_the_page_language(browser, registry,
                                                                           world):
    """A failed inspection recorded without a note scrapped the cylinder with the note
    "failed periodic inspection", and the Chinese page showed those English words."""
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2021-03-01")["code"]
    url = f"/oversight/cylinders/{code}"
    c = browser.as_user(world.users["inspector"].id)
    c.post(url + "/act", data={"action": "inspect", "result": "fail", "on": "2026-06-01",
                               "confirm": "yes"})
    c = browser.as_user(world.users["regulator"].id)
    zh = _steps(c.get(url).get_data(as_text=True))
    assert zh[-1].startswith("已报废 · 定期检验不合格 ") and "failed" not in " ".join(zh)
    en = _steps(c.get(url + "?lang=en").get_data(as_text=True))
    assert en[-1].startswith("Scrapped · failed periodic inspection ")
