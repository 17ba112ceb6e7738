"""The public page behind the QR: plain answers, red warnings, no personal data, reports."""
from __future__ import annotations

import datetime as dt

import pytest

from app.auth.models import User
from app.extensions import db
from app.oversight.models import PublicReport
from app.traceability.models import Flag
from tests.conftest import make_app
from tests.oversight.conftest import BASE


def _page(client, path, **kw):
    return client.get(path, headers={"Accept": "text/html"}, **kw)


def test_a_cylinder_in_service(client, registry, world, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    events.deliver(code, 501, at=BASE.replace(hour=12))
    resp = _page(client, f"/c/{code}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "已登记气瓶" in html and "莲池燃气公司" in html and "第一充装站" in html
    assert "2026-05-10" in html and "2028-05-01" in html and "verdict-ok" in html
    for name in ("filler_a", "driver", "501", "SN0000"):  # staff, customers, stamped serial
        assert name not in html
    assert "<script" not in html and len(resp.data) < 20_000


@pytest.mark.parametrize("fields, warning", [
    ({"last_inspected_on": "2021-01-01", "manufactured_on": "2020-01-01"}, "定期检验已超期"),
    ({"manufactured_on": "2010-01-01", "last_inspected_on": "2024-01-01"}, "超过设计使用年限"),
])
def test_overdue_and_over_age_are_red(client, registry, fields, warning):
    code = registry.cylinder(**fields)["code"]
    resp = _page(client, f"/c/{code}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "verdict-bad" in html and warning in html
    assert "请勿使用" in html


def test_seized_and_scrapped_are_red_and_a_dead_code_counts_one_flag(api, client, registry,
                                                                       world):
    code = registry.cylinder()["code"]
    api.post(f"/api/v1/cylinders/{code}/seize", world.regulator, json={"note": "x"})
    assert "已被监管部门查封" in _page(client, f"/c/{code}").get_data(as_text=True)
    api.post(f"/api/v1/cylinders/{code}/hand-over", world.inspector, json={"note": "x"})
    api.post(f"/api/v1/cylinders/{code}/scrap", world.inspector, json={"note": "x"})
    for _ in range(3):
        assert "已报废" in _page(client, f"/c/{code}").get_data(as_text=True)
    db.session.rollback()
    flag = db.session.scalars(db.select(Flag).where(Flag.kind == "black_cylinder")).one()
    assert flag.occurrences == 3 and flag.details["reason"] == "public_scan"


@pytest.mark.parametrize("path", ["/c/0000-0000-0000-0001", "/c/hello", "/c/" + "Z" * 16])
def test_unknown_foreign_or_mistyped_codes_are_a_red_404(client, registry, path):
    resp = _page(client, path)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "verdict-bad" in html and "请勿使用" in html


def test_a_never_issued_but_valid_code_is_red_and_raises_no_flag(client, registry):
    unbound = registry.codes(1)[0]["code"]
    resp = _page(client, f"/c/{unbound}")
    assert resp.status_code == 404 and "未登记" in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Flag)) == 0


def test_the_report_form_lands_in_the_regulators_queue(api, client, registry, world):
    code = registry.cylinder()["code"]
    resp = client.post(f"/c/{code}/report", data={"category": "leak", "message": "阀门漏气",
                                                  "contact": "13800000000"},
                       headers={"Accept": "text/html"})
    assert resp.status_code == 201 and "感谢" in resp.get_data(as_text=True)
    bad = client.post(f"/c/{code}/report", data={"category": "leak", "message": ""})
    assert bad.status_code == 400
    wrong = client.post(f"/c/{code}/report", data={"category": "x", "message": "m"})
    assert wrong.status_code == 400
    queue = api.get("/api/v1/public-reports", world.regulator).json
    assert [(r["code"], r["category"], r["message"]) for r in queue] == [
        (code, "leak", "阀门漏气")]
    assert api.get("/api/v1/public-reports", world.company_admin).status_code == 403
    closed = api.post(f"/api/v1/public-reports/{queue[0]['id']}/close", world.regulator,
                      json={"note": "已上门处理"})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    again = api.post(f"/api/v1/public-reports/{queue[0]['id']}/close", world.regulator,
                     json={"note": "x"})
    assert again.status_code == 409
    db.session.rollback()
    assert db.session.get(PublicReport, queue[0]["id"]).note == "已上门处理"


def test_only_regulators_close_a_report_from_the_flags_page(api, world, ctx):
    """Found by the authorisation matrix: a station's admin posting the page's close form was
    redirected back with a message instead of being refused like the API refuses it."""
    from app.oversight.public import submit_report

    report_id = submit_report("ABC", "other", "m", None).id
    db.session.commit()
    form = {"data": {"note": "关闭"}, "headers": {"Accept": "text/html"}}
    refused = api.post(f"/oversight/public-reports/{report_id}/close", world.station_a_admin,
                       **form)
    assert refused.status_code == 403
    db.session.rollback()
    assert db.session.get(PublicReport, report_id).status == "open"
    done = api.post(f"/oversight/public-reports/{report_id}/close", world.regulator, **form)
    assert done.status_code == 303
    db.session.rollback()
    assert db.session.get(PublicReport, report_id).status == "closed"


def test_a_value_the_database_refuses_at_the_final_commit_is_bad_input(api, world, ctx,
                                                                       monkeypatch):
    # closing a report writes nothing until the request's commit; PostgreSQL refuses a NUL
    # in text there (a DataError), which the commit hook let through as a 500 page. A NUL in
    # a form is now refused before any view (app/request_text.py) and by the text rule in the
    # service (app/text_fields.py): let it through both to reach the commit, the last line of
    # defence
    from app import request_text
    from app.oversight import public
    from app.oversight.public import submit_report

    monkeypatch.setattr(request_text, "field_with_nul", lambda: None)
    monkeypatch.setattr(public, "require_clean_text", lambda text, *args, **kwargs: text)

    report_id = submit_report("ABC", "other", "m", None).id
    db.session.commit()
    resp = api.post(f"/oversight/public-reports/{report_id}/close", world.regulator,
                    data={"note": "a\x00b"}, headers={"Accept": "text/html"})
    db.session.rollback()
    status = db.session.get(PublicReport, report_id).status
    if ctx.config["BACKEND"] == "postgresql":
        assert resp.status_code == 400, resp.data
        assert b"value_out_of_range" in resp.data and resp.mimetype == "text/html"
        assert status == "open"
    else:  # SQLite stores the NUL
        assert (resp.status_code, status) == (303, "closed")


def test_rate_limits_answer_429_in_the_error_shape(tmp_path):
    limited = make_app("sqlite", tmp_path, RATELIMIT_ENABLED=True)
    client = limited.test_client()
    statuses = [client.get("/c/hello").status_code for _ in range(61)]
    assert statuses[:60] == [404] * 60 and statuses[60] == 429
    resp = client.get("/c/hello", headers={"Accept": "application/json"})
    assert resp.status_code == 429 and resp.json["error"]["code"] == "rate_limited"
    html = client.get("/c/hello", headers={"Accept": "text/html"})
    assert html.status_code == 429 and "429" in html.get_data(as_text=True)
    posts = [client.post("/c/hello/report", data={"category": "other", "message": "m"})
             .status_code for _ in range(6)]
    assert posts[:5] == [201] * 5 and posts[5] == 429
    with limited.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PublicReport)) == 5
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0
        db.engine.dispose()


