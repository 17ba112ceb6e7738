#!/usr/bin/env python3
"""Re-verify a cylinder's exported history without the platform: Python 3 and nothing else.

A regulator downloads a cylinder's history (the timeline page's "history with hashes" link, or
GET /api/v1/cylinders/<code>/history) and hands the file on; anyone can then recompute every
event's SHA-256 from its fields and the hash before it:

    python3 verify_history.py history.json

Each hash covers the event's fields as canonical JSON (keys sorted, no spaces, UTF-8, times
in UTC as 2026-06-15T01:03:00.000000Z) after the previous event's hash (64 zeros for the
first). A file whose events all verify was not edited after export; to show the platform
did not rewrite a history before the export, compare its last hash with one recorded earlier
(another export, a report, a printout). Exit status 0: verified; 1: broken; 2: unreadable.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from typing import Any

GENESIS = "0" * 64


def _utc(text: str) -> str:
    at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    # timezone.utc, not dt.UTC: the reader may run a Python older than 3.11
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: UP017


def event_hash(event: dict[str, Any], code: str, prev_hash: str) -> str:
    """The hash the platform stored for an exported event (its `chain.py`, restated)."""
    fields = {
        "id": event["id"], "code": code, "seq": event["seq"], "type": event["type"],
        "actor_user_id": event["actor_user_id"], "actor_org_id": event["actor_org_id"],
        "occurred_at": _utc(event["at"]), "received_at": _utc(event["received_at"]),
        "lat": event["lat"], "lon": event["lon"], "place": event["place"],
        "data": event["data"] or {}, "before": event["before"], "after": event["after"],
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(canonical.encode())
    return digest.hexdigest()


def verify(history: dict[str, Any]) -> list[str]:
    """The problems of an exported history, in English; empty if every event verifies."""
    problems = []
    prev = GENESIS
    for expected, event in enumerate(history["events"], start=1):
        if event["seq"] != expected:
            problems.append(f"event {expected} is missing (found {event['seq']})")
            break
        if event_hash(event, history["code"], prev) != event["hash"]:
            problems.append(f"event {expected} does not match its hash")
        prev = event["hash"]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], "\nusage: verify_history.py history.json")
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            history = json.load(f)
        problems = verify(history)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot read {argv[1]}: {exc}")
        return 2
    events = history["events"]
    for problem in problems:
        print(f"BROKEN {history['code']}: {problem}")
    if not problems:
        head = events[-1]["hash"] if events else GENESIS
        print(f"{history['code']}: {len(events)} events verify; last hash {head}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
