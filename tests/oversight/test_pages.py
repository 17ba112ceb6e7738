"""Regulators' pages through the test client: search, timeline and actions, flags, reports."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from app.extensions import db
from app.oversight.models import BlacklistEntry
from app.traceability.models import Cylinder, Event, Flag
from tests.oversight.conftest import BASE

HTML = {"Accept": "text/html"}


def events_of(code):
    cyl = db.session.scalar(db.select(Cylinder).where(Cylinder.code == code))
    return list(db.session.scalars(db.select(Event.type).where(Event.cylinder_id == cyl.id)
                                   .order_by(Event.seq)))


def _as(browser, world, name):
    return browser.as_user(world.users[name].id)


def test_search_page_lists_results_and_suggests_codes(browser, registry, world):
    code = registry.cylinder(manufacturer="甲厂")["code"]
    c = _as(browser, world, "regulator")
    html = c.get("/oversight/search?manufacturer=甲厂").get_data(as_text=True)
    assert code[:4] in html and "共找到 1 只气瓶" in html
    typo = code[:15] + ("0" if code[15] != "0" else "1")
    html = c.get(f"/oversight/search?code={typo}").get_data(as_text=True)
    assert "您要找的是否是" in html and f"/oversight/cylinders/{code}" in html
    bad = c.get("/oversight/search?status=happy")
    assert bad.status_code == 400 and "以下字段有误" in bad.get_data(as_text=True)


def test_search_page_in_english_is_still_a_search(browser, registry, world):
    """The language switch adds ?lang=en to the address; it was refused as an unknown filter."""
    code = registry.cylinder(manufacturer="甲厂")["code"]
    c = _as(browser, world, "regulator")
    resp = c.get("/oversight/search?manufacturer=甲厂&lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and code[:4] in html and "Search cylinders" in html


def test_seizure_to_cancellation_through_the_page(browser, registry, world, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE, place="第一充装站 2号秤")
    url = f"/oversight/cylinders/{code}"
    c = _as(browser, world, "regulator")
    page = c.get(url).get_data(as_text=True)
    assert "履历链校验通过" in page and "充装" in page and "第一充装站 2号秤" in page
    assert 'data-testid="seize-form"' in page and 'data-testid="scrap-form"' not in page
    resp = c.post(url + "/act", data={"action": "seize", "note": "", "order_no": "1"})
    assert resp.status_code == 303  # refused: a note is required; nothing saved
    assert "请填写说明" in c.get(url).get_data(as_text=True)
    assert c.post(url + "/act", data={"action": "seize", "note": "现场查封",
                                      "confirm": "yes"}).status_code == 303
    assert "已查封" in c.get(url).get_data(as_text=True)
    c.post(url + "/act", data={"action": "seize", "note": "再次查封", "confirm": "yes"})  # refused,
    assert "该气瓶已查封。" in c.get(url).get_data(as_text=True)  # shown in the page's language
    c.post(url + "/act?lang=en", data={"action": "seize", "note": "again", "confirm": "yes"})
    assert "This cylinder is seized already." in c.get(url + "?lang=en").get_data(as_text=True)
    c = _as(browser, world, "inspector")
    assert 'data-testid="handover-form"' in c.get(url).get_data(as_text=True)
    c.post(url + "/act", data={"action": "hand_over", "note": "接收"})
    c.post(url + "/act", data={"action": "scrap", "note": "压扁", "confirm": "yes"})
    c = _as(browser, world, "regulator")
    c.post(url + "/act", data={"action": "cancel", "note": "注销", "confirm": "yes"})
    page = c.get(url).get_data(as_text=True)
    for label in ("移交检验机构", "已报废", "已注销登记", "履历链校验通过（6 条记录）"):
        assert label in page
    assert c.post(url + "/act", data={"action": "explode"}).status_code == 400


def test_irreversible_steps_on_the_cylinder_page_need_the_box_ticked(browser, registry,
                                                                       world):
    """One tap on the red Seize or Scrap button (or recording a failed inspection, which
    scraps) acted at once, with no way back. Each now needs its confirmation box ticked;
    without it nothing is recorded and the page says why."""
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2021-03-01")["code"]
    url = f"/oversight/cylinders/{code}"
    steps = [("regulator", {"action": "seize", "note": "现场查封"}, "seized"),
             ("inspector", {"action": "hand_over", "note": "接收"}, "handed_to_agency"),
             ("inspector", {"action": "inspect", "result": "fail", "on": "2026-06-01"},
              "scrapped"),
             ("regulator", {"action": "cancel", "note": "注销"}, "registration_cancelled")]
    done = ["registered"]
    for name, form, event in steps:
        c = _as(browser, world, name)
        if form["action"] != "hand_over":
            assert 'name="confirm" value="yes"' in c.get(url).get_data(as_text=True), form
            assert c.post(url + "/act", data=form).status_code == 303
            assert "请勾选确认框" in c.get(url).get_data(as_text=True), form
            db.session.rollback()
            assert events_of(code) == done, form
        assert c.post(url + "/act", data={**form, "confirm": "yes"}).status_code == 303
        db.session.rollback()
        done = events_of(code)
        assert event in done, form
    c = _as(browser, world, "inspector")
    other = registry.cylinder()["code"]
    c.post(f"/oversight/cylinders/{other}/act", data={"action": "inspect", "result": "pass"})
    db.session.rollback()
    assert events_of(other) == ["registered", "inspected"]  # a pass needs no box


def test_pages_refuse_other_roles(browser, registry, world):
    code = registry.cylinder(owner="station_b")["code"]
    assert browser.get("/oversight/search", headers=HTML).status_code == 302
    c = _as(browser, world, "filler_a")
    for path in ("/oversight/search", "/oversight/flags", "/oversight/reports",
                 f"/oversight/cylinders/{code}", "/oversight/blacklist"):
        assert c.get(path, headers=HTML).status_code == 403, path
    c = _as(browser, world, "company_admin")
    assert c.get(f"/oversight/cylinders/{code}", headers=HTML).status_code == 404
    assert c.get("/oversight/flags", headers=HTML).status_code == 403
    c = _as(browser, world, "inspector")
    resp = c.post(f"/oversight/cylinders/{code}/act",
                  data={"action": "seize", "note": "x", "confirm": "yes"})
    assert resp.status_code == 303
    page = c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)
    assert "只有监管部门可以执行此操作。" in page
    db.session.rollback()
    assert events_of(code) == ["registered"]


def test_flags_dashboard_and_work_queue(browser, registry, world, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    events.fill(code, "filler_b", at=BASE.replace(hour=9))
    c = _as(browser, world, "regulator")
    page = c.get("/oversight/flags").get_data(as_text=True)
    assert "疑似克隆码" in page and "<svg" in page and "1 个未处理标记" in page
    flag = db.session.scalars(db.select(Flag)).one()
    assert c.post(f"/oversight/flags/{flag.id}/resolve", data={"note": ""}).status_code == 303
    db.session.rollback()
    assert db.session.get(Flag, flag.id).status == "open"
    c.post(f"/oversight/flags/{flag.id}/resolve", data={"note": "两站核实，系复制标签"})
    db.session.rollback()
    assert db.session.get(Flag, flag.id).resolution_note == "两站核实，系复制标签"
    assert "0 个未处理标记" in c.get("/oversight/flags").get_data(as_text=True)


def test_blacklist_and_report_pages(browser, registry, world):
    registry.cylinder(manufacturer="劣质厂")
    c = _as(browser, world, "regulator")
    c.post("/oversight/blacklist", data={"scope": "manufacturer", "manufacturer": "劣质厂",
                                         "reason": "抽检不合格"})
    page = c.get("/oversight/blacklist").get_data(as_text=True)
    assert "劣质厂" in page and "抽检不合格" in page
    c.post("/oversight/blacklist", data={"scope": "batch", "manufacturer": "劣质厂",
                                         "reason": "x"})
    page = c.get("/oversight/blacklist").get_data(as_text=True)
    assert "批次须填写制造单位和制造年月。" in page
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(BlacklistEntry)) == 1
    page = c.get("/oversight/reports?month=2026-05").get_data(as_text=True)
    assert "月度工作进展报告" in page and "充装" in page
    xlsx = c.get("/oversight/reports?month=2026-05&format=xlsx")
    assert xlsx.status_code == 200
    assert "概要" in load_workbook(io.BytesIO(xlsx.data)).sheetnames
    pdf = c.get("/oversight/reports?month=2026-05&format=pdf")
    assert pdf.data.startswith(b"%PDF")


def test_inspection_and_assessment_through_the_page(browser, registry, world):
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2021-03-01")["code"]
    url = f"/oversight/cylinders/{code}"
    c = _as(browser, world, "inspector")
    page = c.get(url).get_data(as_text=True)
    assert "超过使用年限" in page and 'data-testid="inspect-form"' in page
    c.post(url + "/act", data={"action": "inspect", "result": "pass", "on": "2026-06-01"})
    c.post(url + "/act", data={"action": "assess", "result": "pass",
                               "extended_until": "2029-03-01"})
    page = c.get(url).get_data(as_text=True)
    assert "下次检验 2030-06-01" in page and "使用年限延至 2029-03-01" in page
    assert "在用" in page
    c.post(url + "/act", data={"action": "inspect", "result": "pass", "on": "not-a-date"})
    assert "不是有效日期" in c.get(url).get_data(as_text=True)
    assert events_of(code) == ["registered", "inspected", "safety_assessed"]


def test_search_page_past_the_last_leads_back(browser, registry, world):
    for _ in range(3):
        registry.cylinder(manufacturer="乙厂")
    c = _as(browser, world, "regulator")
    html = c.get("/oversight/search?manufacturer=乙厂&per_page=2&page=2").get_data(as_text=True)
    assert "共找到 3 只气瓶" in html and 'data-testid="next-page"' not in html
    html = c.get("/oversight/search?manufacturer=乙厂&per_page=2&page=7").get_data(as_text=True)
    assert "共找到 3 只气瓶" in html  # a stale or typed link past the end
    back = re.search(r'<a href="([^"]+)"[^>]*>← ', html)
    assert back and "page=2" in back.group(1).replace("&amp;", "&")  # back to the last page
    assert "此页没有气瓶" in html
    registry.cylinder(manufacturer="乙厂")  # four: the second page is full and the last
    html = c.get("/oversight/search?manufacturer=乙厂&per_page=2&page=2").get_data(as_text=True)
    assert 'data-testid="next-page"' not in html


def test_a_bad_query_parameter_is_refused_not_ignored(browser, api, world):
    """`/oversight/reports?org_id=abc` showed the whole district's report (the bad id was
    dropped as if none were given); so did the other regulator pages and list APIs with a bad
    id, kind or date. Now each answers 400 naming the parameter."""
    c = _as(browser, world, "regulator")
    for path, code in (
            ("/oversight/reports?month=2026-05&org_id=abc", "invalid_parameter"),
            ("/oversight/reports?month=2026-05&area_id=1.5", "invalid_parameter"),
            ("/oversight/reports?month=2026-05&org_id=99999999999", "invalid_parameter"),
            ("/oversight/reports?month=2026-05&format=doc", "invalid_parameter"),
            ("/oversight/reports?month=2026-5x", "invalid_month"),
            ("/oversight/flags?area_id=abc", "invalid_parameter"),
            ("/oversight/flags?kind=nonsense", "invalid_parameter"),
            ("/company/hazards?found_from=2026-13-01", "invalid_parameter"),
            ("/company/hazards?org_id=abc", "invalid_parameter")):
        resp = c.get(path, headers=HTML)
        assert resp.status_code == 400, (path, resp.status_code)
        assert code.encode() in resp.data, path
    page = c.get("/oversight/reports?org_id=abc", headers=HTML).get_data(as_text=True)
    assert "查询参数 org_id 必须是编号" in page
    assert c.get("/oversight/reports?month=2026-05&org_id=", headers=HTML).status_code == 200
    assert c.get(f"/oversight/reports?month=2026-05&org_id={world.orgs['company']}",
                 headers=HTML).status_code == 200
    for path in ("/api/v1/vehicles?org_id=abc", "/api/v1/customers?area_id=x",
                 "/api/v1/drivers?org_id=abc", "/api/v1/flags?area_id=abc",
                 "/api/v1/flags?status=closed"):
        resp = api.get(path, world.regulator)
        assert (resp.status_code, resp.json["error"]["code"]) == (400, "invalid_parameter"), path


def test_a_double_submit_on_the_cylinder_page_records_once(browser, registry, world):
    """The page's action forms sent no event id: a double tap on 'record inspection' recorded
    two inspections. Each form now carries a fresh one, and the same id records once."""
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2021-03-01")["code"]
    url = f"/oversight/cylinders/{code}"
    c = _as(browser, world, "inspector")
    page = c.get(url).get_data(as_text=True)
    for form in re.findall(r'<form method="post" action="[^"]*/act".*?</form>', page, re.S):
        assert re.search(r'name="event_id" value="[0-9a-f-]{36}"', form), form[:200]
    ids = re.findall(r'name="event_id" value="([0-9a-f-]{36})"', page)
    assert len(ids) == len(set(ids)) == 2  # inspect and assess: each form, its own event
    form = {"action": "inspect", "result": "pass", "on": "2026-06-01", "event_id": ids[0]}
    assert c.post(url + "/act", data=form).status_code == 303
    assert c.post(url + "/act", data=form).status_code == 303
    db.session.rollback()
    assert events_of(code) == ["registered", "inspected"]
    c.post(url + "/act", data={**form, "event_id": "nonsense"})
    assert "此表单已过期" in c.get(url).get_data(as_text=True)
    c.post(url + "/act", data={"action": "assess", "result": "pass",
                               "extended_until": "2031-01-01"})
    assert "使用年限最多可延长至 2030-03-01" in c.get(url).get_data(as_text=True)
    db.session.rollback()
    assert events_of(code) == ["registered", "inspected"]
    c = _as(browser, world, "regulator")
    page = c.get(url).get_data(as_text=True)
    assert re.search(r'data-testid="seize-form">\s*<input[^>]*csrf_token[^>]*>'
                     r'<input type="hidden" name="event_id" value="[0-9a-f-]{36}"', page)


def test_lifting_a_blacklist_entry_asks_first(browser, registry, world):
    """'Lift' was a button in the list: one tap let the covered cylinders be filled again.
    It now opens a confirmation that says how many cylinders it frees; a lift posted without
    that confirmation changes nothing."""
    registry.cylinder(manufacturer="劣质厂")
    c = _as(browser, world, "regulator")
    c.post("/oversight/blacklist", data={"scope": "manufacturer", "manufacturer": "劣质厂",
                                         "reason": "抽检不合格"})
    db.session.rollback()
    entry = db.session.scalars(db.select(BlacklistEntry)).one()
    page = c.get("/oversight/blacklist").get_data(as_text=True)
    assert f'name="lift" value="{entry.id}"' not in page  # no one-tap lift in the list
    assert c.post("/oversight/blacklist", data={"lift": entry.id}).status_code == 303
    assert "未更改：请先确认撤销" in c.get("/oversight/blacklist").get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(BlacklistEntry, entry.id).active
    page = c.get(f"/oversight/blacklist?lift={entry.id}").get_data(as_text=True)
    assert "撤销黑名单条目“劣质厂”？" in page and "其涵盖的 1 只气瓶此后可以重新充装" in page
    assert "列入黑名单的原因：抽检不合格" in page
    # the question comes first (on a phone the list is far below the add form), and the add
    # form's button says what it does ("黑名单" alone read as a title)
    assert page.index('data-testid="lift-confirm"') < page.index('data-testid="blacklist-form"')
    assert 'data-testid="blacklist-add">列入黑名单</button>' in page
    form = re.search(r'data-testid="lift-confirm">.*?</form>', page, re.S).group(0)
    sent = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert c.post("/oversight/blacklist", data=sent).status_code == 303
    db.session.rollback()
    assert not db.session.get(BlacklistEntry, entry.id).active
    assert 'data-testid="lift-confirm"' not in c.get(
        f"/oversight/blacklist?lift={entry.id}").get_data(as_text=True)  # lifted: no question


def test_search_names_wrong_fields_by_their_labels(browser, world):
    """A bad date or number said `以下字段有误： customer_id, made_from`: the form's internal
    names, in English, on a Chinese page. It now names the fields as their labels do."""
    c = _as(browser, world, "regulator")
    resp = c.get("/oversight/search?made_from=2026-13-45&customer_id=abc")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    alert = re.search(r'role="alert">(.*?)</p>', html, re.S).group(1)
    assert "用户编号" in alert and "制造日期自" in alert
    assert "customer_id" not in alert and "made_from" not in alert
    alert = re.search(r'role="alert">(.*?)</p>', c.get(
        "/oversight/search?due_to=x&lang=en").get_data(as_text=True), re.S).group(1)
    assert "Inspection due to" in alert and "due_to" not in alert


def test_a_cylinders_flags_and_its_page_link_both_ways(browser, client, registry, world,
                                                        events):
    """The cylinder page showed its open flags as bare badges, with no way to the queue where
    they are resolved; a public report named a code without a link; resolving a flag in a
    filtered queue (by area) dropped the filter. Now the page links to its own flags, the
    queue links back, and resolving keeps the queue as it was filtered."""
    code = registry.cylinder()["code"]
    other = registry.cylinder()["code"]
    for c in (code, other):
        events.fill(c, "filler_a", at=BASE)
        events.fill(c, "filler_b", at=BASE.replace(hour=9))  # a clone flag on each
    client.post(f"/c/{code}/report", data={"category": "leak", "message": "阀门漏气"})
    cyl = db.session.scalar(db.select(Cylinder).where(Cylinder.code == code))
    c = _as(browser, world, "regulator")
    page = c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)
    link = f"/oversight/flags?cylinder_id={cyl.id}#queue"
    assert f'href="{link}"' in page
    queue = c.get(link).get_data(as_text=True)
    items = re.findall(r'<li class="queue-item" data-flag="(\d+)"', queue)
    mine = db.session.scalar(db.select(Flag).where(Flag.cylinder_id == cyl.id))
    assert items == [str(mine.id)]  # only this cylinder's flag
    assert f'href="/oversight/cylinders/{code}" data-testid="queue-cylinder"' in queue
    assert f'href="/oversight/cylinders/{code}" data-testid="report-cylinder"' in queue
    resp = c.post(f"/oversight/flags/{mine.id}/resolve",
                  data={"note": "核实", "kind": "", "area_id": "3", "cylinder_id": str(cyl.id)})
    assert resp.headers["Location"].endswith(f"/oversight/flags?area_id=3&cylinder_id={cyl.id}")
    c = _as(browser, world, "inspector")  # the flag queue is the regulators': no link there
    assert "/oversight/flags?" not in c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)


def test_a_seized_cylinders_page_offers_the_inspector_only_the_next_step(browser, registry,
                                                                          world):
    """Once a seized cylinder was handed over, its page still offered 'take into our agency'
    (refused if pressed), and before that it offered 'scrap' (refused too). The page now
    offers the take-over until an agency has it, then scrapping, and says who holds it."""
    code = registry.cylinder()["code"]
    url = f"/oversight/cylinders/{code}"
    c = _as(browser, world, "regulator")
    c.post(url + "/act", data={"action": "seize", "note": "查封", "confirm": "yes"})
    c = _as(browser, world, "inspector")
    page = c.get(url).get_data(as_text=True)
    assert 'data-testid="handover-form"' in page and 'data-testid="scrap-form"' not in page
    c.post(url + "/act", data={"action": "hand_over", "note": "接收"})
    page = c.get(url).get_data(as_text=True)
    assert 'data-testid="handover-form"' not in page and 'data-testid="scrap-form"' in page
    assert '<p class="muted" data-testid="with-agency">已移交特检院。</p>' in page


def test_a_future_month_keeps_the_report_form(browser, world):
    """A month not begun yet (typed, or picked: the picker had no upper bound) answered a bare
    400 page with the code `month_in_future` and only a link home. The report page now keeps
    its form, says why, offers no downloads, and its month picker stops at this month."""
    c = _as(browser, world, "regulator")
    resp = c.get("/oversight/reports?month=2027-05", headers=HTML)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'data-testid="report-form"' in html
    assert re.search(r'data-code="month_in_future">该月份尚未开始。</p>', html)
    assert 'data-testid="xlsx"' not in html and "data-section" not in html
    assert 'max="2026-06"' in html  # the tests' clock: 2026-06-15
    en = c.get("/oversight/reports?month=abc&lang=en", headers=HTML).get_data(as_text=True)
    assert "month must look like 2026-05." in en and 'data-testid="report-form"' in en
    assert c.get("/oversight/reports?month=2027-05&format=pdf").status_code == 400
    assert 'max="2026-06"' in c.get("/oversight/reports?month=2026-05").get_data(as_text=True)


def test_a_code_that_can_be_no_cylinder_says_why(browser, registry, world):
    """A QR from another district's platform, a code failing its check or a valid code never
    registered here all said "0 cylinders found" and nothing more: a foreign label looked like
    a missing record. The page now says which it is; a code's start still just searches."""
    from app.traceability.codes import new_code

    code = registry.cylinder()["code"]
    c = _as(browser, world, "regulator")

    def note(typed, lang="zh_CN"):
        html = c.get("/oversight/search", query_string={"code": typed, "lang": lang}).get_data(
            as_text=True)
        found = re.search(r'data-testid="code-problem">([^<]*)<', html)
        return found.group(1) if found else None

    assert note(f"https://other.gov.cn/c/{code}") == "这个二维码属于其他系统。"
    assert note(f"https://other.gov.cn/c/{code}", "en") == "This QR code belongs to another system."
    assert note("气瓶") == "这不是本系统的气瓶编码。"
    unknown = next(n for n in iter(new_code, None) if n != code and n[:8] != code[:8])
    assert note(unknown) == "本区没有登记使用此编码的气瓶。"
    assert note(code) is None and note(code[:6]) is None  # found, or a prefix search
    assert note(f"https://gas.example.cn/c/{code}") is None  # our own QR finds it
    assert note("ZZZZ") is None  # the start of a code that matches nothing: no verdict
    assert note("ZZZZ-ZZZZ-ZZZZ-ZZZZ") == "编码校验不通过，可能输错或识读有误。"


