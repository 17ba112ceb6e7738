"""A cylinder's whole life as a timeline: each step, who did it, where, and what it found."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.oversight.inspections import DEFAULT_SCRAP_NOTES
from app.oversight.labels import flag_label, rule_label
from app.oversight.services import org_names
from app.traceability.events import (
    CHAIN_ALTERED,
    CHAIN_RECORD,
    CHAIN_UNLINKED,
    ChainReport,
    cylinder_events,
    verify_events,
)
from app.traceability.models import Cylinder, Event

EVENT_LABELS = {
    "registered": _l("Registered"), "filled": _l("Filled"), "fill_refused": _l("Fill refused"),
    "reweighed": _l("Re-weighed"), "dispatched": _l("Dispatched"), "delivered": _l("Delivered"),
    "dispatch_refused": _l("Dispatch refused"), "delivery_refused": _l("Delivery refused"),
    "return_refused": _l("Return refused"),
    "returned": _l("Returned"), "unloaded": _l("Unloaded"), "inspected": _l("Inspected"),
    "safety_assessed": _l("Safety assessed"), "seized": _l("Seized"),
    "handed_to_agency": _l("Handed to inspection agency"), "scrapped": _l("Scrapped"),
    "registration_cancelled": _l("Registration cancelled"), "blacklisted": _l("Blacklisted"),
    "flag_raised": _l("Flag raised"), "flag_resolved": _l("Flag resolved"),
}
REFUSALS = ("fill_refused", "dispatch_refused", "delivery_refused", "return_refused")
TONE = {**dict.fromkeys(REFUSALS, "bad"), "seized": "bad", "scrapped": "bad", "blacklisted": "bad",
        "registration_cancelled": "bad", "flag_raised": "warn", "flag_resolved": "ok"}

# the cylinder row's columns as the page names them above the timeline
RECORD_LABELS = {
    "serial_no": _l("Serial number"), "manufacturer": _l("Manufacturer"),
    "manufactured_on": _l("Made"), "owner_org_id": _l("Owner"), "model": _l("Model"),
    "registration_no": _l("Registration number"), "last_inspected_on": _l("Last inspected"),
    "design_life_years": _l("Design life"), "life_extended_until": _l("Design life"),
    "seized_at": _l("Seized"), "scrapped_at": _l("Scrapped"),
    "registration_cancelled_at": _l("Registration cancelled"),
}


@dataclass
class Step:
    event: Event
    label: str
    tone: str
    who: str | None
    org: str | None
    detail: str
    broken: bool = False  # the chain check names this step as altered or not linking


def _reasons(reasons: list[Any]) -> str:
    """A refusal's reasons in the reader's language (each reason carries both)."""
    english = str(get_locale()) == "en"
    texts = []
    for r in reasons:
        if not isinstance(r, dict):
            texts.append(str(r))
            continue
        text = r.get("message_en") if english else r.get("message")
        texts.append(str(text or r.get("message") or r.get("code") or "?"))
    return ("; " if english else "；").join(texts)


def _detail(event: Event) -> str:
    # a hand-edited row may hold any JSON (or, on SQLite, none): the chain reports it altered
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    kind = event.type
    if kind == "filled":
        text = _("%(net)s kg of %(rated)s kg", net=data.get("net_mass_kg", "?"),
                 rated=data.get("rated_fill_kg", "?"))
        return text + (" · " + _("overfilled") if data.get("overfill") else "")
    if kind in REFUSALS:
        return _reasons(data.get("reasons") or [])
    if kind == "delivered":
        checked = data.get("safety_check_id")
        return (_("safety check %(id)s", id=checked) if checked
                else _("no safety check")) + (" · " + _("out of zone")
                                              if data.get("out_of_zone") else "")
    if kind == "inspected":
        result = _("passed") if data.get("result") == "pass" else _("failed")
        due = data.get("next_due")
        return result + (" · " + _("next due %(day)s", day=due) if due else "")
    if kind == "safety_assessed":
        result = _("passed") if data.get("result") == "pass" else _("failed")
        until = data.get("extended_until")
        return result + (" · " + _("life extended to %(day)s", day=until) if until else "")
    if kind in ("flag_raised", "flag_resolved"):
        return " · ".join(v for v in (flag_label(data.get("kind")),
                                      data.get("note") or rule_label(data.get("rule"))) if v)
    parts = [data.get(k) for k in ("order_no", "note", "reason", "serial_no")]
    if kind == "scrapped" and data.get("note") in DEFAULT_SCRAP_NOTES:
        parts[1] = _(data["note"])
    return " · ".join(str(p) for p in parts if p)


def timeline(cyl: Cylinder) -> tuple[list[Step], ChainReport]:
    """Return a cylinder's steps, oldest first, and whether its chain verifies."""
    events = cylinder_events(cyl.id)
    report = verify_events(cyl, events)
    users = {u.id: u.display_name or u.name for u in db.session.scalars(
        select(User).where(User.id.in_({e.actor_user_id for e in events if e.actor_user_id})))}
    orgs = org_names({e.actor_org_id for e in events})
    broken = {values.get("seq") for message, values in report.issues
              if message in (CHAIN_ALTERED, CHAIN_UNLINKED)}
    steps = [Step(e, str(EVENT_LABELS.get(e.type, e.type)), TONE.get(e.type, ""),
                  users.get(e.actor_user_id or 0), orgs.get(e.actor_org_id or 0), _detail(e),
                  e.seq in broken)
             for e in events]
    return steps, _named(report)


def _named(report: ChainReport) -> ChainReport:
    """The report with the row's altered columns named as the page names them."""
    if not report.record_fields:
        return report
    labels = list(dict.fromkeys(str(RECORD_LABELS.get(f, f)) for f in report.record_fields))
    fields = ("、" if str(get_locale()) != "en" else ", ").join(labels)
    issues = tuple((m, {"fields": fields}) if m == CHAIN_RECORD else (m, v)
                   for m, v in report.issues)
    return replace(report, issues=issues)
