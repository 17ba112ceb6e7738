"""Names, plates and notes that would read as something other than what is stored are refused
(400 invalid_text naming the field), through the API and the company pages, and nothing is
written; ordinary Chinese, emoji and a note's line breaks pass."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.delivery.models import Customer, DeliveryArea, Hazard, SafetyCheck, Vehicle
from app.extensions import db
from tests.delivery.conftest import INSIDE, at, checklist, resident_id

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Trojan source" reordering
ZWSP = "\u200b"
HTML = {"Accept": "text/html"}


def _count(model: type) -> int:
    db.session.rollback()  # a fresh read
    return db.session.scalar(select(func.count()).select_from(model))


def _stored(model: type, row_id: int) -> object:
    db.session.rollback()  # a fresh read
    return db.session.get(model, row_id)


def _refused(resp, field: str, char: str) -> None:
    assert resp.status_code == 400, (resp.status_code, resp.data)
    error = resp.json["error"]
    assert error["code"] == "invalid_text", error
    assert field in error["message"] and error["details"]["field"] == field
    assert error["details"]["character"] == f"U+{ord(char):04X}"


def _customer(n: int, **fields: str) -> dict:
    return {"name": "张三", "kind": "household", "id_kind": "person",
            "id_number": resident_id(n), "address": "莲池区东关大街1号", "lon": 115.47,
            "lat": 38.86, **fields}


def test_customer_names_and_addresses_with_hidden_characters_are_refused(fleet, api, world):
    admin, before = world.company_admin, _count(Customer)
    for n, (field, value, char) in enumerate((
            ("name", f"张{RLO}三", RLO), ("name", "张三\n李四", "\n"),
            ("address", f"东关大街1{ZWSP}号", ZWSP), ("contact_name", "王\x07五", "\x07"),
            ("phone", "1380013\u20668000", "\u2066"), ("name", "张三\u2028", "\u2028"),
            ("name", "张三\x85", "\x85")), start=1):
        _refused(api.post("/api/v1/customers", admin, json=_customer(n, **{field: value})),
                 field, char)
    assert _count(Customer) == before
    made = api.post("/api/v1/customers", admin, json=_customer(9, name="张三🙂（老店）"))
    assert made.status_code == 201, made.json
    edit = api.call("PATCH", f"/api/v1/customers/{made.json['id']}", admin,
                    json={"name": f"李{RLO}四"})
    _refused(edit, "name", RLO)
    assert _stored(Customer, made.json["id"]).name == "张三🙂（老店）"


def test_plates_and_area_names_with_hidden_characters_are_refused(fleet, api, world):
    admin, vehicles, areas = world.company_admin, _count(Vehicle), _count(DeliveryArea)
    plate = api.post("/api/v1/vehicles", admin, json={
        "plate": f"冀F{RLO}54321", "permit_no": "P-1", "permit_expires_on": "2027-01-01"})
    _refused(plate, "plate", RLO)
    permit = api.post("/api/v1/vehicles", admin, json={
        "plate": "冀F54321", "permit_no": f"P{ZWSP}1", "permit_expires_on": "2027-01-01"})
    _refused(permit, "permit_no", ZWSP)
    neighbour = [[115.50, 38.85], [115.56, 38.85], [115.56, 38.88], [115.50, 38.88]]
    area = api.post("/api/v1/areas", admin, json={"name": "南关\t片区", "polygon": neighbour})
    _refused(area, "name", "\t")
    assert (_count(Vehicle), _count(DeliveryArea)) == (vehicles, areas)
    rename = api.call("PATCH", f"/api/v1/areas/{fleet.ids['area']}", admin,
                      json={"name": f"东关{RLO}片区"})
    _refused(rename, "name", RLO)
    assert _stored(DeliveryArea, fleet.ids["area"]).name == "东关片区"


def test_hazard_notes_refuse_bidi_but_keep_line_breaks(fleet, api, world):
    fleet.customer("home")
    assert fleet.check("home", tee_connection="fail").status_code == 201
    hazard = api.get("/api/v1/hazards", world.company_admin).json["hazards"][0]
    path = f"/api/v1/hazards/{hazard['id']}"
    evidence = api.post(f"{path}/rectify", world.driver,
                        json={"evidence": f"已拆除三通{RLO}（未整改）"})
    _refused(evidence, "evidence", RLO)
    assert _stored(Hazard, hazard["id"]).status == "open"
    done = api.post(f"{path}/rectify", world.driver,
                    json={"evidence": "已拆除三通\r\n\t换用整根软管 ✅"})
    assert done.status_code == 200, done.json
    note = api.post(f"{path}/verify", world.company_admin, json={"note": "复核\x1b[2J合格"})
    _refused(note, "note", "\x1b")
    assert _stored(Hazard, hazard["id"]).status == "rectified"


def _form(api, world, path: str, data: dict) -> str:
    """Post a company form: a refused one comes back as typed, with the refusal (400)."""
    sent = api.post(path, world.company_admin, headers=HTML, data=data)  # its own app context
    assert sent.status_code == 400, sent.data
    return sent.get_data(as_text=True)


def test_the_company_pages_say_the_refusal_in_chinese_and_keep_nothing(fleet, api, world):
    """The area form calls the service with the typed name; the vehicle form validates with
    the API's schema: both say which character, in Chinese, and store nothing."""
    areas, vehicles = _count(DeliveryArea), _count(Vehicle)
    outline = "\n".join(f"{lon}, {lat}" for lon, lat in
                        [[115.50, 38.85], [115.56, 38.85], [115.56, 38.88], [115.50, 38.88]])
    area = _form(api, world, "/company/areas", {"name": f"南关{RLO}片区", "outline": outline})
    assert "“名称”的第 3 个字符是改变文字显示顺序的字符（U+202E" in area, area
    vehicle = _form(api, world, "/company/vehicles", {
        "plate": f"冀F{ZWSP}54321", "permit_no": "P-1", "permit_expires_on": "2027-01-01"})
    assert "第 3 个字符是不可见字符（U+200B" in vehicle, vehicle
    assert (_count(DeliveryArea), _count(Vehicle)) == (areas, vehicles)


def test_a_queued_check_whose_notes_hide_a_reordering_is_refused_alone(fleet, api, world):
    """Offline sync loads each event with the same schemas: the one item is refused with
    invalid_text, the rest of the batch is stored."""
    fleet.customer("home")
    check = {"event_id": str(uuid.uuid4()), "type": "safety_check", "occurred_at": at(4),
             "payload": {"customer_id": fleet.customers["home"], **INSIDE,
                         "items": checklist(), "notes": f"已检查{RLO}（未入户）"}}
    clean = {**check, "event_id": str(uuid.uuid4()), "occurred_at": at(5),
             "payload": {**check["payload"], "notes": "已检查\n入户"}}
    resp = api.post("/api/v1/events/batch", world.driver, json={"events": [check, clean]})
    assert resp.status_code == 200, resp.json
    refused, stored = resp.json["results"]
    assert (refused["status"], refused["error"]["code"]) == ("refused", "invalid_text")
    assert "notes" in refused["error"]["message"] and stored["status"] == "stored"
    assert _count(SafetyCheck) == 1
