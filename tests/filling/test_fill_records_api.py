"""Fill records: overfill and re-weigh, retries that must not duplicate, who may do what."""
from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select

from app.auth import services as auth
from app.extensions import db
from app.filling.models import Fill, FillRefusal
from app.filling.services import cylinder_on_hold
from app.traceability.codes import new_code
from app.traceability.models import Event, Flag
from app.traceability.services import find_cylinder
from tests.conftest import Actor
from tests.db_helpers import count_statements
from tests.filling.photos import qr_photo


def _flags(api, world, code, status="open"):
    return [f for f in api.get(f"/api/v1/flags?status={status}", world.regulator).json
            if f["code"] == code]


def test_overfill_keeps_the_record_and_holds_until_a_reweigh_clears_it(registry, station, api,
                                                                      world):
    cyl = registry.cylinder(owner="station_a")  # YSP35.5: rated 14.9 kg
    resp = station.present(cyl["code"], net_mass_kg=15.4)
    assert resp.status_code == 201
    fill = resp.json["fill"]
    assert (fill["overfill"], fill["on_hold"], fill["net_mass_kg"]) == (True, True, 15.4)
    assert resp.json["event"]["data"]["overfill"] is True
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is True
    assert [f["kind"] for f in _flags(api, world, cyl["code"])] == ["overfill"]
    assert station.reasons(station.present(cyl["code"])) == ["overfill_hold"]

    path = f"/api/v1/fillings/{fill['event_id']}/reweigh"
    still_over = api.post(path, world.filler_a, json={"net_mass_kg": 15.0})
    assert still_over.status_code == 200
    assert (still_over.json["cleared"], still_over.json["on_hold"]) == (False, True)
    assert still_over.json["event"]["data"]["cleared"] is False
    ok = api.post(path, world.filler_a, json={"net_mass_kg": 14.8})
    assert (ok.json["cleared"], ok.json["on_hold"]) == (True, False)
    assert ok.json["event"]["type"] == "reweighed"
    assert ok.json["event"]["data"]["net_mass_kg"] == 14.8
    db.session.rollback()  # end the test's read snapshot
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is False
    assert [f["kind"] for f in _flags(api, world, cyl["code"])] == ["fill_refused"]
    assert [f["kind"] for f in _flags(api, world, cyl["code"], "resolved")] == ["overfill"]
    assert station.present(cyl["code"]).status_code == 201
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    types = [e["type"] for e in history["events"]]
    assert types == ["registered", "filled", "flag_raised", "fill_refused", "flag_raised",
                     "reweighed", "reweighed", "flag_resolved", "filled"]
    assert history["chain_ok"] is True


def test_only_the_latest_fill_can_be_reweighed_to_lift_a_hold(registry, station, api, world):
    cyl = registry.cylinder(owner="company")  # entrusted to both stations below
    for name in ("station_a", "station_b"):
        assert station.entrust(station=name).status_code == 201
    old_b = station.present(cyl["code"], actor=world.filler_b, net_mass_kg=14.0).json["fill"]
    old_a = station.present(cyl["code"], net_mass_kg=16.0).json["fill"]
    assert api.post(f"/api/v1/fillings/{old_a['event_id']}/reweigh", world.filler_a,
                    json={"net_mass_kg": 14.5}).json["cleared"] is True
    latest = station.present(cyl["code"], net_mass_kg=16.2).json["fill"]
    assert latest["on_hold"] is True
    events_before = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    for actor, fill in ((world.filler_a, old_a), (world.filler_b, old_b)):
        stale = api.post(f"/api/v1/fillings/{fill['event_id']}/reweigh", actor,
                         json={"net_mass_kg": 14.5})
        assert (stale.status_code, stale.json["error"]["code"]) == (409, "fill_superseded")
    db.session.rollback()
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is True
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    assert len(history["events"]) == len(events_before["events"])  # the refusals wrote nothing
    assert station.reasons(station.present(cyl["code"], actor=world.filler_b)) == ["overfill_hold"]
    ok = api.post(f"/api/v1/fillings/{latest['event_id']}/reweigh", world.filler_a,
                  json={"net_mass_kg": 14.5})
    assert (ok.status_code, ok.json["cleared"], ok.json["on_hold"]) == (200, True, False)


