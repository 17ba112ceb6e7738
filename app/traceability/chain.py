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
