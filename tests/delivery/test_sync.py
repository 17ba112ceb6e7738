"""Offline sync: a batch stores each event once, refusals do not undo the others, retries and
concurrent retries never double anything."""
from __future__ import annotations

import datetime as dt
import threading
import uuid

from sqlalchemy import func, select

from app.delivery.models import Hazard, SafetyCheck
from app.extensions import db
from app.traceability.models import Event, Flag
from tests.conftest import Api
from tests.delivery.conftest import INSIDE, PNG_1PX, at, checklist


def event(type_: str, minute: int, **payload) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": type_, "occurred_at": at(minute),
            "payload": payload}


def counts() -> dict[str, int]:
    db.session.rollback()  # end the read snapshot: see what the requests committed
    by_type = dict(db.session.execute(select(Event.type, func.count()).group_by(Event.type)).all())
    by_type["safety_check"] = db.session.scalar(select(func.count()).select_from(SafetyCheck))
    by_type["hazard"] = db.session.scalar(select(func.count()).select_from(Hazard))
    return by_type


def offline_round(fleet) -> list[dict]:
    """What a phone queues on a round: load two, a visit with a failed item, a refused door."""
    fleet.customer("home")
    fleet.customer("cellar", "restaurant", premises="underground")
    a, b = fleet.cylinder(), fleet.cylinder()
    delivery = event("delivery", 3, code=a, customer_id=fleet.customers["home"], **INSIDE)
    check = event("safety_check", 4, customer_id=fleet.customers["home"], **INSIDE,
                  items=checklist(no_gas_detector="fail"), photos={"no_gas_detector": PNG_1PX})
    delivery["payload"]["safety_check_id"] = check["event_id"]
    return [event("dispatch", 1, code=a), event("dispatch", 2, code=b), delivery, check,
            event("delivery", 5, code=b, customer_id=fleet.customers["cellar"], **INSIDE),
            event("return", 6, code=a, customer_id=fleet.customers["home"], **INSIDE)]


def test_batch_stores_each_event_and_reports_refusals(fleet, api, world):
    events = offline_round(fleet)
    resp = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert resp.status_code == 200, resp.json
    statuses = [(r["event_id"], r["status"]) for r in resp.json["results"]]
    assert [s for _, s in statuses] == ["stored", "stored", "stored", "stored", "refused",
                                        "stored"]
    assert [e for e, _ in statuses] == [e["event_id"] for e in events]  # the phone's order
    refused = resp.json["results"][4]
    assert [r["code"] for r in refused["reasons"]] == ["underground_premises"]
    assert (resp.json["stored"], resp.json["refused"]) == (5, 1)
    delivered = resp.json["results"][2]["result"]
    assert delivered["flags"] == []  # the visit's check was synced first, though queued after
    assert counts() == {"registered": 2, "filled": 2, "dispatched": 2, "delivered": 1,
                        "delivery_refused": 1, "returned": 1, "safety_check": 1, "hazard": 1}
    stored = db.session.get(Event, uuid.UUID(events[2]["event_id"]))
    assert stored.occurred_at.isoformat() == "2026-06-15T01:03:00+00:00"  # device time kept
    assert stored.received_at > stored.occurred_at  # receive time kept apart


def test_retrying_a_batch_cut_off_half_way_doubles_nothing(fleet, api, world):
    events = offline_round(fleet)
    first = api.post("/api/v1/events/batch", world.driver, json={"events": events[:3]})
    # the delivery names a check this part of the batch does not carry: it alone fails
    assert [r["status"] for r in first.json["results"]] == ["stored", "stored", "refused"]
    assert first.json["results"][2]["error"]["code"] == "safety_check_not_found"
    before = counts()
    assert "delivered" not in before and "delivery_refused" not in before  # nothing written
    again = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert [r["status"] for r in again.json["results"]] == [
        "already_stored", "already_stored", "stored", "stored", "refused", "stored"]
    third = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert [r["status"] for r in third.json["results"]] == [
        "already_stored"] * 4 + ["refused", "already_stored"]
    after = counts()
    assert after["dispatched"] == before["dispatched"] == 2
    assert after["delivered"] == 1 and after["delivery_refused"] == 1
    assert after["safety_check"] == 1 and after["hazard"] == 1


