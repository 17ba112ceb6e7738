"""The inspection desk through the test client: scan, facts, pass, fail with its confirmation,
safety assessments, and every refusal in the reader's language with nothing written."""
from __future__ import annotations

import io
import re
import uuid

import pytest

from app.extensions import db
from app.traceability.models import Code, Cylinder
from tests.filling.photos import qr_photo
from tests.oversight.test_inspections import _other_agency_inspector
from tests.oversight.test_pages import events_of as _events_of

DESK = "/oversight/inspect"
HTML = {"Accept": "text/html"}


def _as(browser, world, name):
    return browser.as_user(world.users[name].id)


def _form(page: str, testid: str) -> dict[str, str]:
    """The hidden and prefilled fields of one form on a page, as a browser would send them."""
    start = page.index(f'data-testid="{testid}"')
    form = page[start:page.index("</form>", start)]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    for name in ("inspected_on", "extended_until", "note"):
        found = re.search(rf'name="{name}"[^>]*?value="([^"]*)"', form)
        if found:
            fields[name] = found.group(1)
    return fields


def _post(c, page, testid, **changes):
    return c.post(DESK, data={**_form(page, testid), **changes})


def events_of(code):
    db.session.rollback()  # see what the requests committed since this session last read
    return _events_of(code)


def _fresh(code):
    db.session.rollback()
    return db.session.scalar(db.select(Cylinder).where(Cylinder.code == code))


def test_a_scanned_code_shows_the_facts_and_the_large_buttons(browser, registry, world):
    cyl = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2021-05-01")
    c = _as(browser, world, "inspector")
    empty = c.get(DESK).get_data(as_text=True)
    assert 'data-testid="code-input"' in empty and "今天还没有记录" in empty
    assert 'capture="environment"' in empty and 'data-testid="facts"' not in empty
    for typed in (cyl["display_code"], cyl["code"].lower(), cyl["payload"]):
        resp = c.get(DESK, query_string={"code": typed})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200, typed
        assert cyl["display_code"] in page and "莲池燃气公司" in page and "SN" in page
        assert "YSP35.5" in page and "百工容器" in page and "2020-01" in page
        assert "2021-05-01" in page and "超期未检" in page
        assert 'data-testid="inspect-pass"' in page and 'data-testid="inspect-fail"' in page
        assert "合格" in page and "不合格，报废" in page
    assert _form(page, "inspect-form")["inspected_on"] == "2026-06-15"
    assert 'data-testid="no-assessment"' in page and "可于 2027-01-01 起延长" in page


def test_a_pass_sets_the_due_date_and_the_desk_is_ready_for_the_next(browser, registry, world):
    code = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2021-05-01")["code"]
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    resp = _post(c, page, "inspect-form", result="pass", note="水压合格")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(DESK)
    page = c.get(DESK).get_data(as_text=True)
    assert "下次检验日期 2030-06-15" in page and 'data-testid="facts"' not in page
    today = page[page.index('data-testid="today"'):]
    assert code[:4] in today and "定期检验" in today and "合格：1" in page
    assert _fresh(code).last_inspected_on.isoformat() == "2026-06-15"
    assert events_of(code) == ["registered", "inspected"]


def test_a_fail_is_confirmed_before_it_scraps(browser, registry, world):
    code = registry.cylinder()["code"]
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    ask = _post(c, page, "inspect-form", result="fail", note="壁厚不足")
    asked = ask.get_data(as_text=True)
    assert ask.status_code == 200 and 'data-testid="confirm"' in asked
    assert "永久报废" in asked and 'data-testid="inspect-pass"' not in asked
    assert 'href="/oversight/inspect" aria-current="page"' in asked  # the menu knows the page
    assert events_of(code) == ["registered"]  # asking writes nothing
    assert c.post(DESK, data=_form(asked, "confirm")).status_code == 303
    page = c.get(DESK).get_data(as_text=True)
    assert "不合格，已报废" in page and "不合格：1" in page
    assert _fresh(code).scrapped_at is not None
    assert db.session.get(Code, code).status == "retired"
    assert events_of(code) == ["registered", "inspected", "scrapped"]
    again = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    assert 'data-testid="blocked"' in again and "该气瓶已报废" in again
    assert 'data-testid="inspect-form"' not in again


def test_a_safety_assessment_near_the_design_end(browser, registry, world):
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2024-03-01")["code"]
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    assert 'data-testid="assess-form"' in page and "2030-03-01" in page
    too_long = _post(c, page, "assess-form", result="pass", extended_until="2031-01-01")
    assert too_long.status_code == 409
    assert "最多可延长至 2030-03-01" in too_long.get_data(as_text=True)
    assert events_of(code) == ["registered"]
    assert _post(c, page, "assess-form", result="pass",
                 extended_until="2029-03-01").status_code == 303
    assert "使用年限延长至 2029-03-01" in c.get(DESK).get_data(as_text=True)
    assert _fresh(code).life_extended_until.isoformat() == "2029-03-01"
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    assert "使用年限已延长过一次" in page and 'data-testid="assess-form"' not in page
    assert _post(c, page, "inspect-form", result="fail").status_code == 200  # asks first


