"""Seizure to scrapping through the API: each step by its role, in order, once."""
from __future__ import annotations

import uuid

import pytest

from app.extensions import db
from app.traceability.models import Code, Flag


def _post(api, actor, code, step, **body):
    return api.post(f"/api/v1/cylinders/{code}/{step}", actor, json={"note": "n", **body})


def test_seize_hand_over_scrap_cancel_each_by_its_role(api, registry, world, events):
    code = registry.cylinder()["code"]
    assert _post(api, world.inspector, code, "seize").status_code == 403
    assert _post(api, world.company_admin, code, "seize").status_code == 403
    assert _post(api, world.inspector, code, "hand-over").json["error"]["code"] == "not_seized"
    resp = _post(api, world.regulator, code, "seize", order_no="莲市监扣字〔2026〕1号")
    assert resp.status_code == 201, resp.json
    assert resp.json["cylinder"]["status"] == "seized"
    assert resp.json["event"]["data"]["order_no"] == "莲市监扣字〔2026〕1号"
    again = _post(api, world.regulator, code, "seize").json["error"]
    assert again == {"code": "already_seized", "message": "This cylinder is seized already."}
    assert _post(api, world.inspector, code, "scrap").json["error"]["code"] == "not_with_agency"
    assert _post(api, world.regulator, code, "cancel-registration").json["error"]["code"] \
        == "not_scrapped"
    assert _post(api, world.regulator, code, "hand-over").status_code == 403
    resp = _post(api, world.inspector, code, "hand-over")
    assert resp.status_code == 201 and resp.json["event"]["data"]["agency_org_id"] \
        == world.orgs["agency"]
    assert _post(api, world.regulator, code, "scrap").status_code == 403
    resp = _post(api, world.inspector, code, "scrap")
    assert resp.status_code == 201 and resp.json["cylinder"]["status"] == "scrapped"
    assert db.session.get(Code, code).status == "retired"
    assert _post(api, world.inspector, code, "cancel-registration").status_code == 403
    resp = _post(api, world.regulator, code, "cancel-registration")
    assert resp.status_code == 201
    assert resp.json["cylinder"]["status"] == "registration_cancelled"
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    types = [e["type"] for e in history["events"]]
    assert types == ["registered", "seized", "handed_to_agency", "scrapped",
                     "registration_cancelled"]
    assert history["chain_ok"]


def test_retry_with_the_same_event_id_records_once(api, registry, world):
    code = registry.cylinder()["code"]
    event_id = str(uuid.uuid4())
    first = _post(api, world.regulator, code, "seize", event_id=event_id)
    again = _post(api, world.regulator, code, "seize", event_id=event_id)
    assert first.status_code == again.status_code == 201
    assert again.json["created"] is False and again.json["event"]["id"] == event_id
    history = api.get(f"/api/v1/cylinders/{code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]].count("seized") == 1
    reused = _post(api, world.inspector, code, "hand-over", event_id=event_id)
    assert reused.status_code == 409 and reused.json["error"]["code"] == "event_id_reused"


def test_steps_refuse_bad_input_and_unknown_codes(api, registry, world):
    code = registry.cylinder()["code"]
    assert api.post(f"/api/v1/cylinders/{code}/seize", world.regulator,
                    json={}).status_code == 400
    assert api.post(f"/api/v1/cylinders/{code}/seize", world.regulator,
                    json={"note": "x", "event_id": "nope"}).status_code == 400
    resp = api.post("/api/v1/cylinders/not-a-code/seize", world.regulator, json={"note": "x"})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "foreign_code"
    other = registry.codes(1)[0]["code"]  # issued, never registered
    resp = api.post(f"/api/v1/cylinders/{other}/seize", world.regulator, json={"note": "x"})
    assert resp.status_code == 404
    assert api.post(f"/api/v1/cylinders/{code}/seize", json={"note": "x"}).status_code == 401


@pytest.mark.parametrize("kind", ["filled", "delivered", "fill_refused"])
def test_a_dead_code_seen_again_raises_black_cylinder(api, registry, world, events, kind):
    code = registry.cylinder()["code"]
    for step, actor in (("seize", world.regulator), ("hand-over", world.inspector),
                        ("scrap", world.inspector)):
        assert _post(api, actor, code, step).status_code == 201
    if kind == "filled":
        events.fill(code, "filler_b", place="南郊充装站")
    elif kind == "delivered":
        events.deliver(code)
    else:
        events.refuse(code, "filler_b", "scrapped")
    flags = db.session.scalars(db.select(Flag).where(Flag.kind == "black_cylinder")).all()
    assert len(flags) == 1
    assert flags[0].details["reason"] == "seen_after_scrapped"
    assert flags[0].details["event_type"] == kind
    events.fill(code, "filler_a")  # a second sighting counts on the same flag
    db.session.rollback()
    flag = db.session.scalars(db.select(Flag).where(Flag.kind == "black_cylinder")).one()
    assert flag.occurrences == 2


def test_oversight_steps_on_a_scrapped_cylinder_raise_no_black_flag(api, registry, world):
    code = registry.cylinder()["code"]
    for step, actor in (("seize", world.regulator), ("hand-over", world.inspector),
                        ("scrap", world.inspector), ("cancel-registration", world.regulator)):
        assert _post(api, actor, code, step).status_code == 201
    assert db.session.scalar(db.select(db.func.count()).select_from(Flag)) == 0


def test_only_the_agency_holding_it_scraps_it(api, registry, world, events):
    from app.auth import services as auth

    other = auth.create_org("另一检验机构", "inspection_agency")
    stranger = auth.create_user(None, "inspector2", other.id, "inspector")
    token = auth.issue_token(stranger)
    db.session.commit()
    code = registry.cylinder()["code"]
    _post(api, world.regulator, code, "seize")
    _post(api, world.inspector, code, "hand-over")
    events.refuse(code, "filler_b", "seized")  # seen at a station meanwhile: still with the agency
    resp = api.post(f"/api/v1/cylinders/{code}/scrap", headers={
        "Authorization": f"Bearer {token}"}, json={"note": "x"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_with_agency"
    again = _post(api, world.inspector, code, "hand-over")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_handed_over"
    assert _post(api, world.inspector, code, "scrap").status_code == 201
