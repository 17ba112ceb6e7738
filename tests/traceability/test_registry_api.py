"""Codes and cylinder registration through the API, with every refusal."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.traceability.codes import ALPHABET, is_valid
from app.traceability.models import Code, Event
from tests.db_helpers import race


def test_code_batch_issues_unique_valid_codes_with_payloads(registry):
    codes = registry.codes(50)
    values = [c["code"] for c in codes]
    assert len(set(values)) == 50
    assert all(is_valid(v) for v in values)
    assert all(c["payload"] == f"https://gas.example.cn/c/{c['code']}" for c in codes)
    assert all(c["display"].replace("-", "") == c["code"] for c in codes)
    assert all(set(v) <= set(ALPHABET) for v in values)


@pytest.mark.parametrize("count", [0, -1, 100_001, "5", None])
def test_code_batch_refuses_bad_counts(api, world, count):
    resp = api.post("/api/v1/code-batches", world.regulator,
                    json={"count": count, "owner_org_id": world.orgs["company"]})
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "validation_error"


def test_company_admin_may_issue_only_for_itself(api, world):
    own = api.post("/api/v1/code-batches", world.company_admin,
                   json={"count": 2, "owner_org_id": world.orgs["company"]})
    other = api.post("/api/v1/code-batches", world.company_admin,
                     json={"count": 2, "owner_org_id": world.orgs["station_a"]})
    assert own.status_code == 201
    assert other.status_code == 403
    assert other.json["error"]["code"] == "forbidden"


def test_filler_may_not_issue_codes(api, world):
    resp = api.post("/api/v1/code-batches", world.filler_a,
                    json={"count": 2, "owner_org_id": world.orgs["station_a"]})
    assert resp.status_code == 403


def test_idempotency_key_replays_the_first_batch(api, world):
    body = {"count": 3, "owner_org_id": world.orgs["company"]}
    headers = {"Idempotency-Key": "batch-2026-06-15-a"}
    first = api.post("/api/v1/code-batches", world.regulator, json=body, headers=headers)
    second = api.post("/api/v1/code-batches", world.regulator, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(db.func.count()).select_from(Code)) == 3
    reused = api.post("/api/v1/code-batches", world.regulator,
                      json={**body, "count": 4}, headers=headers)
    assert reused.status_code == 422
    assert reused.json["error"]["code"] == "idempotency_key_reused"


def test_register_and_read_cylinder(registry, api, world):
    cyl = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2023-05-01")
    assert cyl["status"] == "in_service"
    assert cyl["next_inspection_due"] == "2027-05-01"
    assert cyl["service_life_ends"] == "2028-01-01"  # 8-year design life by default
    assert cyl["design_life_years"] == 8
    read = api.get(f"/api/v1/cylinders/{cyl['code']}", world.company_admin)
    assert read.status_code == 200
    for key in ("code", "serial_no", "model", "owner_org_id", "status", "next_inspection_due",
                "service_life_ends", "flags"):
        assert key in read.json
    by_payload = api.get(f"/api/v1/cylinders/{cyl['display_code'].lower()}", world.regulator)
    assert by_payload.status_code == 200


def test_register_by_payload_and_stamped_design_life(registry, world):
    payload = registry.codes(1)[0]["payload"]
    cyl = registry.cylinder(code=None, payload=payload, design_life_years=15,
                            manufactured_on="2005-01-01", last_inspected_on="2025-01-01")
    assert cyl["service_life_ends"] == "2020-01-01"
    assert cyl["status"] == "beyond_service_life"


def test_registration_refusals(registry, api, world):
    code = registry.codes(1)[0]["code"]
    base = {"code": code, "serial_no": "S1", "manufacturer": "M", "model": "YSP35.5",
            "manufactured_on": "2022-01-01", "owner_org_id": world.orgs["company"]}

    def register(actor=world.regulator, **changes):
        return api.post("/api/v1/cylinders", actor, json={**base, **changes})

    checks = [
        (register(code="0000000000000000"), 404, "unknown_code"),
        (register(code="7B7B-MJTK-Z91D-V4KC"), 400, "invalid_code"),
        (register(code="https://evil.example.com/x/123"), 400, "foreign_code"),
        (register(code="hello world!"), 400, "foreign_code"),
        (register(model="YSP99"), 400, "unknown_model"),
        (register(model="YSP118-II"), 409, "banned_model"),
        (register(manufactured_on="2030-01-01"), 400, "in_future"),
        (register(last_inspected_on="2021-01-01"), 400, "before_manufacture"),
        (register(owner_org_id=world.orgs["station_a"]), 409, "code_owner_mismatch"),
        (register(world.filler_a), 403, "forbidden"),
    ]
    for resp, status, code_ in checks:
        assert (resp.status_code, resp.json["error"]["code"]) == (status, code_), resp.json
    assert register().status_code == 201
    again = register()
    assert (again.status_code, again.json["error"]["code"]) == (409, "code_already_bound")
    other = registry.codes(1)[0]["code"]
    dup = register(code=other)
    assert (dup.status_code, dup.json["error"]["code"]) == (409, "duplicate_serial")


def test_history_chain_detects_edits_and_deletions(registry, api, world, ctx):
    from app.traceability.events import record_event
    from app.traceability.services import find_cylinder

    cyl = registry.cylinder()
    row = find_cylinder(cyl["code"])
    for n in range(3):
        record_event(row, "note", None, data={"n": n})
    db.session.commit()
    path = f"/api/v1/cylinders/{cyl['code']}/history"
    resp = api.get(path, world.regulator)
    assert resp.json["chain_ok"] is True
    assert [e["type"] for e in resp.json["events"]] == ["registered", "note", "note", "note"]
    db.session.execute(update(Event).where(Event.cylinder_id == row.id, Event.seq == 2)
                       .values(data={"n": 99}))
    db.session.commit()
    tampered = api.get(path, world.regulator).json
    assert tampered["chain_ok"] is False
    assert any("altered" in p for p in tampered["chain_problems"])
    db.session.execute(update(Event).where(Event.cylinder_id == row.id, Event.seq == 2)
                       .values(data={"n": 0}))
    db.session.execute(db.delete(Event).where(Event.cylinder_id == row.id, Event.seq == 4))
    db.session.commit()
    truncated = api.get(path, world.regulator).json
    assert truncated["chain_ok"] is False
    assert any("removed" in p for p in truncated["chain_problems"])


def test_same_event_id_is_stored_once(registry, ctx):
    import uuid

    from app.errors import Conflict
    from app.traceability.events import record_event
    from app.traceability.services import find_cylinder

    cyl = find_cylinder(registry.cylinder()["code"])
    event_id = uuid.uuid4()
    first = record_event(cyl, "note", None, event_id=event_id, data={"a": 1})
    second = record_event(cyl, "note", None, event_id=event_id, data={"a": 1})
    assert first.created and not second.created
    assert second.event.id == first.event.id
    assert cyl.event_count == 2  # registered + one note
    with pytest.raises(Conflict):
        record_event(cyl, "other", None, event_id=event_id)


def test_cylinders_are_private_to_their_owner(registry, api, world):
    cyl = registry.cylinder()
    assert api.get(f"/api/v1/cylinders/{cyl['code']}", world.filler_a).status_code == 404
    assert api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.filler_b).status_code == 404
    assert api.get(f"/api/v1/cylinders/{cyl['code']}", world.company_filler).status_code == 200
    assert api.get(f"/api/v1/cylinders/{cyl['code']}", world.inspector).status_code == 200


def test_rule_table_edit_takes_effect_without_code_changes(registry, api, world):
    cyl = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2023-05-01")
    assert cyl["next_inspection_due"] == "2027-05-01"
    table = api.get("/api/v1/rules/models", world.filler_a).json
    assert {r["model"] for r in table} >= {"YSP35.5", "YSP118-II"}
    assert all(r["source"] for r in table)
    refused = api.put("/api/v1/rules/models/YSP35.5", world.company_admin,
                      json={"inspection_interval_years": 2})
    assert refused.status_code == 403
    resp = api.put("/api/v1/rules/models/YSP35.5", world.regulator,
                   json={"inspection_interval_years": 2, "source": "local rule 2026-01"})
    assert resp.status_code == 200 and resp.json["inspection_interval_years"] == 2
    after = api.get(f"/api/v1/cylinders/{cyl['code']}", world.regulator).json
    assert after["next_inspection_due"] == "2025-05-01"
    assert after["status"] == "inspection_overdue"
    banned = api.put("/api/v1/rules/models/YSP12", world.regulator,
                     json={"banned": True, "banned_reason": "recall"})
    assert banned.status_code == 200
    code = registry.codes(1)[0]["code"]
    resp = api.post("/api/v1/cylinders", world.regulator, json={
        "code": code, "serial_no": "Z1", "manufacturer": "M", "model": "YSP12",
        "manufactured_on": "2022-01-01", "owner_org_id": world.orgs["company"]})
    assert resp.json["error"]["code"] == "banned_model"


def test_the_rule_table_refuses_names_and_masses_no_cylinder_has(api, world):
    new = {"nominal_volume_l": 24.0, "rated_fill_kg": 10.0, "inspection_interval_years": 4,
           "source": "GB 5842"}
    for name in ("%20", "YSP24%20", "Y" * 33):
        resp = api.put(f"/api/v1/rules/models/{name}", world.regulator, json=new)
        assert (resp.status_code, resp.json["error"]["code"]) == (400, "invalid_model_name"), name
    absurd = api.put("/api/v1/rules/models/YSP35.5", world.regulator, json={"rated_fill_kg": 1e308})
    assert absurd.status_code == 400  # it would switch the overfill check off for the model
    assert api.put("/api/v1/rules/models/YSP24", world.regulator, json=new).status_code == 200
    models = {r["model"]: r for r in api.get("/api/v1/rules/models", world.regulator).json}
    assert models["YSP35.5"]["rated_fill_kg"] == 14.9 and "YSP24" in models
    assert not any(m.strip() != m or not m for m in models)


def test_a_flag_resolved_twice_at_once_is_resolved_once(registry, api, world, ctx, clean_app):
    # both read the flag open before either wrote (PostgreSQL runs them side by side): both
    # answered 200 and the cylinder's tamper-evident history said it was resolved twice
    from app.auth.models import User
    from app.traceability.flags import raise_flag
    from app.traceability.services import find_cylinder

    cyl = find_cylinder(registry.cylinder()["code"])
    flag_id = raise_flag("not_owned", cylinder=cyl,
                         actor=db.session.get(User, world.filler_a.id)).id
    db.session.commit()
    answers = race(clean_app, [
        lambda client, actor=actor: client.post(
            f"/api/v1/flags/{flag_id}/resolve", json={"note": f"checked by {actor.name}"},
            headers=actor.headers)
        for actor in (world.regulator, world.admin)],
        at=lambda sql: sql.startswith("UPDATE flags "))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    assert [a.json["error"]["code"] for a in answers if a.status_code == 409] == [
        "flag_already_resolved"]
    history = api.get(f"/api/v1/cylinders/{cyl.code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]] == ["registered", "flag_raised", "flag_resolved"]
    resolved = next(a.json for a in answers if a.status_code == 200)
    assert history["events"][-1]["data"]["note"] == resolved["resolution_note"]


def test_flags_count_sightings_and_resolve_with_a_note(registry, api, world, ctx):
    from app.auth.models import User
    from app.traceability.flags import raise_flag
    from app.traceability.services import find_cylinder

    cyl = find_cylinder(registry.cylinder()["code"])
    filler = db.session.get(User, world.filler_a.id)
    first = raise_flag("not_owned", cylinder=cyl, actor=filler, details={"station": "A"})
    again = raise_flag("not_owned", cylinder=cyl, actor=filler, details={"station": "A"})
    assert first.id == again.id and again.occurrences == 2
    raise_flag("black_cylinder", code="0000000000000000", actor=filler)
    db.session.commit()
    flags = api.get("/api/v1/flags", world.regulator).json
    assert {f["kind"] for f in flags} == {"not_owned", "black_cylinder"}
    assert api.get("/api/v1/flags", world.filler_a).status_code == 403
    no_note = api.post(f"/api/v1/flags/{first.id}/resolve", world.regulator, json={"note": ""})
    assert no_note.status_code == 400
    done = api.post(f"/api/v1/flags/{first.id}/resolve", world.regulator,
                    json={"note": "station showed the entrustment contract"})
    assert done.status_code == 200 and done.json["status"] == "resolved"
    twice = api.post(f"/api/v1/flags/{first.id}/resolve", world.regulator, json={"note": "x"})
    assert twice.json["error"]["code"] == "flag_already_resolved"
    history = api.get(f"/api/v1/cylinders/{cyl.code}/history", world.regulator).json
    assert [e["type"] for e in history["events"]] == ["registered", "flag_raised", "flag_resolved"]
    assert history["chain_ok"]


@pytest.mark.parametrize(("field", "value"), [
    ("serial_no", "SN\x0001"), ("serial_no", "SN\x07"), ("manufacturer", "百工\x1b容器"),
    ("registration_no", "R\x7f1")])
def test_registration_refuses_control_characters(api, registry, world, field, value):
    """Stored as sent on SQLite (a serial number with a BEL then broke its labels), while
    PostgreSQL refused a NUL as "out of range": one clear refusal on both."""
    code = registry.codes(1)[0]["code"]
    body = {"code": code, "serial_no": "SN000001", "manufacturer": "百工容器",
            "model": "YSP35.5", "manufactured_on": "2022-03-01",
            "owner_org_id": world.orgs["company"], field: value}
    resp = api.post("/api/v1/cylinders", world.regulator, json=body)
    assert resp.status_code == 400, resp.json
    if "\x00" in value:  # a NUL is refused for every JSON body before any view (invalid_text)
        assert resp.json["error"]["code"] == "invalid_text"
    else:
        assert resp.json["error"]["code"] == "control_character"
        assert resp.json["error"]["details"]["field"] == field
    assert api.get(f"/api/v1/cylinders/{code}", world.regulator).status_code == 404


@pytest.mark.parametrize("typed", ["ysp35.5", "ＹＳＰ３５．５", " YSP35.5 "])
def test_a_model_typed_in_another_width_or_case_is_the_table_model(registry, api, world, typed):
    """A clerk's lower-case or full-width (Chinese keyboard) model was 'unknown_model'."""
    code = registry.codes(1)[0]["code"]
    resp = api.post("/api/v1/cylinders", world.regulator, json={
        "code": code, "serial_no": "S1", "manufacturer": "M", "model": typed,
        "manufactured_on": "2022-01-01", "owner_org_id": world.orgs["company"]})
    assert resp.status_code == 201, resp.json
    assert resp.json["model"] == "YSP35.5"


