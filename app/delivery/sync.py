"""Offline sync: a batch of queued scans and checklists, each stored exactly once.

Each event runs in its own savepoint, so a refusal or a bad event never undoes the others;
an event id seen before answers `already_stored` (or `refused` again, with the same reasons).
Database trouble is not a refusal: it fails the whole batch, which the phone retries.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.delivery import door, safety, services
from app.delivery.models import SafetyCheck
from app.delivery.schemas import DeliveryIn, DispatchIn, ReturnIn, SafetyCheckIn, UnloadIn
from app.errors import N_, APIError, Forbidden, Term, coded_error, page_message
from app.extensions import db
from app.traceability.events import find_event

DRIVER_ONLY = {"delivery": N_("deliveries"), "return": N_("returns"),
               "safety_check": N_("safety checks")}  # what only a driver records
STEP_REFUSED = N_("The step was refused.")


def error_of(code: str, message: str, details: Any = None,
             text: str | None = None) -> dict[str, Any]:
    """A refused event's error: `message` as written (the API's English), `text` in the
    reader's language for the driver's page (which cannot look messages up itself)."""
    return {"code": code, "message": message, "text": text or page_message(message),
            "details": details}


def step_of(body: dict[str, Any]) -> services.Step:
    """The scan part of a validated body."""
    return services.Step(code=body.get("code") or body.get("payload"), photo=body.get("photo"),
                         event_id=body.get("event_id"), occurred_at=body.get("occurred_at"),
                         lat=body.get("lat"), lon=body.get("lon"), place=body.get("place"))


def check_of(body: dict[str, Any]) -> safety.CheckIn:
    return safety.CheckIn(customer_id=body["customer_id"], items=body["items"],
                          photos=body.get("photos") or {}, check_id=body.get("event_id"),
                          occurred_at=body.get("occurred_at"), lat=body.get("lat"),
                          lon=body.get("lon"), notes=body.get("notes"))


def run_safety_check(actor: User, body: dict[str, Any]) -> dict[str, Any]:
    check, created = safety.record_safety_check(actor, check_of(body))
    return {"status": "stored" if created else "already_stored",
            **safety.check_to_dict(check)}


def _outcome(fn: Callable[..., services.Outcome]) -> Callable[[User, dict], dict]:
    def run(actor: User, body: dict[str, Any]) -> dict[str, Any]:
        return fn(actor, body).to_dict()
    return run


HANDLERS: dict[str, tuple[type[Schema], Callable[[User, dict], dict]]] = {
    "dispatch": (DispatchIn, _outcome(lambda actor, b: services.dispatch_cylinder(
        actor, step_of(b), b.get("vehicle_id"), b.get("driver_id")))),
    "delivery": (DeliveryIn, _outcome(lambda actor, b: door.deliver_cylinder(
        actor, step_of(b), b["customer_id"], b.get("safety_check_id")))),
    "return": (ReturnIn, _outcome(lambda actor, b: door.return_cylinder(
        actor, step_of(b), b["customer_id"]))),
    "unload": (UnloadIn, _outcome(lambda actor, b: services.unload_cylinder(
        actor, step_of(b), b.get("station_org_id")))),
    "safety_check": (SafetyCheckIn, run_safety_check),
}


def _stored_before(item: dict[str, Any]) -> bool:
    if item["type"] == "safety_check":
        return db.session.get(SafetyCheck, item["event_id"]) is not None
    return find_event(item["event_id"]) is not None


def sync_one(actor: User, item: dict[str, Any]) -> dict[str, Any]:
    """Store one queued event in its own savepoint and say what became of it."""
    event_id = str(item["event_id"])
    kind = item["type"]
    schema, handler = HANDLERS[kind]
    payload = {**item.get("payload", {}), "event_id": event_id,
               "occurred_at": item["occurred_at"].isoformat()}
    try:
        with db.session.begin_nested():
            if kind in DRIVER_ONLY and actor.role != "driver":
                raise Forbidden(N_("Only drivers record %(kind)s events."),
                                values={"kind": Term(kind, DRIVER_ONLY)})
            try:
                body = schema().load(payload)
            except ValidationError as exc:
                raise coded_error(exc.messages) or APIError(
                    N_("The event has invalid fields."), code="validation_error",
                    details=exc.messages) from exc
            result = handler(actor, body)
    except APIError as exc:
        return {"event_id": event_id, "status": "refused",
                "error": error_of(exc.code, exc.message, exc.details, page_message(exc))}
    except IntegrityError:
        if _stored_before(item):  # a concurrent retry stored it first
            return {"event_id": event_id, "status": "already_stored"}
        raise
    answer: dict[str, Any] = {"event_id": event_id, "status": result["status"],
                              "result": result}
    if result["status"] == "refused":
        answer["reasons"] = result["reasons"]
        answer["error"] = error_of(f"{kind}_refused", STEP_REFUSED)
    return answer


def processing_order(events: list[dict[str, Any]]) -> list[int]:
    """The indexes of a batch in the order its events happened, checklists first.

    A phone may queue a hand-over before the loading it depends on; stored in the order sent,
    the delivery would be refused and the loading stored after it. Checklists go first so a
    visit's deliveries find their check (the rule counts any check of that day). Equal times
    keep the order sent; an event without a time keeps the time of the one sent before it.
    """
    times: list[dt.datetime | None] = []
    for item in events:
        times.append(item.get("occurred_at") or (times[-1] if times else None))
    earliest = min((t for t in times if t is not None), default=None)
    return sorted(range(len(events)), key=lambda i: (
        events[i]["type"] != "safety_check", times[i] or earliest or dt.datetime.min))


def sync_batch(actor: User, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Store a batch in the order it happened; answer in the order it was sent."""
    order = processing_order(events)
    results: list[dict[str, Any] | None] = [None] * len(events)
    seen: dict[str, int] = {}
    for index in order:
        event_id = str(events[index]["event_id"])
        if event_id in seen:  # the same event twice in one batch is stored once
            first = results[seen[event_id]]
            assert first is not None
            results[index] = {**first, "status": "already_stored" if first["status"] == "stored"
                              else first["status"]}
            continue
        seen[event_id] = index
        results[index] = sync_one(actor, events[index])
    done = [r for r in results if r is not None]
    return {"results": done, **{status: sum(r["status"] == status for r in done)
                                for status in ("stored", "already_stored", "refused")}}

