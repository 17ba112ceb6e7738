"""What anyone's phone sees after scanning a cylinder's QR, and the report (举报) they send.

No personal data: organisation names only, never customers, drivers or staff. A scan of a
scrapped or cancelled code counts on that cylinder's one `black_cylinder` flag (so a flood of
scans grows a counter, not the table). A well-formed code that was never issued raises no flag:
anyone can make such codes, so they would flood the queue; the page asks for a report instead.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.clock import today
from app.database import utcnow
from app.delivery.rules import BLOCKING_FLAGS
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.oversight.blacklist import entries_covering
from app.oversight.models import CylinderTrace, PublicReport
from app.oversight.services import require_regulator
from app.text_fields import require_clean_text
from app.traceability.codes import CodeError, format_code, parse_code
from app.traceability.flags import open_flag_kinds, raise_flag
from app.traceability.models import Cylinder
from app.traceability.services import cylinder_state, find_cylinder, org_name

REPORT_CATEGORIES = {
    "overdue": _l("Overdue or too old, still in use"), "damaged": _l("Damaged or corroded"),
    "leak": _l("Smells of gas or leaks"), "illegal_filling": _l("Filled or sold illegally"),
    "fake_code": _l("The code looks fake or copied"), "other": _l("Something else"),
}
DEAD = ("scrapped", "registration_cancelled")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # a textarea's \t\r\n pass
# a web address as spam carries it; a resident may quote the one a fake QR opened
_LINK = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)")
MAX_LINKS = 1


@dataclass
class PublicView:
    code_text: str
    display: str | None = None
    known: bool = False
    danger: bool = True
    owner: str | None = None
    model: str | None = None
    made: str | None = None
    last_filled_at: dt.datetime | None = None
    last_fill_station: str | None = None
    next_due: dt.date | None = None
    life_ends: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
    cylinder_id: int | None = None


def public_view(text: str) -> PublicView:
    """Tell the public whether a scanned code is a registered cylinder and safe to use."""
    view = PublicView(code_text=(text or "")[:64])
    try:
        code = parse_code(text, current_app.config["PUBLIC_BASE_URL"]).code
    except CodeError:
        view.warnings.append(_("This is not a valid cylinder code."))
        return view
    view.display = format_code(code)
    cyl = find_cylinder(code)
    if cyl is None:
        view.warnings.append(_("This code is not registered to any cylinder."))
        return view
    return _describe(view, cyl)


def _describe(view: PublicView, cyl: Cylinder) -> PublicView:
    state = cylinder_state(cyl)
    trace = db.session.get(CylinderTrace, cyl.id)
    view.known, view.cylinder_id = True, cyl.id
    view.owner, view.model = org_name(cyl.owner_org_id), cyl.model
    view.made = cyl.manufactured_on.strftime("%Y-%m")
    view.next_due, view.life_ends = state.next_inspection_due, state.service_life_ends
    if trace is not None and trace.last_filled_at is not None:
        view.last_filled_at = trace.last_filled_at
        view.last_fill_station = org_name(trace.last_fill_org_id)
    messages = {
        "registration_cancelled": _("Its registration is cancelled: this cylinder must not exist."),
        "scrapped": _("This cylinder was scrapped."),
        "seized": _("This cylinder was seized by the regulator."),
        "beyond_service_life": _("This cylinder is past its service life."),
        "inspection_overdue": _("Its periodic inspection is overdue."),
    }
    if state.status in messages:
        view.warnings.append(messages[state.status])
    if cyl.refurbished:
        view.warnings.append(_("This cylinder was refurbished."))
    if entries_covering(cyl):
        view.warnings.append(_("This product is on the blacklist."))
    view.warnings += _flag_warnings(cyl, state.status)
    view.danger = bool(view.warnings)
    if state.status in DEAD:
        raise_flag("black_cylinder", cylinder=cyl, details={"reason": "public_scan",
                                                            "status": state.status})
    return view


def _flag_warnings(cyl: Cylinder, status: str) -> list[str]:
    """Warn of the open flags that also stop a delivery at the door (`BLOCKING_FLAGS`).

    A cylinder no driver may hand over must not look safe to whoever holds it. The words name
    the kind of doubt, never who raised it or where it was seen.
    """
    messages = {
        "overfill": _("It was overfilled and is held until it is weighed again."),
        "clone_suspected": _("Its code was seen in two places at once: it may be a copy."),
        "black_cylinder": _("The regulator is checking where this cylinder came from."),
    }
    kinds = open_flag_kinds(cyl, BLOCKING_FLAGS)
    if status in DEAD:
        kinds.discard("black_cylinder")  # its status says it already, more plainly
    return [message for kind, message in messages.items() if kind in kinds]


def submit_report(text: str, category: str, message: str, contact: str | None) -> PublicReport:
    """Put a public report in the regulators' queue."""
    if category not in REPORT_CATEGORIES:
        raise ValidationFailed(N_("Pick what is wrong."), code="invalid_category")
    message = (message or "").strip()
    if not 1 <= len(message) <= 1000:
        raise ValidationFailed(N_("Describe the problem in 1 to 1000 characters."),
                               code="invalid_message")
    contact = (contact or "").strip()[:100] or None
    # pasted junk or a disguise (PostgreSQL refuses a NUL outright): refused on every database
    require_clean_text(message, "message", multiline=True, label=N_("Describe it"))
    require_clean_text(contact, "contact", label=N_("Phone, if you want a call back (optional)"))
    if len(_LINK.findall(message)) > MAX_LINKS or (contact and _LINK.search(contact)):
        # link spam filled the regulators' queue; one link is what a fake QR opens
        raise ValidationFailed(N_("A report may quote one web address, and the phone field "
                                  "none; describe the problem in words."), code="too_many_links")
    try:
        code = parse_code(text, current_app.config["PUBLIC_BASE_URL"]).code
    except CodeError:  # kept as scanned, less what no database column can hold
        code = _CONTROL_OR_BREAK.sub("", text or "").strip()[:64] or "?"
    cyl = find_cylinder(code)
    report = PublicReport(code=code, cylinder_id=cyl.id if cyl else None, category=category,
                          message=message, contact=contact)
    db.session.add(report)
    db.session.flush()
    return report


def typed_back(form: Mapping[str, str]) -> dict[str, str]:
    """What a refused report form shows again: as typed, less the control characters that
    would only be refused again (invisible, the reporter could not find them)."""
    return {name: _CONTROL.sub("", form.get(name, "")) for name in ("category", "message",
                                                                      "contact")}


def close_report(actor: User, report_id: int, note: str) -> PublicReport:
    """Close a public report with a note (regulators).

    The row is locked and read afresh: two regulators closing one report at once run one
    after the other, and the second sees it closed (SQLite writers hold the write lock).
    """
    require_regulator(actor)
    report = db.session.get(PublicReport, report_id, with_for_update=True,
                            populate_existing=True)
    if report is None:
        raise NotFound(N_("No report %(id)s."), values={"id": report_id})
    if not note or not note.strip():
        raise ValidationFailed(N_("A note is required."), code="note_required")
    require_clean_text(note, "note", multiline=True, label=N_("Note"))
    if report.status != "open":
        raise Conflict(N_("This report is closed already."), code="report_already_closed")
    report.status, report.note = "closed", note.strip()
    report.closed_at, report.closed_by_id = utcnow(), actor.id
    return report


def is_overdue(view: PublicView) -> bool:
    return view.next_due is not None and view.next_due < today()
