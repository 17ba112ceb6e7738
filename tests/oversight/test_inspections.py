"""Inspections by agencies: pass sets the due date, fail scraps, assessments extend life once."""
from __future__ import annotations

from app.extensions import db
from app.traceability.models import Code


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
    assert again.status_code == 409 and again.json["error"]["code"] == "already_scrapped"


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
    assert seized.status_code == 409 and seized.json["error"]["code"] == "seized"


def test_safety_assessment_extends_life_once_within_the_rules(api, registry, world):
    cyl = registry.cylinder(manufactured_on="2018-03-01", last_inspected_on="2024-03-01")
    assert cyl["service_life_ends"] == "2026-03-01"
    assert cyl["status"] == "beyond_service_life"
    url = f"/api/v1/cylinders/{cyl['code']}/safety-assessments"
    too_long = api.post(url, world.inspector, json={"result": "pass",
                                                     "extended_until": "2031-01-01"})
    assert too_long.status_code == 409 and too_long.json["error"]["code"] == "extension_too_long"
    resp = api.post(url, world.inspector, json={"result": "pass"})
    assert resp.status_code == 201, resp.json
    assert resp.json["cylinder"]["service_life_ends"] == "2030-03-01"
    assert resp.json["cylinder"]["status"] == "in_service"
    assert resp.json["event"]["data"]["extended_until"] == "2030-03-01"
    twice = api.post(url, world.inspector, json={"result": "pass"})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_extended"
    failed = api.post(url, world.inspector, json={"result": "fail"})
    assert failed.status_code == 201 and failed.json["cylinder"]["status"] == "scrapped"
