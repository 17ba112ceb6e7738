"""Inspections by agencies: pass sets the due date, fail scraps, assessments extend life once.

An agency records results only on cylinders in its hands; the one extension only near the
design end and only if it reaches past today.
"""
from __future__ import annotations

from app.auth import services as auth
from app.extensions import db
from app.traceability.models import Code
from tests.conftest import Actor


def _refused(resp, code):
    assert resp.status_code == 409 and resp.json["error"]["code"] == code, resp.json


def _inspect(api, actor, code, **body):
    return api.post(f"/api/v1/cylinders/{code}/inspections", actor, json=body)


def test_pass_sets_the_next_due_date(api, registry, world):
    cyl = registry.cylinder(last_inspected_on="2021-05-01", manufactured_on="2020-01-01")
    assert cyl["status"] == "inspection_overdue"
    resp = _inspect(api, world.inspector, cyl["code"], result="pass", inspected_on="2026-06-01")
    assert resp.status_code == 201, resp.json
    assert resp.json["cylinder"]["next_inspection_due"] == "2030-06-01"
    assert resp.json["cylinder"]["status"] == "in_service"
    assert resp.json["event"]["data"]["next_due"] == "2030-06-01"
    assert resp.json["event"]["data"]["agency_org_id"] == world.orgs["agency"]


def test_an_older_report_entered_late_moves_no_date_back(api, registry, world):
    cyl = registry.cylinder(last_inspected_on="2021-05-01", manufactured_on="2020-01-01")
    assert _inspect(api, world.inspector, cyl["code"], result="pass",
                    inspected_on="2026-06-01").status_code == 201
    late = _inspect(api, world.inspector, cyl["code"], result="pass", inspected_on="2022-01-01")
    assert late.status_code == 201  # kept in the history ...
    assert late.json["event"]["data"]["inspected_on"] == "2022-01-01"
    read = api.get(f"/api/v1/cylinders/{cyl['code']}", world.regulator).json
    assert (read["last_inspected_on"], read["status"]) == ("2026-06-01", "in_service")  # ... only


def test_fail_scraps_and_retires_the_code(api, registry, world):
    code = registry.cylinder()["code"]
    resp = _inspect(api, world.inspector, code, result="fail", inspected_on="2026-06-01",
                    note="壁厚不足")
    assert resp.status_code == 201
    assert resp.json["cylinder"]["status"] == "scrapped"
    assert db.session.get(Code, code).status == "retired"
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]][-2:] == ["inspected", "scrapped"]
    again = _inspect(api, world.inspector, code, result="pass", inspected_on="2026-06-02")
    _refused(again, "already_scrapped")


def test_inspection_refusals(api, registry, world):
    code = registry.cylinder()["code"]
    assert _inspect(api, world.regulator, code, result="pass",
                    inspected_on="2026-06-01").status_code == 403
    assert _inspect(api, world.inspector, code, result="maybe",
                    inspected_on="2026-06-01").status_code == 400
    future = _inspect(api, world.inspector, code, result="pass", inspected_on="2026-07-01")
    assert future.status_code == 400 and future.json["error"]["code"] == "invalid_date"
    api.post(f"/api/v1/cylinders/{code}/seize", world.regulator, json={"note": "x"})
    seized = _inspect(api, world.inspector, code, result="pass", inspected_on="2026-06-01")
    _refused(seized, "seized")


def test_safety_assessment_extends_life_once_within_the_rules(api, registry, world):
    cyl = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2024-03-01")
    assert cyl["service_life_ends"] == "2026-03-01"
    assert cyl["status"] == "beyond_service_life"
    url = f"/api/v1/cylinders/{cyl['code']}/safety-assessments"
    too_long = api.post(url, world.inspector, json={"result": "pass",
                                                     "extended_until": "2031-01-01"})
    _refused(too_long, "extension_too_long")
    resp = api.post(url, world.inspector, json={"result": "pass"})
    assert resp.status_code == 201, resp.json
    assert resp.json["cylinder"]["service_life_ends"] == "2030-03-01"
    assert resp.json["cylinder"]["status"] == "in_service"
    assert resp.json["event"]["data"]["extended_until"] == "2030-03-01"
    twice = api.post(url, world.inspector, json={"result": "pass"})
    _refused(twice, "already_extended")
    failed = api.post(url, world.inspector, json={"result": "fail"})
    assert failed.status_code == 201 and failed.json["cylinder"]["status"] == "scrapped"


def _other_agency_inspector() -> Actor:
    """An inspector of a second agency (the world has one)."""
    org = auth.create_org("省特检院", "inspection_agency")
    user = auth.create_user(None, "inspector_b", org.id, "inspector")
    actor = Actor("inspector_b", user.id, org.id, "inspector", auth.issue_token(user))
    db.session.commit()
    return actor


def _assess(api, actor, code, **body):
    return api.post(f"/api/v1/cylinders/{code}/safety-assessments", actor, json=body)


def _types(api, world, code):
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    return [e["type"] for e in history["events"]]