def test_the_owner_sees_the_hold_a_station_put_on_its_cylinder(registry, station, api, world):
    cyl = registry.cylinder(owner="company")
    assert station.entrust(station="station_a").status_code == 201
    assert station.present(cyl["code"], net_mass_kg=16.0).json["fill"]["on_hold"] is True
    rival = auth.create_user(None, "station_b_admin", world.orgs["station_b"], "admin")
    rival = Actor(rival.name, rival.id, rival.org_id, "admin", auth.issue_token(rival))
    db.session.commit()
    for admin, sees in ((world.company_admin, True), (world.station_a_admin, True),
                        (rival, False)):
        flags = api.get("/api/v1/flags", admin).json
        assert (("overfill", cyl["code"]) in {(f["kind"], f["code"]) for f in flags}) is sees


def test_rated_mass_itself_is_not_an_overfill(registry, station):
    cyl = registry.cylinder(owner="station_a")
    resp = station.present(cyl["code"], net_mass_kg=14.9)
    assert (resp.json["fill"]["overfill"], resp.json["fill"]["on_hold"]) == (False, False)


def test_weighing_after_the_fill_can_discover_an_overfill(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a")
    first = station.present(cyl["code"])  # scanned before the scale had a mass
    assert first.json["fill"]["net_mass_kg"] is None
    weighed = api.post(f"/api/v1/fillings/{first.json['fill']['event_id']}/reweigh",
                       world.filler_a, json={"net_mass_kg": 16.0})
    assert (weighed.json["cleared"], weighed.json["on_hold"]) == (False, True)
    assert weighed.json["fill"]["net_mass_kg"] == 16.0
    assert [f["kind"] for f in _flags(api, world, cyl["code"])] == ["overfill"]


def test_same_reweigh_event_id_records_one_reweigh(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a")
    fill_id = station.present(cyl["code"], net_mass_kg=15.6).json["fill"]["event_id"]
    path = f"/api/v1/fillings/{fill_id}/reweigh"
    body = {"net_mass_kg": 14.7, "event_id": str(uuid.uuid4())}
    first, second = (api.post(path, world.filler_a, json=body) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert (first.json["cleared"], second.json["cleared"]) == (True, True)
    assert second.json["replayed"] is True and first.json["event"] == second.json["event"]
    reweighed = select(func.count()).select_from(Event).where(Event.type == "reweighed")
    assert db.session.scalar(reweighed) == 1
    other_fill = station.present(registry.cylinder(owner="station_a")["code"]).json
    reuse = api.post(f"/api/v1/fillings/{other_fill['fill']['event_id']}/reweigh",
                     world.filler_a, json=body)
    assert (reuse.status_code, reuse.json["error"]["code"]) == (409, "event_id_reused")


def test_reweigh_is_for_the_filling_station_only(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a")
    event_id = station.present(cyl["code"], net_mass_kg=15.5).json["fill"]["event_id"]
    path = f"/api/v1/fillings/{event_id}/reweigh"
    other = api.post(path, world.filler_b, json={"net_mass_kg": 14.0})
    assert (other.status_code, other.json["error"]["code"]) == (404, "fill_not_found")
    assert api.post(path, world.regulator, json={"net_mass_kg": 14.0}).status_code == 403
    assert api.post(path, world.filler_a, json={"net_mass_kg": -1}).status_code == 400
    assert api.post(path, world.filler_a, json={}).status_code == 400
    missing = api.post(f"/api/v1/fillings/{uuid.uuid4()}/reweigh", world.filler_a,
                       json={"net_mass_kg": 14.0})
    assert missing.status_code == 404
    malformed = api.post("/api/v1/fillings/not-a-uuid/reweigh", world.filler_a,
                         json={"net_mass_kg": 14.0})
    assert (malformed.status_code, malformed.json["error"]["code"]) == (404, "fill_not_found")
    assert api.get(f"/api/v1/fillings/{event_id}", world.filler_b).status_code == 404
    own = api.get(f"/api/v1/fillings/{event_id}", world.station_a_admin)
    assert (own.status_code, own.json["on_hold"]) == (200, True)


def test_same_event_id_records_one_fill(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a")
    event_id = str(uuid.uuid4())
    first = station.present(cyl["code"], event_id=event_id, net_mass_kg=15.5)
    second = station.present(cyl["code"], event_id=event_id, net_mass_kg=15.5)
    assert first.status_code == second.status_code == 201  # not refused for its own hold
    assert first.json["event"] == second.json["event"]
    assert first.json["event"]["id"] == event_id
    assert second.json["replayed"] is True
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 1
    assert [f["occurrences"] for f in _flags(api, world, cyl["code"])] == [1]
    reuse = station.present(registry.cylinder(owner="station_a")["code"], event_id=event_id)
    assert (reuse.status_code, reuse.json["error"]["code"]) == (409, "event_id_reused")
    elsewhere = station.present(cyl["code"], world.filler_b, event_id=event_id)
    assert (elsewhere.status_code, elsewhere.json["error"]["code"]) == (409, "event_id_reused")


def test_same_event_id_records_one_refusal(registry, station, api, world):
    cyl = registry.cylinder(owner="company")
    unknown = new_code()
    for text in (cyl["code"], unknown):
        event_id = str(uuid.uuid4())
        first = station.present(text, event_id=event_id)
        second = station.present(text, event_id=event_id)
        assert first.status_code == second.status_code == 409
        assert first.json["refusal"] == second.json["refusal"]
        assert first.json["reasons"] == second.json["reasons"]
    assert db.session.scalar(select(func.count()).select_from(FillRefusal)) == 2
    refused_events = select(func.count()).select_from(Event).where(Event.type == "fill_refused")
    assert db.session.scalar(refused_events) == 1
    assert {f["occurrences"] for f in _flags(api, world, unknown)} == {1}


def test_idempotency_key_retries_do_not_duplicate(registry, station, api, world):
    allowed = registry.cylinder(owner="station_a")["code"]
    refused = registry.cylinder(owner="company")["code"]
    for code, status in ((allowed, 201), (refused, 409)):
        headers = {"Idempotency-Key": f"scale-1-{code}"}
        answers = [api.post("/api/v1/fillings", world.filler_a, json={"code": code},
                            headers=headers) for _ in range(2)]
        assert [a.status_code for a in answers] == [status, status]
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 1
    assert db.session.scalar(select(func.count()).select_from(FillRefusal)) == 1
    assert db.session.scalar(select(Flag.occurrences).where(
        Flag.code == refused, Flag.kind == "fill_refused")) == 1


def test_a_key_of_a_refusal_sent_with_another_cylinder_is_a_reused_key(registry, api, world):
    """A refusal is not stored as an answer, so its key names the refusal's event: sent again
    for another cylinder it was answered 409 `event_id_reused` (a field the client never
    sent, in a shape the document did not give a 409). Now it is the documented 422."""
    refused = registry.cylinder(owner="company")["code"]
    allowed = registry.cylinder(owner="station_a")["code"]
    headers = {"Idempotency-Key": "scale-3-0001"}
    first = api.post("/api/v1/fillings", world.filler_a, json={"code": refused},
                     headers=headers)
    assert first.status_code == 409 and first.json["allowed"] is False
    other = api.post("/api/v1/fillings", world.filler_a, json={"code": allowed},
                     headers=headers)
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 0


def test_a_retry_encoded_differently_is_still_the_same_request(registry, api, world):
    fills = select(func.count()).select_from(Fill)
    cyl = registry.cylinder(owner="station_a")
    headers = {"Idempotency-Key": "scale-2-json"}
    first = api.post("/api/v1/fillings", world.filler_a, headers=headers,
                     data=f'{{"code": "{cyl["code"]}", "net_mass_kg": 14.1}}',
                     content_type="application/json")
    again = api.post("/api/v1/fillings", world.filler_a, headers=headers,
                     data=f'{{"net_mass_kg":14.1,"code":"{cyl["code"]}"}}',
                     content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    other = api.post("/api/v1/fillings", world.filler_a, headers=headers,
                     json={"code": cyl["code"], "net_mass_kg": 14.2})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")

    photographed = registry.cylinder(owner="station_a")
    jpeg = qr_photo([photographed["payload"]])
    headers = {"Idempotency-Key": "scale-2-photo"}
    answers = [api.post("/api/v1/fillings", world.filler_a, headers=headers,
                        content_type="multipart/form-data",  # a new boundary every time
                        data={"net_mass_kg": "14.0", "image": (io.BytesIO(jpeg), "scale.jpg")})
               for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201], answers[1].json
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert answers[0].json == answers[1].json
    db.session.rollback()
    assert db.session.scalar(fills) == 2
    other_photo = qr_photo([photographed["payload"]], seed=1)
    changed = api.post("/api/v1/fillings", world.filler_a, headers=headers,
                       content_type="multipart/form-data",
                       data={"net_mass_kg": "14.0", "image": (io.BytesIO(other_photo), "x.jpg")})
    assert (changed.status_code, changed.json["error"]["code"]) == (422, "idempotency_key_reused")


@pytest.mark.parametrize("actor", ["regulator", "admin", "company_admin", "station_a_admin",
                                   "driver", "inspector", "printer"])
def test_only_fillers_present_cylinders(registry, station, world, actor):
    cyl = registry.cylinder(owner="station_a")
    resp = station.present(cyl["code"], world.users[actor])
    assert resp.status_code == 403 and "forbidden" in resp.json["error"]["code"]


def test_anonymous_and_bad_tokens_are_refused(api):
    assert api.post("/api/v1/fillings", json={"code": "X"}).status_code == 401
    bad = api.post("/api/v1/fillings", json={"code": "X"},
                   headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json["error"]["code"]) == (401, "invalid_token")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 400, "validation_error"),
    ({"code": ""}, 400, "validation_error"),
    ({"code": "x" * 401}, 400, "validation_error"),
    ({"code": "ABC", "net_mass_kg": -2}, 400, "validation_error"),
    ({"code": "ABC", "net_mass_kg": "lots"}, 400, "validation_error"),
    ({"code": "ABC", "event_id": "not-a-uuid"}, 400, "validation_error"),
    ({"code": "ABC", "precheck": {"no_damage": "perhaps"}}, 400, "validation_error"),
    ({"code": "ABC", "precheck": {"sniffed": True}}, 400, "validation_error"),
    ({"code": "ABC", "occurred_at": "2026-06-15T10:00:00"}, 400, "validation_error"),
    ({"code": "ABC", "lat": 123}, 400, "validation_error"),
    ({"code": "ABC", "colour": "red"}, 400, "validation_error"),
])
def test_bad_input_is_a_400_and_writes_nothing(api, world, body, status, code):
    resp = api.post("/api/v1/fillings", world.filler_a, json=body)
    assert (resp.status_code, resp.json["error"]["code"]) == (status, code), resp.json
    assert db.session.scalar(select(func.count()).select_from(FillRefusal)) == 0


def test_bad_bodies(api, world):
    not_json = api.post("/api/v1/fillings", world.filler_a, data="code=ABC",
                        content_type="text/plain")
    assert (not_json.status_code, not_json.json["error"]["code"]) == (415,
                                                                      "unsupported_media_type")
    broken = api.post("/api/v1/fillings", world.filler_a, data="{nope",
                      content_type="application/json")
    assert (broken.status_code, broken.json["error"]["code"]) == (400, "invalid_json")
    future = api.post("/api/v1/fillings", world.filler_a,
                      json={"code": new_code(), "occurred_at": "2099-01-01T00:00:00+08:00"})
    assert (future.status_code, future.json["error"]["code"]) == (400, "time_in_future")


def test_a_fill_cannot_predate_the_cylinder(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a", manufactured_on="2021-03-01")
    events = select(func.count()).select_from(Event)
    before = db.session.scalar(events)
    old = station.present(cyl["code"], occurred_at="1990-01-01T00:00:00Z", net_mass_kg=14.0)
    assert (old.status_code, old.json["error"]["code"]) == (400, "time_before_manufacture")
    db.session.rollback()
    assert db.session.scalar(events) == before
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 0
    offline = station.present(cyl["code"], occurred_at="2021-03-01T09:00:00+08:00")
    assert offline.status_code == 201  # a late upload from the month it was made is fine


def test_interlock_by_code_answers_in_few_statements(registry, station, app, monkeypatch,
                                                     steady_caches):
    from app.traceability import events

    # Observers of other domains (custody...) add their own statements to every event.
    monkeypatch.setattr(events, "_OBSERVERS", [])
    codes = [registry.cylinder(owner="station_a")["code"] for _ in range(2)]
    refused = registry.cylinder(owner="company")["code"]
    station.present(codes[0])  # warm up: first request of a worker loads what it caches
    statements: list[list[str]] = []
    for code in (codes[1], refused, refused):
        statements.append([])
        with app.app_context(), count_statements(statements[-1]):
            station.present(code)
    counts = [len(s) for s in statements]
    allowed_count, first_refusal, repeat_refusal = counts
    # Allowed: one lookup (code, cylinder, rules, entrustment, hold), the chain head UPDATE
    # guarded by the head read, the event, the fill; plus BEGIN IMMEDIATE for the write phase
    # on SQLite (the read runs outside a transaction). The token and the product blacklist
    # come from the worker's caches (app/auth/token_cache.py, app/oversight/blacklist_cache.py).
    assert allowed_count <= 5, statements[0]
    # A first refusal also opens two flags, each with its own chained event; a repeat
    # sighting only counts the open flags up.
    assert first_refusal <= 15, statements[1]
    assert repeat_refusal <= 11, statements[2]


def test_refusals_carry_the_error_shape_too(registry, api, world):
    cyl = registry.cylinder()
    resp = api.post("/api/v1/fillings", world.filler_b, json={"code": cyl["code"]})
    assert resp.status_code == 409
    assert resp.json["allowed"] is False
    assert resp.json["error"]["code"] == "fill_refused"
    assert resp.json["error"]["message"]
    assert {r["code"] for r in resp.json["reasons"]} == {
        r["code"] for r in resp.json["error"]["reasons"]} >= {"not_owned"}


def test_openapi_describes_the_filling_bodies(api):
    spec = api.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/fillings"]["post"]
    content = post["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert {"201", "409"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    assert {"code", "payload", "net_mass_kg", "precheck", "event_id"} <= set(
        schemas["FillIn"]["properties"])
    image = schemas["FillPhotoIn"]["properties"]["image"]
    assert (image["type"], image["format"]) == ("string", "binary")
    assert "image" in schemas["FillPhotoIn"]["required"]
    for path in ("/api/v1/fillings/{event_id}/reweigh", "/api/v1/entrustments",
                 "/api/v1/entrustments/{entrustment_id}/revoke", "/api/v1/fillings/today"):
        assert path in spec["paths"], path
    reweigh = spec["paths"]["/api/v1/fillings/{event_id}/reweigh"]["post"]
    assert "application/json" in reweigh["requestBody"]["content"]


def test_the_trace_read_with_the_lookup_is_not_read_again(registry, station, app,
                                                          steady_caches):
    """Oversight's trace row comes with the lookup; the append only writes it."""
    code = registry.cylinder(owner="station_a")["code"]
    assert station.present(code).status_code == 201  # the trace row exists now
    statements: list[str] = []
    with app.app_context(), count_statements(statements):
        assert station.present(code).status_code == 201
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "cylinder_traces" in reads[0], reads
    # its own statement on SQLite; on PostgreSQL a part of the statement sent at the commit
    assert any("UPDATE CYLINDER_TRACES" in s.upper() for s in statements)