def test_one_bad_event_does_not_undo_the_others(fleet, api, world):
    fleet.customer("home")
    code = fleet.cylinder()
    events = [event("dispatch", 1, code=code),
              event("delivery", 2, code="NOT-A-CODE", customer_id=fleet.customers["home"]),
              event("safety_check", 3, customer_id=fleet.customers["home"],
                    items=checklist(tee_connection="fail")),  # failed item without a photo
              event("delivery", 4, customer_id=fleet.customers["home"]),  # no code at all
              event("unload", 5, code=code)]  # a driver must name the station
    resp = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert resp.status_code == 200
    results = resp.json["results"]
    assert [r["status"] for r in results] == ["stored", "refused", "refused", "refused",
                                              "refused"]
    assert results[1]["error"]["code"] == "foreign_code"
    assert results[2]["error"]["code"] == "photo_required"
    assert results[3]["error"]["code"] == "validation_error"
    assert results[4]["error"]["code"] == "station_required"
    assert counts()["dispatched"] == 1 and counts()["hazard"] == 0


def test_batch_roles_and_shape(fleet, api, world):
    fleet.customer("home")
    deliveries = [event("delivery", 1, code=fleet.cylinder(),
                        customer_id=fleet.customers["home"])]
    resp = api.post("/api/v1/events/batch", world.filler_a, json={"events": deliveries})
    assert resp.json["results"][0]["status"] == "refused"
    assert resp.json["results"][0]["error"]["code"] == "forbidden"
    assert api.post("/api/v1/events/batch", world.regulator,
                    json={"events": deliveries}).status_code == 403
    for body in ({}, {"events": []}, {"events": [{"type": "delivery"}]},
                 {"events": [{**deliveries[0], "type": "teleport"}]},
                 {"events": [{**deliveries[0], "occurred_at": "2026-06-15T09:00:00"}]}):
        resp = api.post("/api/v1/events/batch", world.driver, json=body)
        assert resp.status_code == 400, body


def test_same_event_twice_in_one_batch_is_stored_once(fleet, api, world):
    code = fleet.cylinder()
    load = event("dispatch", 1, code=code)
    resp = api.post("/api/v1/events/batch", world.driver, json={"events": [load, load]})
    assert [r["status"] for r in resp.json["results"]] == ["stored", "already_stored"]
    assert counts()["dispatched"] == 1


def test_concurrent_retries_store_every_event_once(fleet, clean_app, world):
    """Two copies of one batch at once (a phone retrying while the first is still running)."""
    events = offline_round(fleet)
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def send(slot: int) -> None:
        client = Api(clean_app.test_client())
        barrier.wait()
        answers[slot] = client.post("/api/v1/events/batch", world.driver,
                                    json={"events": events})

    threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(a is not None and a.status_code == 200 for a in answers), [
        a.json if a is not None else None for a in answers]
    for index, item in enumerate(events):
        statuses = sorted(a.json["results"][index]["status"] for a in answers)
        expected = ["refused", "refused"] if item["type"] == "delivery" and index == 4 else [
            "already_stored", "stored"]
        assert statuses == expected, (index, item["type"], statuses)
    after = counts()
    assert after["dispatched"] == 2 and after["delivered"] == 1 and after["returned"] == 1
    assert after["delivery_refused"] == 1
    assert after["safety_check"] == 1 and after["hazard"] == 1
    db.session.rollback()  # end the read snapshot: see what the requests committed
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


def test_a_batch_is_stored_in_the_order_it_happened(fleet, api, world):
    """A hand-over queued before its loading: the loading is stored first, then the delivery."""
    fleet.customer("home")
    code = fleet.cylinder()
    check = event("safety_check", 35, customer_id=fleet.customers["home"], **INSIDE,
                  items=checklist())
    delivery = event("delivery", 30, code=code, customer_id=fleet.customers["home"], **INSIDE,
                     safety_check_id=check["event_id"])
    events = [delivery, event("dispatch", 0, code=code), check]
    resp = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert resp.status_code == 200, resp.json
    results = resp.json["results"]
    assert [r["event_id"] for r in results] == [e["event_id"] for e in events]  # as sent
    assert [r["status"] for r in results] == ["stored"] * 3, results
    assert [r["result"]["type"] for r in results[:2]] == ["delivered", "dispatched"]
    assert results[0]["result"]["flags"] == []
    assert results[1]["result"]["seq"] < results[0]["result"]["seq"]
    assert fleet.custody(code)["kind"] == "customer"
    before = counts()
    assert before["dispatched"] == before["delivered"] == 1
    assert "delivery_refused" not in before

    again = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert [r["status"] for r in again.json["results"]] == ["already_stored"] * 3
    assert [r["event_id"] for r in again.json["results"]] == [e["event_id"] for e in events]
    assert counts() == before