def test_an_agency_cannot_fail_a_cylinder_another_agency_holds(api, registry, world):
    other = _other_agency_inspector()
    seized = registry.cylinder()["code"]
    api.post(f"/api/v1/cylinders/{seized}/seize", world.regulator, json={"note": "黑气瓶"})
    api.post(f"/api/v1/cylinders/{seized}/hand-over", world.inspector, json={"note": "移交"})
    inspected = registry.cylinder()["code"]  # in service, brought to agency A and passed
    assert _inspect(api, world.inspector, inspected, result="pass",
                    inspected_on="2026-06-01").status_code == 201
    for code in (seized, inspected):
        scrap = api.post(f"/api/v1/cylinders/{code}/scrap", other, json={"note": "x"})
        _refused(scrap, "not_with_agency")
        for resp in (_inspect(api, other, code, result="fail", inspected_on="2026-06-01"),
                     _assess(api, other, code, result="fail")):
            assert resp.status_code == 409, resp.json
            assert resp.json["error"]["code"] == "not_with_agency"
    assert _types(api, world, seized) == ["registered", "seized", "handed_to_agency"]
    assert _types(api, world, inspected) == ["registered", "inspected"]
    cyl = api.get(f"/api/v1/cylinders/{inspected}", world.regulator).json
    assert cyl["status"] == "in_service"
    assert db.session.get(Code, inspected).status != "retired"
    resp = _inspect(api, world.inspector, seized, result="fail", inspected_on="2026-06-01")
    assert resp.status_code == 201 and resp.json["cylinder"]["status"] == "scrapped"


def test_a_seized_cylinder_is_handed_over_before_any_result(api, registry, world):
    code = registry.cylinder()["code"]
    api.post(f"/api/v1/cylinders/{code}/seize", world.regulator, json={"note": "黑气瓶"})
    for resp in (_inspect(api, world.inspector, code, result="fail", inspected_on="2026-06-01"),
                 _assess(api, world.inspector, code, result="fail")):
        _refused(resp, "not_with_agency")
    assert _assess(api, world.inspector, code, result="pass").json["error"]["code"] == "seized"
    assert _types(api, world, code) == ["registered", "seized"]
    api.post(f"/api/v1/cylinders/{code}/hand-over", world.inspector, json={"note": "移交"})
    resp = _assess(api, world.inspector, code, result="fail")
    assert resp.status_code == 201 and resp.json["cylinder"]["status"] == "scrapped"
    assert _types(api, world, code) == ["registered", "seized", "handed_to_agency",
                                        "safety_assessed", "scrapped"]


def test_the_agency_an_owner_brings_a_cylinder_to_inspects_it(api, registry, world, events):
    other = _other_agency_inspector()
    code = registry.cylinder()["code"]
    events.fill(code)  # at a filling station, with no agency
    resp = _inspect(api, other, code, result="fail", inspected_on="2026-06-01")
    assert resp.status_code == 201 and resp.json["cylinder"]["status"] == "scrapped"
    assert resp.json["event"]["data"]["agency_org_id"] == other.org_id


def test_life_is_extended_only_near_the_design_end(api, registry, world):
    early = registry.cylinder(manufactured_on="2023-05-01", last_inspected_on="2023-05-01")
    assert early["service_life_ends"] == "2031-05-01"
    resp = _assess(api, world.inspector, early["code"], result="pass")
    _refused(resp, "assessment_too_early")
    edge = registry.cylinder(manufactured_on="2019-06-16", last_inspected_on="2023-06-16")
    resp = _assess(api, world.inspector, edge["code"], result="pass")  # window opens tomorrow
    _refused(resp, "assessment_too_early")
    near = registry.cylinder(manufactured_on="2018-06-16", last_inspected_on="2022-06-16")
    resp = _assess(api, world.inspector, near["code"], result="pass")  # design end tomorrow
    assert resp.status_code == 201, resp.json
    assert resp.json["cylinder"]["service_life_ends"] == "2030-06-16"
    for cyl in (early, edge):
        after = api.get(f"/api/v1/cylinders/{cyl['code']}", world.regulator).json
        assert after["life_extended_until"] is None


def test_an_extension_that_ends_in_the_past_is_refused_not_spent(api, registry, world):
    old = registry.cylinder(manufactured_on="2005-06-01", last_inspected_on="2024-05-01")
    assert old["service_life_ends"] == "2020-06-01"
    resp = _assess(api, world.inspector, old["code"], result="pass")
    _refused(resp, "extension_already_past")
    lapsed = registry.cylinder(manufactured_on="2017-01-01", last_inspected_on="2025-01-01")
    resp = _assess(api, world.inspector, lapsed["code"], result="pass",
                   extended_until="2026-01-01")
    _refused(resp, "extension_already_past")
    for cyl in (old, lapsed):
        after = api.get(f"/api/v1/cylinders/{cyl['code']}", world.regulator).json
        assert after["life_extended_until"] is None
        assert after["status"] == "beyond_service_life"
    resp = _assess(api, world.inspector, lapsed["code"], result="pass")
    assert resp.status_code == 201 and resp.json["cylinder"]["service_life_ends"] == "2029-01-01"
