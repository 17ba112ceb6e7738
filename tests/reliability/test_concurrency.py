"""Concurrent writers on one thing: exactly the right rows, no duplicates, never a 500.

Each test releases its requests together from several threads (a barrier), on SQLite and on
PostgreSQL, and then checks the database itself rather than only the answers.
"""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.auth.models import Organisation
from app.extensions import db
from app.idempotency import IdempotencyRecord
from app.traceability.events import record_event
from app.traceability.flags import raise_flag
from app.traceability.models import Code, CodeBatch, Cylinder, Event, Flag
from tests.reliability.conftest import at_once

THREADS = 6


def _body(registry, code: str, serial: str) -> dict:
    world = registry.world
    return {"code": code, "serial_no": serial, "manufacturer": "百工容器", "model": "YSP35.5",
            "manufactured_on": "2022-03-01", "owner_org_id": world.orgs["company"],
            "last_inspected_on": "2024-05-01"}


def _cylinder(code: str) -> Cylinder:
    db.session.rollback()  # end the read snapshot: see what the threads committed
    return db.session.scalar(select(Cylinder).where(Cylinder.code == code))


def _count(model, *where) -> int:
    db.session.rollback()  # end the read snapshot: see what the threads committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_same_code_registered_at_once_binds_one_cylinder(registry, tapi, world):
    code = registry.codes(1)[0]["code"]
    answers = at_once(*[
        lambda i=i: tapi.post("/api/v1/cylinders", world.regulator,
                              json=_body(registry, code, f"RACE{i}"))
        for i in range(THREADS)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    assert {a.json["error"]["code"] for a in answers if a.status_code == 409} <= {
        "code_already_bound", "conflict", "duplicate_serial"}
    cyl = _cylinder(code)
    assert _count(Cylinder, Cylinder.code == code) == 1
    assert _count(Event, Event.cylinder_id == cyl.id) == 1
    assert db.session.get(Code, code).status == "bound"


def test_same_serial_on_two_codes_at_once_registers_once(registry, tapi, world):
    codes = [c["code"] for c in registry.codes(THREADS)]
    answers = at_once(*[
        lambda c=c: tapi.post("/api/v1/cylinders", world.regulator,
                              json=_body(registry, c, "SAME-SERIAL"))
        for c in codes])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (THREADS - 1), [a.json for a in answers]
    assert _count(Cylinder, Cylinder.serial_no == "SAME-SERIAL") == 1
    winner = next(a.json["code"] for a in answers if a.status_code == 201)
    losers = [c for c in codes if c != winner]
    # the losing codes stay unbound and usable: nothing half-written
    assert _count(Code, Code.code.in_(losers), Code.status == "issued") == len(losers)
    assert _count(Event) == 1


def test_many_codes_registered_at_once_all_succeed(registry, tapi, world):
    codes = [c["code"] for c in registry.codes(THREADS * 2)]
    answers = at_once(*[
        lambda i=i, c=c: tapi.post("/api/v1/cylinders", world.regulator,
                                   json=_body(registry, c, f"MANY{i}"))
        for i, c in enumerate(codes)])
    assert [a.status_code for a in answers] == [201] * len(codes)
    assert _count(Cylinder) == len(codes)
    assert _count(Code, Code.status == "bound") == len(codes)


def test_same_idempotency_key_at_once_creates_one_batch(tapi, world):
    key = str(uuid.uuid4())
    body = {"count": 3, "owner_org_id": world.orgs["company"]}
    answers = at_once(*[
        lambda: tapi.post("/api/v1/code-batches", world.regulator, json=body,
                          headers={"Idempotency-Key": key})
        for _ in range(THREADS)])
    assert [a.status_code for a in answers] == [201] * THREADS, [a.json for a in answers]
    assert len({a.json["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == THREADS - 1
    assert _count(CodeBatch) == 1
    assert _count(Code) == 3
    assert _count(IdempotencyRecord) == 1


def test_same_org_name_at_once_creates_one_org(tapi, world):
    before = _count(Organisation)
    answers = at_once(*[
        lambda: tapi.post("/api/v1/orgs", world.admin,
                          json={"name": "同名充装站", "kind": "filling_station"})
        for _ in range(THREADS)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    assert _count(Organisation) == before + 1


def test_concurrent_downloads_of_one_batch_count_each_print_once(tapi, world, registry):
    batch = tapi.post("/api/v1/code-batches", world.regulator,
                      json={"count": 4, "owner_org_id": world.orgs["company"]}).json
    assign = tapi.post(f"/api/v1/code-batches/{batch['id']}/assign", world.regulator,
                       json={"printer_org_id": world.orgs["printer"]})
    assert assign.status_code == 200
    url = f"/api/v1/code-batches/{batch['id']}/labels.zpl?reason=jammed"
    answers = at_once(*[lambda: tapi.get(url, world.printer) for _ in range(4)])
    assert [a.status_code for a in answers] == [200] * 4, [a.get_data()[:200] for a in answers]
    from app.printing.models import PrintedCode, PrintJob

    assert _count(PrintedCode) == 4  # one row per code, whoever was first
    assert _count(PrintJob) == 4 and _count(PrintJob, PrintJob.reprint.is_(True)) == 3
    db.session.rollback()
    assert {row.times_printed for row in db.session.scalars(select(PrintedCode))} == {4}


# --- the event chain under concurrent appends ----------------------------------------------

def _append(app, cylinder_id: int, event_id: uuid.UUID | None, type_: str = "inspected"):
    """Append an event as a writing request does (SQLite takes the write lock at BEGIN)."""
    with app.test_request_context(method="POST"):
        cyl = db.session.get(Cylinder, cylinder_id)
        recorded = record_event(cyl, type_, None, event_id=event_id, data={"result": "pass"})
        db.session.commit()
        return recorded.event.id, recorded.created


def test_concurrent_appends_keep_one_unbroken_chain(registry, api, world, clean_app):
    cyl = registry.cylinder()
    cylinder_id = _cylinder(cyl["code"]).id
    db.session.rollback()
    results = at_once(*[lambda: _append(clean_app, cylinder_id, uuid.uuid4())
                        for _ in range(THREADS * 2)])
    assert all(created for _id, created in results)
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    assert [e["seq"] for e in history["events"]] == list(range(1, THREADS * 2 + 2))
    assert history["chain_ok"], history["chain_problems"]


def test_same_event_id_appended_at_once_is_stored_once(registry, api, world, clean_app):
    cyl = registry.cylinder()
    cylinder_id = _cylinder(cyl["code"]).id
    db.session.rollback()
    event_id = uuid.uuid4()
    results = at_once(*[lambda: _append(clean_app, cylinder_id, event_id)
                        for _ in range(THREADS)])
    assert {eid for eid, _created in results} == {event_id}
    assert sum(created for _eid, created in results) == 1
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    assert [e["type"] for e in history["events"]] == ["registered", "inspected"]
    assert history["chain_ok"]


def _flag(app, cylinder_id: int) -> int:
    with app.test_request_context(method="POST"):
        cyl = db.session.get(Cylinder, cylinder_id)
        flag = raise_flag("clone_suspected", cylinder=cyl, details={"note": "race"})
        db.session.commit()
        return flag.id


def test_same_flag_raised_at_once_counts_sightings_on_one_flag(registry, api, world, clean_app):
    cyl = registry.cylinder()
    cylinder_id = _cylinder(cyl["code"]).id
    db.session.rollback()
    ids = at_once(*[lambda: _flag(clean_app, cylinder_id) for _ in range(THREADS)])
    assert len(set(ids)) == 1
    flag = db.session.get(Flag, ids[0])
    assert flag.occurrences == THREADS
    assert _count(Flag) == 1
    history = api.get(f"/api/v1/cylinders/{cyl['code']}/history", world.regulator).json
    assert [e["type"] for e in history["events"]] == ["registered", "flag_raised"]
    assert history["chain_ok"]