def test_each_action_on_the_cylinder_page_is_named_and_an_empty_card_says_so(browser,
                                                                              registry, world):
    """The inspector's page stacked four forms of bare "Note" boxes and buttons, with nothing
    saying which box belonged to which step; a cylinder whose life had ended showed an empty
    "Actions" card. Each form now has its heading; an empty card says why it is empty."""
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2021-03-01")["code"]
    url = f"/oversight/cylinders/{code}"
    c = _as(browser, world, "inspector")
    page = c.get(url).get_data(as_text=True)
    for testid, heading in (("inspect-form", "定期检验"), ("assess-form", "安全评估")):
        form = re.search(rf'data-testid="{testid}">\s*<input[^\n]*\n\s*<h3>([^<]*)</h3>', page)
        assert form and form.group(1) == heading, testid
    c = _as(browser, world, "regulator")
    assert re.search(r'data-testid="seize-form">\s*<input[^\n]*\n\s*<h3>查封扣押</h3>',
                     c.get(url).get_data(as_text=True))
    c.post(url + "/act", data={"action": "seize", "note": "查封", "confirm": "yes"})
    page = c.get(url).get_data(as_text=True)
    assert 'data-testid="no-actions">当前您对此气瓶无可执行的操作。' in page
    c = _as(browser, world, "inspector")
    c.post(url + "/act", data={"action": "hand_over", "note": "接收"})
    c.post(url + "/act", data={"action": "scrap", "note": "压扁", "confirm": "yes"})
    c = _as(browser, world, "regulator")
    c.post(url + "/act", data={"action": "cancel", "note": "注销", "confirm": "yes"})
    page = c.get(url).get_data(as_text=True)
    assert 'data-testid="no-actions">无：此气瓶已报废或注销。' in page
    assert "<form" not in page.split('class="card actions"')[1]