def test_a_failed_assessment_scraps_after_the_confirmation(browser, registry, world):
    code = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2024-03-01")["code"]
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    asked = _post(c, page, "assess-form", result="fail").get_data(as_text=True)
    assert c.post(DESK, data=_form(asked, "confirm")).status_code == 303
    assert "未通过安全评估，已报废" in c.get(DESK).get_data(as_text=True)
    assert events_of(code) == ["registered", "safety_assessed", "scrapped"]


def _refused(c, page, testid, status, words, **changes):
    resp = _post(c, page, testid, **changes)
    body = resp.get_data(as_text=True)
    assert resp.status_code == status, (resp.status_code, words)
    assert words in body[body.index('data-testid="desk-error"'):], words
    return body


def test_bad_input_is_refused_in_words_and_writes_nothing(browser, registry, world):
    code = registry.cylinder()["code"]
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    form = "inspect-form"
    _refused(c, page, form, 400, "检验日期须在制造日期与今天之间", inspected_on="2026-07-01",
             result="pass")
    _refused(c, page, form, 400, "检验日期须在制造日期与今天之间", inspected_on="2020-01-01",
             result="pass")
    back = _refused(c, page, form, 400, "请按日期填写检验日期", inspected_on="June 1st",
                    result="pass", note="留着")
    assert 'value="June 1st"' in back and 'value="留着"' in back  # given back to correct
    _refused(c, page, form, 400, "请选择合格或不合格", result="maybe")
    _refused(c, page, form, 400, "说明过长", result="pass", note="x" * 2001)
    _refused(c, page, form, 400, "此表单已过期", result="pass", event_id="not-a-uuid")
    _refused(c, page, form, 400, "未知操作", result="pass", action="explode")
    unknown = c.post(DESK, data={**_form(page, form), "code": "NOT-OUR-CODE", "result": "pass"})
    assert unknown.status_code == 400 and "这不是本系统的气瓶编码" in unknown.get_data(as_text=True)
    other = registry.codes(1)[0]["code"]  # issued, never registered
    resp = c.get(DESK, query_string={"code": other})
    assert resp.status_code == 404 and "找不到此码对应的气瓶" in resp.get_data(as_text=True)
    english = c.post(DESK + "?lang=en", data={**_form(page, form), "result": "pass",
                                               "inspected_on": "2026-07-01"})
    assert "The inspection date must lie between manufacture and today." in \
        english.get_data(as_text=True)
    assert events_of(code) == ["registered"]


def test_extension_rules_are_said_before_and_refused_on_recording(browser, registry, world):
    early = registry.cylinder(manufactured_on="2023-05-01", last_inspected_on="2023-05-01")
    old = registry.cylinder(manufactured_on="2005-06-01", last_inspected_on="2024-05-01")
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": early["code"]}).get_data(as_text=True)
    assert "暂不能做安全评估" in page and "可于 2030-05-01 起延长" in page
    page = c.get(DESK, query_string={"code": old["code"]}).get_data(as_text=True)
    assert "任何延期都将于 2024-06-01 结束，已经过去" in page
    form = {**_form(page, "inspect-form"), "action": "assess", "result": "pass"}
    resp = c.post(DESK, data=form)  # a form kept open from before, sent anyway
    assert resp.status_code == 409 and "已经过去" in resp.get_data(as_text=True)
    assert events_of(old["code"]) == ["registered"]


