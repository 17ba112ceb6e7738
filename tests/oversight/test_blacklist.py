"""The product blacklist: flags covered cylinders and refuses them at the filling interlock."""
from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db
from app.oversight.blacklist import blacklist_fill_check
from app.traceability.checks import extra_fill_reasons
from app.traceability.models import Flag
from tests.db_helpers import race, race_to_insert


def _flags(kind="blacklisted"):
    db.session.rollback()
    return db.session.scalars(db.select(Flag).where(Flag.kind == kind)).all()


def test_blacklisting_a_batch_flags_its_cylinders_and_refuses_filling(api, registry, world,
                                                                      events):
    hit = registry.cylinder(manufacturer="劣质容器厂", manufactured_on="2021-07-01")
    same_month = registry.cylinder(manufacturer="劣质容器厂", manufactured_on="2021-07-01",
                                   model="YSP118")
    other_month = registry.cylinder(manufacturer="劣质容器厂", manufactured_on="2021-08-01")
    other_maker = registry.cylinder(manufactured_on="2021-07-01")
    resp = api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "batch", "manufacturer": "劣质容器厂", "made_in": "2021-07",
        "reason": "焊缝缺陷"})
    assert resp.status_code == 201, resp.json
    assert resp.json["cylinders"] == 2
    flagged = {f.code for f in _flags()}
    assert flagged == {hit["code"], same_month["code"]}
    filler = events.user("filler_a")
    [reason] = extra_fill_reasons(events.cylinder(hit["code"]), filler)
    assert reason.code == "blacklisted" and "黑名单" in reason.message
    assert "blacklisted" in reason.message_en
    assert blacklist_fill_check(events.cylinder(other_month["code"]), filler) == []
    assert blacklist_fill_check(events.cylinder(other_maker["code"]), filler) == []
    history = api.get(f"/api/v1/cylinders/{hit['code']}/history", world.regulator).json
    assert "blacklisted" in [e["type"] for e in history["events"]]
    again = api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "batch", "manufacturer": "劣质容器厂", "made_in": "2021-07", "reason": "x"})
    assert again.status_code == 409


@pytest.mark.parametrize("listed, registered", [
    ("保定某钢瓶（集团）有限公司", "保定某钢瓶(集团)有限公司"),  # full-width brackets
    ("QA厂", "ＱＡ厂"),                                          # full-width letters
    ("QA厂", "QA\u200b厂"),                                     # a zero-width space
    ("QA  厂", " QA 厂 "),                                        # spaces
])
def test_a_manufacturer_is_one_name_however_it_is_typed(api, registry, world, listed,
                                                        registered):
    early = registry.cylinder(manufacturer=registered, manufactured_on="2024-03-01")
    resp = api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "manufacturer", "manufacturer": listed, "reason": "焊缝缺陷"})
    assert resp.status_code == 201 and resp.json["cylinders"] == 1
    late = registry.cylinder(manufacturer=registered, manufactured_on="2024-03-01")
    assert {f.code for f in _flags()} == {early["code"], late["code"]}
    refused = api.post("/api/v1/fillings", world.filler_a, json={"code": late["code"]})
    assert refused.status_code == 409
    assert "blacklisted" in [r["code"] for r in refused.json["reasons"]]
    same_serial = api.post("/api/v1/cylinders", world.regulator, json={
        "code": registry.codes(1)[0]["code"], "serial_no": early["serial_no"],
        "manufacturer": listed, "model": "YSP35.5", "manufactured_on": "2024-03-01",
        "owner_org_id": world.orgs["company"]})
    assert (same_serial.status_code, same_serial.json["error"]["code"]) == (409,
                                                                          "duplicate_serial")


def test_a_model_ban_covers_cylinders_registered_later(api, registry, world, events):
    resp = api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "model", "model": "YSP12", "reason": "召回"})
    assert resp.status_code == 201 and resp.json["cylinders"] == 0
    late = registry.cylinder(model="YSP12")
    assert [f.code for f in _flags()] == [late["code"]]
    entry_id = resp.json["id"]
    lifted = api.post(f"/api/v1/blacklist/{entry_id}/lift", world.regulator)
    assert lifted.status_code == 200 and lifted.json["active"] is False
    db.session.rollback()
    assert extra_fill_reasons(events.cylinder(late["code"]), events.user("filler_a")) == []
    assert api.post(f"/api/v1/blacklist/{entry_id}/lift", world.regulator).status_code == 409
    assert api.post("/api/v1/blacklist/999/lift", world.regulator).status_code == 404