def test_processing_order_is_by_time_stable_and_checklists_first():
    from app.delivery.sync import processing_order

    def item(type_: str, minute: int | None) -> dict:
        return {"type": type_, "occurred_at": None if minute is None else
                dt.datetime.fromisoformat(at(minute))}

    events = [item("dispatch", None), item("delivery", 30), item("dispatch", 0),
              item("unload", 30), item("return", None), item("safety_check", 40)]
    # no time: the one sent before it's (or the earliest); equal times: the order sent
    assert processing_order(events) == [5, 0, 2, 1, 3, 4]


def test_batch_checks_the_linked_safety_check_item_by_item(fleet, api, world):
    fleet.customer("diner", "restaurant")
    fleet.customer("home")
    found, fine, lost, bogus = (fleet.cylinder() for _ in range(4))
    basement = event("safety_check", 5, customer_id=fleet.customers["diner"], **INSIDE,
                     items=checklist(underground_use="fail"),
                     photos={"underground_use": PNG_1PX})
    unstored = event("safety_check", 6, customer_id=fleet.customers["home"],
                     items=checklist(tee_connection="fail"))  # no photo: not stored
    clean = event("safety_check", 7, customer_id=fleet.customers["home"], items=checklist())
    events = [*(event("dispatch", minute, code=code)
                for minute, code in enumerate((found, fine, lost, bogus), 1)),
              event("delivery", 8, code=found, customer_id=fleet.customers["diner"],
                    safety_check_id=basement["event_id"], **INSIDE),
              event("delivery", 9, code=fine, customer_id=fleet.customers["home"],
                    safety_check_id=clean["event_id"], **INSIDE),
              event("delivery", 10, code=lost, customer_id=fleet.customers["home"],
                    safety_check_id=unstored["event_id"], **INSIDE),
              event("delivery", 11, code=bogus, customer_id=fleet.customers["home"],
                    safety_check_id=basement["event_id"], **INSIDE),
              basement, unstored, clean]
    resp = api.post("/api/v1/events/batch", world.driver, json={"events": events})
    assert resp.status_code == 200, resp.json
    results = resp.json["results"]
    assert [r["status"] for r in results] == ["stored"] * 4 + [
        "refused", "stored", "refused", "refused", "stored", "refused", "stored"]
    assert [r["code"] for r in results[4]["reasons"]] == ["underground_use_found"]
    assert results[5]["result"]["data"]["safety_check_id"] == clean["event_id"]
    assert results[6]["error"]["code"] == "safety_check_not_found"
    assert results[7]["error"]["code"] == "safety_check_other_customer"
    assert results[9]["error"]["code"] == "photo_required"
    assert counts() == {"registered": 4, "filled": 4, "dispatched": 4, "delivered": 1,
                        "delivery_refused": 1, "safety_check": 2, "hazard": 1}


def test_each_refusal_is_told_in_the_readers_language(fleet, api, world):
    """The driver page shows a refused scan's error; the API's `message` stays as written
    (English), `text` says it in the page's language."""
    fleet.customer("home")
    events = [event("dispatch", 1, code="NOT-A-CODE"),
              event("delivery", 2, code=fleet.cylinder(), customer_id=999999)]
    zh = api.post("/api/v1/events/batch", world.driver, json={"events": events}).json
    assert [r["error"]["code"] for r in zh["results"]] == ["foreign_code", "customer_not_found"]
    assert zh["results"][0]["error"]["message"] == "This is not a cylinder code of this system."
    assert zh["results"][0]["error"]["text"] == "这不是本系统的气瓶编码。"
    assert all(r["error"]["text"] != r["error"]["message"] for r in zh["results"]), zh
    en = api.post("/api/v1/events/batch?lang=en", world.driver, json={"events": events}).json
    assert [r["error"]["text"] for r in en["results"]] == [
        r["error"]["message"] for r in en["results"]]
