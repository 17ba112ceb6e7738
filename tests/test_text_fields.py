"""The text rule where the API takes names and reasons (organisations, users, the rule table,
the blacklist, flags): 400 invalid_text naming the field, nothing written."""
from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import Organisation, User
from app.extensions import db
from app.oversight.models import BlacklistEntry
from app.traceability.flags import raise_flag
from app.traceability.models import Flag, RuleChange
from app.traceability.services import find_cylinder

RLO = "\u202e"


def _count(model: type) -> int:
    db.session.rollback()  # a fresh read
    return db.session.scalar(select(func.count()).select_from(model))


def _invalid_text(resp, field: str) -> dict:
    assert resp.status_code == 400, (resp.status_code, resp.data)
    error = resp.json["error"]
    assert error["code"] == "invalid_text" and error["details"]["field"] == field, error
    assert f"field {field} " in error["message"]
    return error


def test_organisation_and_user_names_with_hidden_characters_are_refused(api, world):
    orgs, users = _count(Organisation), _count(User)
    _invalid_text(api.post("/api/v1/orgs", world.admin,
                           json={"name": f"第三{RLO}充装站", "kind": "filling_station"}), "name")
    _invalid_text(api.post("/api/v1/users", world.admin, json={
        "name": "filler\u200b9", "org_id": world.orgs["station_a"], "role": "filler"}), "name")
    error = _invalid_text(api.post("/api/v1/users", world.admin, json={
        "name": "filler9", "display_name": "李\u2067四", "org_id": world.orgs["station_a"],
        "role": "filler"}), "display_name")
    assert error["details"]["character"] == "U+2067" and error["details"]["position"] == 2
    assert (_count(Organisation), _count(User)) == (orgs, users)
    ok = api.post("/api/v1/orgs", world.admin,
                  json={"name": "第三充装站🔥", "kind": "filling_station"})
    assert ok.status_code == 201, ok.json


def test_a_rule_change_reason_or_a_blacklist_reason_with_bidi_is_refused(api, world):
    changes, entries = _count(RuleChange), _count(BlacklistEntry)
    _invalid_text(api.put("/api/v1/rules/models/YSP35.5", world.regulator, json={
        "inspection_interval_years": 2, "reason": f"依据{RLO}文件"}), "reason")
    _invalid_text(api.put("/api/v1/rules/models/YSP35.5", world.regulator, json={
        "banned": True, "banned_reason": "召回\x1b[8m"}), "banned_reason")
    _invalid_text(api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "model", "model": "YSP12", "reason": f"召回{RLO}"}), "reason")
    assert (_count(RuleChange), _count(BlacklistEntry)) == (changes, entries)
    ok = api.put("/api/v1/rules/models/YSP35.5", world.regulator, json={
        "inspection_interval_years": 2, "reason": "依据：\n市监局2026年1号文"})
    assert ok.status_code == 200, ok.json  # a reason may run over lines


def test_a_flag_resolution_note_with_bidi_is_refused_on_the_api_and_the_page(api, registry,
                                                                            world):
    cyl = registry.cylinder()
    db.session.rollback()
    flag = raise_flag("clone_suspected", cylinder=find_cylinder(cyl["code"]), actor=None)
    db.session.commit()
    _invalid_text(api.post(f"/api/v1/flags/{flag.id}/resolve", world.regulator,
                           json={"note": f"已核实{RLO}"}), "note")
    page = api.post(f"/oversight/flags/{flag.id}/resolve", world.regulator,
                    headers={"Accept": "text/html"}, data={"note": f"已核实{RLO}"})
    assert page.status_code in (302, 303), page.data
    listing = api.get("/oversight/flags", world.regulator, headers={"Accept": "text/html"})
    assert "“说明”的第 4 个字符是改变文字显示顺序的字符" in listing.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Flag, flag.id).status == "open"