@pytest.mark.parametrize("fields", [{"message": "阀门\x00漏气"}, {"message": "阀门\x1b漏气"},
                                    {"contact": "138\x0000"}])
def test_a_report_with_a_control_character_gets_the_form_back(api, client, registry, world,
                                                             fields):
    """SQLite stored it; PostgreSQL refuses a NUL, and the reporter got a bare "value out of
    range" error page instead of the form (and the same text was fine on SQLite)."""
    code = registry.cylinder()["code"]
    data = {"category": "leak", "message": "阀门漏气", **fields}
    resp = client.post(f"/c/{code}/report", data=data, headers={"Accept": "text/html"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'data-testid="report-form"' in html and "alert-bad" in html
    assert "控制字符" in html  # told in the page's language
    assert api.get("/api/v1/public-reports", world.regulator).json == []
    ok = client.post(f"/c/{code}/report", headers={"Accept": "text/html"},
                     data={"category": "leak", "message": "阀门漏气\r\n第二行\t完"})
    assert ok.status_code == 201  # line breaks and tabs of a textarea are fine


def test_a_report_on_a_code_text_with_a_nul_is_taken(api, client, world):
    resp = client.post("/c/AB%00CD/report", data={"category": "fake_code", "message": "假码"},
                       headers={"Accept": "text/html"})
    assert resp.status_code == 201
    assert [r["code"] for r in api.get("/api/v1/public-reports", world.regulator).json] == [
        "ABCD"]


def test_an_overfilled_cylinder_is_red_until_it_is_weighed_again(api, client, registry, world):
    """The flags that stop a delivery at the door (overfill here) must not look safe to the
    person holding the cylinder; clearing the hold turns the page green again."""
    code = registry.cylinder()["code"]
    entrusted = api.post("/api/v1/entrustments", world.company_admin, json={
        "owner_org_id": world.orgs["company"], "station_org_id": world.orgs["station_a"],
        "valid_from": "2026-01-01", "valid_to": "2099-12-31"})
    assert entrusted.status_code == 201, entrusted.json
    filled = api.post("/api/v1/fillings", world.filler_a, json={"code": code,
                                                               "net_mass_kg": 16.4})
    assert filled.status_code == 201 and filled.json["fill"]["overfill"] is True, filled.json
    html = _page(client, f"/c/{code}").get_data(as_text=True)
    assert "verdict-bad" in html and "超装" in html
    event_id = filled.json["fill"]["event_id"]
    cleared = api.post(f"/api/v1/fillings/{event_id}/reweigh", world.filler_a,
                       json={"net_mass_kg": 14.5})
    assert cleared.status_code == 200
    html = _page(client, f"/c/{code}").get_data(as_text=True)
    assert "verdict-ok" in html and "超装" not in html


def test_a_suspected_clone_is_red_without_saying_where_it_was_seen(client, registry, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    assert "verdict-ok" in _page(client, f"/c/{code}").get_data(as_text=True)
    events.fill(code, "filler_b", at=BASE + dt.timedelta(hours=2))
    html = _page(client, f"/c/{code}").get_data(as_text=True)
    assert "verdict-bad" in html and "可能是仿冒" in html
    assert "filler_b" not in html and "第一充装站" not in html  # the first sighting stays private


def test_a_scrapped_code_says_scrapped_once_not_also_under_checking(client, registry, api,
                                                                     world):
    code = registry.cylinder()["code"]
    api.post(f"/api/v1/cylinders/{code}/seize", world.regulator, json={"note": "x"})
    api.post(f"/api/v1/cylinders/{code}/hand-over", world.inspector, json={"note": "x"})
    api.post(f"/api/v1/cylinders/{code}/scrap", world.inspector, json={"note": "x"})
    _page(client, f"/c/{code}")  # raises the black_cylinder flag
    html = _page(client, f"/c/{code}").get_data(as_text=True)
    assert "已报废" in html and "正在核查" not in html


def test_a_report_closed_twice_at_once_is_closed_once(api, world, clean_app):
    """Both read 'open' before either wrote (PostgreSQL runs them side by side): the second
    overwrote the first's note and closer. Now the second waits and answers 409."""
    from app.oversight.public import submit_report
    from tests.db_helpers import race

    with clean_app.app_context():
        report_id = submit_report("ABC", "other", "m", None).id
        db.session.commit()
    path = f"/api/v1/public-reports/{report_id}/close"
    answers = race(clean_app, [
        lambda client, note=note: client.post(path, json={"note": note},
                                              headers=world.regulator.headers)
        for note in ("已上门处理", "电话回访")],
        lambda sql: sql.lstrip().upper().startswith("UPDATE PUBLIC_REPORTS"))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "report_already_closed"]
    done = next(a for a in answers if a.status_code == 200).json
    with clean_app.app_context():
        assert db.session.get(PublicReport, report_id).note == done["note"]


@pytest.mark.parametrize("fields", [
    {"message": "低价液化气 http://spam.example/a https://spam.example/b"},
    {"message": "办证 www.spam.example 加微信 www.spam2.example"},
    {"contact": "https://spam.example"}])
def test_link_spam_is_refused_and_one_quoted_address_is_taken(api, client, registry, world,
                                                              fields):
    """Reports with a string of links went into the regulators' queue as any other. Now a
    report quotes one web address at most (what a fake QR opened), the phone field none."""
    code = registry.cylinder()["code"]
    data = {"category": "other", "message": "瓶身有广告", "contact": "", **fields}
    resp = client.post(f"/c/{code}/report", data=data, headers={"Accept": "text/html"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "最多引用一个网址" in html
    assert api.get("/api/v1/public-reports", world.regulator).json == []
    quoted = client.post(f"/c/{code}/report", headers={"Accept": "text/html"},
                         data={"category": "fake_code",
                               "message": "扫码打开的是 http://fake.example/c/123，不是政府网站"})
    assert quoted.status_code == 201


def test_a_refused_report_gives_back_what_was_typed(client, registry):
    """The form came back empty after a refusal: the resident typed the whole report again.
    Now the category, the text and the phone are kept (less invisible control characters)."""
    code = registry.cylinder()["code"]
    resp = client.post(f"/c/{code}/report", headers={"Accept": "text/html"}, data={
        "category": "leak", "message": "阀门\x1b漏气", "contact": "13800000000"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert '<option value="leak" selected>' in html
    assert ">阀门漏气</textarea>" in html and 'value="13800000000"' in html