def test_search_results_download_as_a_workbook(browser, registry, world):
    """The search listed 25 cylinders a page and offered no file: a regulator could not hand
    the list on. The page now links to every result as XLSX, with the same filters."""
    for _ in range(3):
        registry.cylinder(manufacturer="丙厂")
    other = registry.cylinder(manufacturer="丁厂")["code"]
    c = _as(browser, world, "regulator")
    html = c.get("/oversight/search?manufacturer=丙厂&per_page=2&page=2").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="search-xlsx"', html).group(1)
    link = link.replace("&amp;", "&")
    assert "format=xlsx" in link and "page=" not in link  # every page, not the one shown
    resp = c.get(link)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="cylinders-2026-06-15.xlsx"' in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "气瓶查询结果" and rows[1][2] == "共 3 条" and rows[2][1] == "气瓶编码"
    assert [r[4] for r in rows[3:]] == ["丙厂"] * 3 and other[:4] not in str(rows)
    assert {r[7] for r in rows[3:]} == {"在用"}
    en = c.get(link + "&lang=en")
    assert load_workbook(io.BytesIO(en.data)).worksheets[0]["A1"].value == (
        "Cylinder search results")
    assert 'data-testid="search-xlsx"' not in c.get("/oversight/search").get_data(as_text=True)
    assert c.get("/oversight/search?manufacturer=丙厂&format=doc").status_code == 400
