"""The hash chain over a cylinder's events: pure functions of the stored values."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict[str, Any]) -> bytes:
    """Serialise event fields the same way on every database and every run."""

    def default(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return _iso(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=default).encode()


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """Hash an event's fields together with the hash of the event before it."""
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(canonical(fields))
    return digest.hexdigest()


def chained_fields(event: Any, code: str) -> dict[str, Any]:
    """The fields of a stored event that the chain protects."""
    return {
        "id": str(event.id), "code": code, "seq": event.seq, "type": event.type,
        "actor_user_id": event.actor_user_id, "actor_org_id": event.actor_org_id,
        "occurred_at": event.occurred_at, "received_at": event.received_at,
        "lat": event.lat, "lon": event.lon, "place": event.place,
        "data": event.data or {}, "before": event.before, "after": event.after,
    }


# The cylinder row's facts the chain records: at registration (`registered` data), in every
# state snapshot (`after` of registration and of each oversight step), and the one-way steps.
REGISTERED_FIELDS = ("serial_no", "manufacturer", "manufactured_on")
SNAPSHOT_FIELDS = ("owner_org_id", "model", "registration_no", "last_inspected_on",
                   "design_life_years", "life_extended_until")
ONE_WAY_STEPS = {"seized_at": "seized", "scrapped_at": "scrapped",
                 "registration_cancelled_at": "registration_cancelled"}


def record_mismatches(cylinder: Any, events: list[Any]) -> list[str]:
    """The cylinder row's fields that differ from what its chained events recorded.

    The chain protects the events, but the page shows the row's facts (made, life, seizure):
    a row edited by hand keeps a verifying chain unless the two are compared.
    """
    from app.traceability.names import normalise_name

    def text(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    recorded: dict[str, Any] = {}
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if event.type == "registered":
            recorded.update({k: data[k] for k in REGISTERED_FIELDS if k in data})
        if isinstance(event.after, dict):
            recorded.update({k: event.after[k] for k in SNAPSHOT_FIELDS if k in event.after})
    for name in ("serial_no", "manufacturer"):  # stored folded since migration 0010
        if isinstance(recorded.get(name), str):
            recorded[name] = normalise_name(recorded[name])
    differ = [k for k in (*REGISTERED_FIELDS, *SNAPSHOT_FIELDS)
              if k in recorded and text(getattr(cylinder, k)) != recorded[k]]
    types = {event.type for event in events}
    return differ + [column for column, step in ONE_WAY_STEPS.items()
                     if (getattr(cylinder, column) is not None) != (step in types)]