@pytest.mark.parametrize("body, code", [
    ({"scope": "batch", "manufacturer": "厂", "reason": "x"}, "batch_incomplete"),
    ({"scope": "model", "manufacturer": "厂", "reason": "x"}, "model_required"),
    ({"scope": "galaxy", "manufacturer": "厂", "reason": "x"}, "validation_error"),
    ({"scope": "manufacturer", "reason": "x"}, "validation_error"),
    ({"scope": "batch", "manufacturer": "厂", "made_in": "2021-13", "reason": "x"},
     "invalid_month"),
])
def test_blacklist_refuses_incomplete_entries(api, world, body, code):
    resp = api.post("/api/v1/blacklist", world.regulator, json=body)
    assert resp.status_code == 400 and resp.json["error"]["code"] == code


def test_a_model_that_no_cylinder_can_have_is_not_blacklisted(api, world):
    typo = api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "model", "model": "YSP35.6", "reason": "召回"})
    assert (typo.status_code, typo.json["error"]["code"]) == (400, "unknown_model")
    assert api.get("/api/v1/blacklist", world.regulator).json == []


def test_one_product_blacklisted_twice_at_once_is_one_entry(api, world, clean_app):
    # both passed the duplicate check before either inserted (PostgreSQL runs them side by
    # side): the product had two active entries, and lifting one left it blacklisted
    body = {"scope": "model", "model": "YSP12", "reason": "召回"}
    answers = race_to_insert(clean_app, "blacklist_entries", [
        lambda client, actor=actor: client.post("/api/v1/blacklist", json=body,
                                                headers=actor.headers)
        for actor in (world.regulator, world.admin)])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "already_blacklisted"]
    assert len(api.get("/api/v1/blacklist", world.regulator).json) == 1


def test_only_regulators_blacklist(api, world):
    body = {"scope": "manufacturer", "manufacturer": "厂", "reason": "x"}
    for actor in (world.filler_a, world.inspector, world.driver):
        assert api.post("/api/v1/blacklist", actor, json=body).status_code == 403
    assert api.post("/api/v1/blacklist", world.company_admin, json=body).status_code == 403
    assert api.get("/api/v1/blacklist", world.filler_a).status_code == 200


def test_an_entry_added_through_one_worker_refuses_fills_at_once_in_another(app, api, registry,
                                                                            world):
    """Each worker caches the blacklist; a new entry or a lift must reach every cache at once."""
    cyl = registry.cylinder(owner="station_a", manufacturer="某容器厂")
    token = api.post("/api/v1/tokens", world.filler_a).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    other = create_app(dict(app.config))  # a second worker: its own cache, same instance dir
    try:
        client = other.test_client()

        def present() -> tuple[int, list[str]]:
            resp = client.post("/api/v1/fillings", json={"code": cyl["code"]}, headers=headers)
            return resp.status_code, [r["code"] for r in resp.json.get("reasons", [])]

        assert present() == (201, [])  # the empty blacklist is cached there now
        entry = api.post("/api/v1/blacklist", world.regulator, json={
            "scope": "manufacturer", "manufacturer": "某容器厂", "reason": "召回"})
        assert entry.status_code == 201, entry.json
        assert present() == (409, ["blacklisted"])
        lifted = api.post(f"/api/v1/blacklist/{entry.json['id']}/lift", world.regulator)
        assert lifted.status_code == 200
        assert "blacklisted" not in present()[1]  # still refused: the flag the entry raised
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_blacklist_cache_lifetime_is_read_from_the_environment():
    """docs/architecture.md names BLACKLIST_CACHE_SECONDS as a setting; it was never read."""
    from app.config import ConfigError, load_config

    assert load_config({"BLACKLIST_CACHE_SECONDS": "0"})["BLACKLIST_CACHE_SECONDS"] == 0
    assert load_config({})["BLACKLIST_CACHE_SECONDS"] == 5
    with pytest.raises(ConfigError, match="BLACKLIST_CACHE_SECONDS"):
        load_config({"BLACKLIST_CACHE_SECONDS": "soon"})


def test_an_entry_lifted_twice_at_once_is_lifted_once(api, world, clean_app):
    # both read it active before either wrote (PostgreSQL runs them side by side): the
    # second overwrote when it was lifted and by whom
    entry_id = api.post("/api/v1/blacklist", world.regulator, json={
        "scope": "model", "model": "YSP12", "reason": "召回"}).json["id"]
    answers = race(clean_app, [
        lambda client, actor=actor: client.post(f"/api/v1/blacklist/{entry_id}/lift",
                                                headers=actor.headers)
        for actor in (world.regulator, world.admin)],
        lambda sql: sql.lstrip().upper().startswith("UPDATE BLACKLIST_ENTRIES"))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "already_lifted"]
    done = next(a for a in answers if a.status_code == 200).json
    stored = next(e for e in api.get("/api/v1/blacklist", world.regulator).json
                  if e["id"] == entry_id)
    assert stored["lifted_at"] == done["lifted_at"]