def _body(world, code, serial, manufacturer="百工容器"):
    return {"code": code, "serial_no": serial, "manufacturer": manufacturer, "model": "YSP35.5",
            "manufactured_on": "2022-01-01", "owner_org_id": world.orgs["company"]}


def test_one_stamp_typed_in_another_case_is_a_duplicate(registry, api, world):
    """'SN001' and 'sn001' from one maker are one steel cylinder; a second code is a clone."""
    first, second, third = (c["code"] for c in registry.codes(3))
    assert api.post("/api/v1/cylinders", world.regulator,
                    json=_body(world, first, "SN001")).status_code == 201
    again = api.post("/api/v1/cylinders", world.regulator, json=_body(world, second, "sn001"))
    assert (again.status_code, again.json["error"]["code"]) == (409, "duplicate_serial")
    other_maker = api.post("/api/v1/cylinders", world.regulator,
                           json=_body(world, third, "sn001", manufacturer="另一厂"))
    assert other_maker.status_code == 201


def test_one_stamp_in_two_spellings_at_once_is_registered_once(world, clean_app, registry):
    # both passed the duplicate check before either inserted (PostgreSQL runs them side by
    # side); the exact unique constraint does not see 'SN7' and 'sn7' as one
    from tests.db_helpers import race_to_insert

    codes = [c["code"] for c in registry.codes(2)]
    answers = race_to_insert(clean_app, "cylinders", [
        lambda client, code=code, serial=serial: client.post(
            "/api/v1/cylinders", json=_body(world, code, serial), headers=world.regulator.headers)
        for code, serial in zip(codes, ["SN7", "sn7"], strict=True)])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json for a in answers]
