"""EPCIS 2.0 export: one ObjectEvent per event with the fields the standard requires."""
from __future__ import annotations

import json

from tests.oversight.conftest import BASE

REQUIRED = {"type", "eventID", "eventTime", "eventTimeZoneOffset", "epcList", "action",
            "bizStep"}


def test_export_maps_every_event(api, registry, world, events):
    code = registry.cylinder()["code"]
    events.fill(code, at=BASE, lat=38.87, lon=115.46)
    events.deliver(code, at=BASE.replace(hour=10))
    api.post(f"/api/v1/cylinders/{code}/inspections", world.inspector,
             json={"result": "pass", "inspected_on": "2026-06-01"})
    resp = api.get(f"/api/v1/cylinders/{code}/epcis", world.regulator)
    assert resp.status_code == 200 and resp.mimetype == "application/ld+json"
    doc = json.loads(resp.data)
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    evs = doc["epcisBody"]["eventList"]
    assert [e["gas:eventType"] for e in evs] == ["registered", "filled", "delivered",
                                                 "inspected"]
    for event in evs:
        assert set(event) >= REQUIRED, event
        assert event["type"] == "ObjectEvent"
        assert event["epcList"] == [f"https://gas.example.cn/c/{code}"]
        assert event["eventTimeZoneOffset"] == "+08:00"
        assert event["eventTime"].endswith("Z")
    steps = [e["bizStep"] for e in evs]
    assert steps == ["commissioning", "https://gas.example.cn/voc/bizstep/filling", "receiving",
                     "inspecting"]
    assert evs[0]["action"] == "ADD" and evs[1]["readPoint"]["id"].startswith("geo:38.87")
    assert evs[3]["disposition"] == "active"


def test_export_follows_the_visibility_rules(api, registry, world):
    code = registry.cylinder(owner="station_b")["code"]
    assert api.get(f"/api/v1/cylinders/{code}/epcis", world.filler_b).status_code == 200
    assert api.get(f"/api/v1/cylinders/{code}/epcis", world.filler_a).status_code == 404
    assert api.get(f"/api/v1/cylinders/{code}/epcis", world.printer).status_code == 403
    assert api.get("/api/v1/cylinders/zz/epcis", world.regulator).status_code == 400
