"""The filling interlock through the API: every reason, built as a station meets it."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.filling.models import Fill
from app.filling.rules import MESSAGES, PRECHECK_ITEMS
from app.filling.schemas import InterlockOut
from app.traceability.codes import ALPHABET, new_code
from tests.filling.conftest import set_state

ALL_OK = dict.fromkeys(PRECHECK_ITEMS, True)


def test_own_cylinder_is_allowed_and_the_fill_recorded(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a")
    resp = station.present(cyl["code"], net_mass_kg=14.6, precheck=ALL_OK, place="1号秤",
                           lat=38.86, lon=115.48)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["allowed"] is True and "reasons" not in body
    assert body["cylinder"] == {"code": cyl["code"], "display_code": cyl["display_code"],
                                "model": "YSP35.5"}
    event = body["event"]
    assert event["type"] == "filled"
    assert event["data"] == {"station_org_id": world.orgs["station_a"], "net_mass_kg": 14.6,
                             "rated_fill_kg": 14.9, "overfill": False, "precheck": ALL_OK}
    assert (event["actor_user_id"], event["actor_org_id"]) == (world.filler_a.id,
                                                               world.orgs["station_a"])
    assert (event["place"], event["lat"], event["lon"]) == ("1号秤", 38.86, 115.48)
    fill = body["fill"]
    assert fill["event_id"] == event["id"]
    assert (fill["operator_id"], fill["net_mass_kg"], fill["overfill"], fill["on_hold"]) == (
        world.filler_a.id, 14.6, False, False)
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    assert [e["type"] for e in history["events"]] == ["registered", "filled"]
    assert history["chain_ok"] is True


def test_answers_have_exactly_the_documented_shape(registry, station, world):
    """The interlock renders its JSON by hand (speed): it must stay what InterlockOut says."""
    allowed = station.present(registry.cylinder(owner="station_a")["code"], net_mass_kg=14.6,
                              precheck=ALL_OK, place="1号秤", lat=38.86, lon=115.48)
    refused = station.present(registry.cylinder(owner="company")["code"], net_mass_kg=20.0)
    unknown = station.present("not a code")
    assert [r.status_code for r in (allowed, refused, unknown)] == [201, 409, 409]
    for resp in (allowed, refused, unknown):
        assert InterlockOut().dump(resp.json) == resp.json


def test_payload_url_and_loose_typing_are_accepted(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a")
    by_payload = api.post("/api/v1/fillings", world.filler_a, json={"payload": cyl["payload"]})
    typed = station.present(cyl["display_code"].lower().replace("-", " "))
    assert by_payload.status_code == typed.status_code == 201
    assert by_payload.json["code"] == typed.json["code"] == cyl["code"]


def test_code_and_payload_must_name_the_same_cylinder(registry, api, world):
    one, other = registry.cylinder(owner="station_a"), registry.cylinder(owner="station_a")
    fills = select(func.count()).select_from(Fill)
    before = db.session.scalar(fills)
    both = api.post("/api/v1/fillings", world.filler_a,
                    json={"code": one["code"], "payload": other["payload"]})
    assert (both.status_code, both.json["error"]["code"]) == (400, "code_payload_mismatch")
    db.session.rollback()
    assert db.session.scalar(fills) == before
    agreeing = api.post("/api/v1/fillings", world.filler_a,
                        json={"code": one["display_code"].lower(), "payload": one["payload"]})
    assert (agreeing.status_code, agreeing.json["code"]) == (201, one["code"])


def _mistyped(code: str) -> str:
    last = ALPHABET[(ALPHABET.index(code[-1]) + 1) % 32]
    return code[:-1] + last


def test_code_reasons(registry, station):
    issued_only = registry.codes(1)[0]
    cases = {
        "invalid_code": _mistyped(registry.cylinder(owner="station_a")["code"]),
        "foreign_code": "https://evil.example.com/c/ABC",
        "unknown_code": new_code(),
        "not_registered": issued_only["payload"],
    }
    for expected, text in cases.items():
        resp = station.present(text)
        assert station.reasons(resp) == [expected], text
        reason = resp.json["reasons"][0]
        assert (reason["message"], reason["message_en"]) == MESSAGES[expected]
    assert station.reasons(station.present("MECARD:N:Sean Owen;;")) == ["foreign_code"]


@pytest.mark.parametrize(("reason", "fields", "event"), [
    ("scrapped", {"scrapped_at": True}, "scrapped"),
    ("registration_cancelled", {"registration_cancelled_at": True}, "registration_cancelled"),
    ("seized", {"seized_at": True}, "seized"),
    ("refurbished", {"refurbished": True}, None),
])
def test_state_reasons(registry, station, reason, fields, event):
    cyl = registry.cylinder(owner="station_a")
    set_state(cyl["code"], event, **fields)
    assert station.reasons(station.present(cyl["code"])) == [reason]


def test_inspection_overdue(registry, station):
    cyl = registry.cylinder(owner="station_a", manufactured_on="2020-03-01",
                            last_inspected_on="2022-06-14")  # due 2026-06-14, today 06-15
    assert station.reasons(station.present(cyl["code"])) == ["inspection_overdue"]
    due_today = registry.cylinder(owner="station_a", manufactured_on="2020-03-01",
                                  last_inspected_on="2022-06-15")
    assert station.present(due_today["code"]).status_code == 201


def test_beyond_service_life_unless_extended(registry, station):
    old = registry.cylinder(owner="station_a", manufactured_on="2018-06-15",
                            last_inspected_on="2024-01-01")  # 8 years end today
    assert station.reasons(station.present(old["code"])) == ["beyond_service_life"]
    set_state(old["code"], "safety_assessed", life_extended_until=dt.date(2028, 1, 1))
    assert station.present(old["code"]).status_code == 201


def test_banned_model_by_the_rule_table(registry, station, api, world):
    cyl = registry.cylinder(owner="station_a", model="YSP118")
    assert station.present(cyl["code"]).status_code == 201
    ban = api.put("/api/v1/rules/models/YSP118", world.regulator,
                  json={"banned": True, "banned_reason": "双相瓶召回"})
    assert ban.status_code == 200
    resp = station.present(cyl["code"])
    assert station.reasons(resp) == ["banned_model"]
    assert "YSP118" in resp.json["reasons"][0]["message"]
    assert "双相瓶召回" in resp.json["reasons"][0]["message"]  # why, as the regulator wrote it
    assert "双相瓶召回" in resp.json["reasons"][0]["message_en"]


def test_not_owned_unless_entrusted(registry, station, world):
    cyl = registry.cylinder(owner="company")
    assert station.reasons(station.present(cyl["code"])) == ["not_owned"]
    assert station.entrust(valid_from="2026-01-01", valid_to="2026-06-14").status_code == 201
    assert station.reasons(station.present(cyl["code"])) == ["not_owned"]  # period over
    current = station.entrust(valid_from="2026-06-15", valid_to="2026-06-15")
    assert current.status_code == 201
    assert station.present(cyl["code"]).status_code == 201
    assert station.reasons(station.present(cyl["code"], world.filler_b)) == ["not_owned"]
    assert station.present(cyl["code"], world.company_filler).status_code == 201  # the owner
    revoked = station.api.post(f"/api/v1/entrustments/{current.json['id']}/revoke",
                               world.company_admin)
    assert revoked.status_code == 200
    assert station.reasons(station.present(cyl["code"])) == ["not_owned"]


@pytest.mark.parametrize("item", list(PRECHECK_ITEMS))
def test_each_failed_precheck_item_refuses(registry, station, item):
    cyl = registry.cylinder(owner="station_a")
    resp = station.present(cyl["code"], precheck={**ALL_OK, item: False})
    assert station.reasons(resp) == [PRECHECK_ITEMS[item]]


def test_every_applicable_reason_is_listed_most_serious_first(registry, station, api, world):
    cyl = registry.cylinder(owner="company", model="YSP118", manufactured_on="2010-01-01",
                            last_inspected_on="2020-01-01")
    set_state(cyl["code"], None, scrapped_at=True, registration_cancelled_at=True,
              seized_at=True, refurbished=True)
    api.put("/api/v1/rules/models/YSP118", world.regulator, json={"banned": True})
    resp = station.present(cyl["code"], precheck=dict.fromkeys(PRECHECK_ITEMS, False))
    assert station.reasons(resp) == [
        "scrapped", "registration_cancelled", "refurbished", "seized", "banned_model",
        "not_owned", "beyond_service_life", "inspection_overdue",
        *PRECHECK_ITEMS.values()]
    code_and_precheck = station.present(new_code(), precheck={**ALL_OK, "no_damage": False})
    assert station.reasons(code_and_precheck) == ["unknown_code", "precheck_damage"]


def test_checks_of_other_domains_join_the_interlock(registry, station):
    from app.traceability import checks
    from app.traceability.checks import Reason, register_fill_check

    cyl = registry.cylinder(owner="company", manufactured_on="2020-01-01",
                            last_inspected_on="2021-01-01")

    def blacklist(cylinder, user):
        return [Reason("blacklisted", "列入黑名单", "On the product blacklist")]

    register_fill_check(blacklist)
    try:
        resp = station.present(cyl["code"], precheck={**ALL_OK, "tare_known": False})
    finally:
        checks._FILL_CHECKS.remove(blacklist)
    assert station.reasons(resp) == ["not_owned", "inspection_overdue", "blacklisted",
                                     "precheck_unknown_tare"]


def test_refusal_is_in_the_history_and_flags_the_regulator(registry, station, api, world):
    cyl = registry.cylinder(owner="company")
    resp = station.present(cyl["code"], place="南门卸车区")
    assert station.reasons(resp) == ["not_owned"]
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    refused = [e for e in history["events"] if e["type"] == "fill_refused"]
    assert len(refused) == 1
    assert refused[0]["data"]["station_org_id"] == world.orgs["station_a"]
    assert refused[0]["data"]["reasons"] == resp.json["reasons"]
    assert refused[0]["id"] == resp.json["refusal"]["event_id"]
    flags = {f["kind"]: f for f in api.get("/api/v1/flags", world.regulator).json
             if f["code"] == cyl["code"]}
    assert set(flags) == {"fill_refused", "not_owned"}
    sighting = flags["not_owned"]["details"]["sightings"][0]
    assert sighting["station"] == "第一充装站" and sighting["operator"] == "filler_a"
    assert sighting["place"] == "南门卸车区"
    assert flags["not_owned"]["details"]["owner_org_id"] == world.orgs["company"]
    station.present(cyl["code"])
    again = {f["kind"]: f for f in api.get("/api/v1/flags", world.regulator).json
             if f["code"] == cyl["code"]}
    assert again["fill_refused"]["occurrences"] == 2  # a second sighting counts up


@pytest.mark.parametrize("state", ["scrapped_at", "registration_cancelled_at", "refurbished"])
def test_black_cylinder_flag_for_unfit_cylinders(registry, station, api, world, state):
    cyl = registry.cylinder(owner="station_a")
    set_state(cyl["code"], None, **{state: True})
    station.present(cyl["code"])
    kinds = {f["kind"] for f in api.get("/api/v1/flags", world.regulator).json
             if f["code"] == cyl["code"]}
    assert kinds == {"fill_refused", "black_cylinder"}


def test_unknown_code_raises_black_cylinder_naming_where_and_who(station, api, world):
    code = new_code()
    resp = station.present(code, place="城南加气点", lat=38.85, lon=115.47,
                           occurred_at="2026-06-15T09:30:00+08:00")
    assert station.reasons(resp) == ["unknown_code"]
    flags = [f for f in api.get("/api/v1/flags", world.regulator).json if f["code"] == code]
    assert [f["kind"] for f in flags] == ["black_cylinder"]
    details = flags[0]["details"]
    assert flags[0]["org_id"] == world.orgs["station_a"]
    sighting = details["sightings"][0]
    assert (sighting["station"], sighting["operator"], sighting["place"]) == (
        "第一充装站", "filler_a", "城南加气点")
    assert (sighting["lat"], sighting["lon"]) == (38.85, 115.47)
    assert sighting["occurred_at"] == "2026-06-15T01:30:00+00:00"
    assert sighting["user_id"] == world.filler_a.id
    own_flags = api.get("/api/v1/flags", world.station_a_admin).json
    assert [f["code"] for f in own_flags] == [code]  # the station sees what it raised


def test_not_registered_code_is_flagged_but_foreign_text_is_not(registry, station, api, world):
    issued = registry.codes(1)[0]["code"]
    station.present(issued)
    station.present("https://evil.example.com/x")
    station.present(_mistyped(issued))
    flags = api.get("/api/v1/flags", world.regulator).json
    assert [(f["kind"], f["code"]) for f in flags] == [("fill_refused", issued)]


def test_a_station_sees_only_its_own_sightings_on_a_flag_it_raised(registry, station, api,
                                                                   world):
    """Another station presenting the same cylinder counts on the first station's flag; the
    first station must not read who, where and when at the other station."""
    cyl = registry.cylinder(owner="company")
    station.present(cyl["code"], place="一号秤", lat=38.86, lon=115.48)  # station_a first
    station.present(cyl["code"], actor=world.filler_b, place="南郊二号秤", lat=38.81, lon=115.41)

    def sightings(actor) -> list[dict]:
        flags = [f for f in api.get("/api/v1/flags", actor).json
                 if f["code"] == cyl["code"] and f["kind"] == "not_owned"]
        assert len(flags) == 1
        return flags[0]["details"]["sightings"]

    everyone = {world.orgs["station_a"], world.orgs["station_b"]}
    assert {s["org_id"] for s in sightings(world.regulator)} == everyone
    # the owner follows its own cylinder wherever it is presented
    assert {s["org_id"] for s in sightings(world.company_admin)} == everyone
    own = sightings(world.station_a_admin)
    assert [s["org_id"] for s in own] == [world.orgs["station_a"]]
    assert "南郊二号秤" not in str(own) and "filler_b" not in str(own)
