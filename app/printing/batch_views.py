"""The owner's page for QR code batches: order one, see where each stands, give it to a print
shop. The same services as `POST /api/v1/code-batches` and `.../assign`; a refusal is shown in
the form that caused it, with what was typed kept."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth.models import Organisation
from app.auth.policy import allow, is_oversight
from app.clock import DISTRICT_TZ
from app.errors import N_, APIError, NotFound, ValidationFailed, refusal_text
from app.extensions import db
from app.printing.services import assign_batch, batches_for
from app.printing.views import BATCH_STATUS_LABELS
from app.query_args import form_id
from app.traceability.services import MAX_BATCH, issue_codes, owner_orgs

bp = Blueprint("code_batches", __name__, template_folder="templates", url_prefix="/printing")
# the services' messages for these carry values (or are English only): the page says its own
WORDING = {
    "invalid_count": N_("The number of codes must be a whole number from 1 to %(max)s."),
    "org_not_found": N_("Choose the owner from the list."),
    "not_a_printer": N_("Choose a print shop from the list."),
    "batch_already_printed": N_("This batch is printed already; it stays with its print shop."),
}
ASSIGNABLE = ("issued", "assigned")  # assign_batch refuses a printed or delivered batch


def _count(text: str) -> int:
    """The typed number of codes, or the refusal the service gives for a bad one."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ValidationFailed(N_("Not a whole number: %(text)s."), values={"text": repr(text)},
                               code="invalid_count")
    return int(text)


def _refused(exc: APIError) -> tuple[str, int]:
    """The form's message and the answer's status (a choice that names nothing is a 400)."""
    db.session.rollback()
    return refusal_text(exc, WORDING, max=MAX_BATCH), 400 if exc.status == 404 else exc.status


def _page(status: int = 200, **form: Any) -> tuple[str, int]:
    """The page: the order form (with `order`, what was typed, and `order_error`), the
    batches, and each batch's print-shop choice (with `assign_error` by batch id)."""
    printers = list(db.session.scalars(select(Organisation).where(
        Organisation.kind == "printer").order_by(Organisation.name)))
    return render_template(
        "printing/batches.html", batches=batches_for(current_user), printers=printers,
        printer_names={p.id: p.name for p in printers}, status_names=BATCH_STATUS_LABELS,
        owners=owner_orgs() if is_oversight(current_user) else [], max_batch=MAX_BATCH,
        district_tz=DISTRICT_TZ,
        assignable=ASSIGNABLE, **{"order": {}, "order_error": None, "assign_error": {},
                                  **form}), status


@bp.route("/batches", methods=["GET", "POST"])
@allow("admin", "regulator")
def batches() -> tuple[str, int] | Response:
    """List the batches of the user's organisation (every one, for oversight) and order one."""
    if request.method == "GET":
        return _page()
    order = {"count": request.form.get("count", ""),
             "owner_org_id": request.form.get("owner_org_id", "")}
    try:
        # an admin orders for their own organisation; oversight names the owner
        owner = (form_id("owner_org_id") if is_oversight(current_user)
                 else current_user.org_id)
        batch = issue_codes(current_user, owner, _count(order["count"]))
    except APIError as exc:
        message, status = _refused(exc)
        return _page(status, order=order, order_error=message)
    flash(_("Batch %(id)s issued: %(count)s codes for %(owner)s.", id=batch.id,
            count=batch.count, owner=batch.owner.name), "ok")
    return redirect(url_for(".batches"))


@bp.route("/batches/<int:batch_id>/assign", methods=["POST"])
@allow("admin", "regulator")
def assign(batch_id: int) -> tuple[str, int] | Response:
    """Give a batch to a print shop (or another one, until it is printed)."""
    try:
        batch = assign_batch(current_user, batch_id, form_id("printer_org_id"))
    except NotFound:
        raise  # another organisation's batch is answered as a missing one
    except APIError as exc:
        message, status = _refused(exc)
        return _page(status, assign_error={batch_id: message})
    flash(_("Batch %(id)s is assigned to %(printer)s.", id=batch.id,
            printer=db.session.get(Organisation, batch.printer_org_id).name), "ok")
    return redirect(url_for(".batches"))
