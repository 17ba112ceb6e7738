"""Export a cylinder's events as a GS1 EPCIS 2.0 JSON-LD document for other platforms."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from app.traceability.codes import payload_for
from app.traceability.models import Cylinder, Event

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
VOC = "https://gas.example.cn/voc/"
CBV = "https://ref.gs1.org/cbv/"
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")

# Our event type -> (bizStep, disposition, action). Custom steps live under our vocabulary.
MAPPING: dict[str, tuple[str, str | None, str]] = {
    "registered": ("commissioning", "active", "ADD"),
    "filled": (VOC + "bizstep/filling", "active", "OBSERVE"),
    "fill_refused": (VOC + "bizstep/fill_refused", "non_conformant", "OBSERVE"),
    "reweighed": (VOC + "bizstep/reweighing", None, "OBSERVE"),
    "dispatched": ("shipping", "in_transit", "OBSERVE"),
    "delivered": ("receiving", "in_progress", "OBSERVE"),
    "returned": ("collecting", "in_transit", "OBSERVE"),
    "unloaded": ("receiving", "active", "OBSERVE"),
    "inspected": ("inspecting", None, "OBSERVE"),
    "safety_assessed": ("inspecting", None, "OBSERVE"),
    "seized": (VOC + "bizstep/seizing", "non_conformant", "OBSERVE"),
    "handed_to_agency": ("shipping", "non_conformant", "OBSERVE"),
    "scrapped": ("destroying", "destroyed", "OBSERVE"),
    "registration_cancelled": ("decommissioning", "inactive", "DELETE"),
    "blacklisted": (VOC + "bizstep/blacklisting", "non_conformant", "OBSERVE"),
    "flag_raised": (VOC + "bizstep/flagging", None, "OBSERVE"),
    "flag_resolved": (VOC + "bizstep/flag_resolving", None, "OBSERVE"),
}


def _disposition(event: Event) -> str | None:
    _, disposition, _ = MAPPING.get(event.type, (None, None, "OBSERVE"))
    if event.type in ("inspected", "safety_assessed"):
        disposition = "active" if (event.data or {}).get("result") == "pass" else "non_conformant"
    return disposition


def _offset(at: dt.datetime) -> str:
    local = at.astimezone(DISTRICT_TZ).utcoffset() or dt.timedelta()
    minutes = int(local.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def epcis_event(event: Event, epc: str, base_url: str) -> dict[str, Any]:
    """Render one event as an EPCIS 2.0 ObjectEvent."""
    step, _, action = MAPPING.get(event.type, (VOC + "bizstep/" + event.type, None, "OBSERVE"))
    doc: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{event.id}",
        "eventTime": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": _offset(event.occurred_at),
        "recordTime": event.received_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "epcList": [epc],
        "action": action,
        "bizStep": step,
        "gas:eventType": event.type,
        "gas:seq": event.seq,
        "gas:hash": event.hash,
    }
    disposition = _disposition(event)
    if disposition:
        doc["disposition"] = disposition
    if event.actor_org_id:
        doc["bizLocation"] = {"id": f"{base_url}/org/{event.actor_org_id}"}
    if event.lat is not None and event.lon is not None:
        doc["readPoint"] = {"id": f"geo:{event.lat:.6f},{event.lon:.6f}"}
    elif event.actor_org_id:
        doc["readPoint"] = {"id": f"{base_url}/org/{event.actor_org_id}"}
    if event.data:
        doc["gas:data"] = event.data
    return doc


def epcis_document(cyl: Cylinder, events: list[Event], base_url: str,
                   created: dt.datetime) -> dict[str, Any]:
    """Build the EPCISDocument holding every event of one cylinder."""
    epc = payload_for(cyl.code, base_url)
    return {
        "@context": [EPCIS_CONTEXT, {"gas": VOC}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "epcisBody": {"eventList": [epcis_event(e, epc, base_url) for e in events]},
    }