def test_seized_cylinders_and_other_agencies_hands(api, browser, registry, world):
    seized = registry.cylinder()["code"]
    api.post(f"/api/v1/cylinders/{seized}/seize", world.regulator, json={"note": "黑气瓶"})
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": seized}).get_data(as_text=True)
    assert "须先移交本机构" in page and "尚未移交检验机构" in page
    assert 'data-testid="inspect-form"' not in page
    # the desk said "hand it over first" and left the inspector there: it now leads to the
    # cylinder page's take-over form
    link = f'href="/oversight/cylinders/{seized}#take-over" data-testid="take-over-link"'
    assert link in page and 'id="take-over"' in c.get(
        f"/oversight/cylinders/{seized}").get_data(as_text=True)
    forged = {"code": seized, "action": "inspect", "result": "fail", "confirm": "yes",
              "inspected_on": "2026-06-01", "event_id": str(uuid.uuid4())}
    resp = c.post(DESK, data=forged)
    assert resp.status_code == 409 and "须先移交本机构" in resp.get_data(as_text=True)
    api.post(f"/api/v1/cylinders/{seized}/hand-over", world.inspector, json={"note": "移交"})
    page = c.get(DESK, query_string={"code": seized}).get_data(as_text=True)
    assert "移交特检院" in page and 'data-testid="no-pass"' in page
    assert 'data-testid="take-over-link"' not in page
    assert 'data-testid="inspect-pass"' not in page and 'data-testid="assess-form"' not in page
    resp = _post(c, page, "inspect-form", result="pass")
    assert resp.status_code == 409 and "已查封的气瓶不能恢复使用" in resp.get_data(as_text=True)
    assert events_of(seized) == ["registered", "seized", "handed_to_agency"]

    other = _other_agency_inspector()
    held = registry.cylinder()["code"]  # brought to the other agency, which passed it
    assert api.post(f"/api/v1/cylinders/{held}/inspections", other,
                    json={"result": "pass", "inspected_on": "2026-06-01"}).status_code == 201
    page = c.get(DESK, query_string={"code": held}).get_data(as_text=True)
    assert "在其他检验机构处" in page and 'data-testid="inspect-form"' not in page
    forged.update(code=held, event_id=str(uuid.uuid4()))
    assert c.post(DESK, data=forged).status_code == 409
    assert events_of(held) == ["registered", "inspected"]
    theirs = browser.as_user(other.id).get(DESK).get_data(as_text=True)
    assert held[:4] in theirs and "合格：1" in theirs  # each agency sees its own day
    mine = _as(browser, world, "inspector").get(DESK).get_data(as_text=True)
    assert held[:4] not in mine and "合格：0" in mine


def test_a_double_submit_records_once(browser, registry, world):
    code = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2021-05-01")["code"]
    c = _as(browser, world, "inspector")
    page = c.get(DESK, query_string={"code": code}).get_data(as_text=True)
    form = {**_form(page, "inspect-form"), "result": "pass"}
    first, second = c.post(DESK, data=form), c.post(DESK, data=form)
    assert first.status_code == second.status_code == 303
    assert events_of(code) == ["registered", "inspected"]
    page = c.get(DESK).get_data(as_text=True)
    assert page.count('data-testid="today-item"') == 1
    fail = registry.cylinder()["code"]
    asked = _post(c, c.get(DESK, query_string={"code": fail}).get_data(as_text=True),
                  "inspect-form", result="fail").get_data(as_text=True)
    confirm = _form(asked, "confirm")
    assert c.post(DESK, data=confirm).status_code == c.post(DESK, data=confirm).status_code == 303
    assert events_of(fail) == ["registered", "inspected", "scrapped"]
    assert "不合格" in c.get(DESK).get_data(as_text=True)  # the replay says what was recorded
    one = _form(c.get(DESK, query_string={"code": code}).get_data(as_text=True), "inspect-form")
    two = _form(c.get(DESK, query_string={"code": code}).get_data(as_text=True), "inspect-form")
    assert one["event_id"] != two["event_id"]  # each rendered form, its own event


@pytest.mark.parametrize("name", ["regulator", "admin", "company_admin", "filler_a", "driver"])
def test_only_an_agencys_inspectors_use_the_desk(browser, registry, world, name):
    code = registry.cylinder()["code"]
    c = _as(browser, world, name)
    assert c.get(DESK, headers=HTML).status_code == 403
    resp = c.post(DESK, data={"code": code, "action": "inspect", "result": "pass"},
                  headers=HTML)
    assert resp.status_code == 403
    assert c.post(DESK + "/photo", headers=HTML).status_code == 403
    assert "检验台" not in c.get("/", headers=HTML).get_data(as_text=True)
    assert events_of(code) == ["registered"]


def test_the_desk_is_in_the_inspectors_menu_and_needs_a_login(browser, world):
    assert browser.get(DESK, headers=HTML).status_code == 302  # to the login
    home = _as(browser, world, "inspector").get("/").get_data(as_text=True)
    assert "检验台" in home and '/oversight/inspect"' in home


def _photo(c, data, name="label.jpg"):
    return c.post(DESK + "/photo", data={"photo": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def test_a_photo_of_the_label_opens_the_cylinder(browser, registry, world):
    cyl = registry.cylinder()
    c = _as(browser, world, "inspector")
    resp = _photo(c, qr_photo([cyl["payload"]]))
    assert resp.status_code == 303
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert cyl["display_code"] in page and 'data-testid="inspect-form"' in page
    other = registry.cylinder()
    for data, status, words in (
            (qr_photo([cyl["payload"], other["payload"]], size=(2000, 1000)), 422,
             "照片中有多个二维码"),
            (qr_photo([]), 422, "照片中没有二维码"),
            (b"not a picture at all", 415, "照片无法读取")):
        resp = _photo(c, data)
        assert resp.status_code == status and words in resp.get_data(as_text=True), words
    resp = c.post(DESK + "/photo", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择一张瓶码照片" in resp.get_data(as_text=True)
    assert events_of(cyl["code"]) == ["registered"]
