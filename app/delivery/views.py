"""The driver's page: today's assignment, scanning, the checklist and the offline queue.

The page carries what a round needs (customers, stations, checklist) so it keeps working with
no signal; scans and checklists queue on the phone and sync through the batch endpoint.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, current_app, render_template, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth.models import Organisation
from app.auth.policy import allow
from app.clock import today
from app.delivery.fleet import assignment_on
from app.delivery.models import Customer, DeliveryArea, DriverProfile, Vehicle
from app.delivery.services import delivery_rules
from app.extensions import db, limiter
from app.filling.entrustments import STATION_KINDS, entrusted_clause

bp = Blueprint("delivery_pages", __name__, template_folder="templates")
STATIC = Path(__file__).with_name("static")
WORKER = Path(__file__).with_name("sw.js")


@bp.route("/delivery/static/<path:filename>")
@allow("public")
def static(filename: str) -> Response:
    """Serve the driver page's script (vendored, never from a CDN)."""
    return send_from_directory(STATIC, filename, max_age=300)


def _shell_assets() -> dict[str, Path]:
    """The files the driver page needs besides itself, by URL."""
    app_static = Path(current_app.static_folder or "")
    return {url_for("static", filename="css/app.css"): app_static / "css" / "app.css",
            url_for(".static", filename="driver.js"): STATIC / "driver.js"}


@bp.route("/delivery/sw.js")
@allow("public")
@limiter.limit("60/minute")
def service_worker() -> Response:
    """The driver page's service worker, named by a hash of what it keeps.

    It lives under /delivery/ but controls /driver, which the Service-Worker-Allowed header
    permits; it must not be cached by HTTP, or a changed page would wait for the cache to expire.
    Public like a static file, so it is rate-limited like the other public routes.
    """
    assets = _shell_assets()
    digest = hashlib.sha256(WORKER.read_bytes())
    for path in assets.values():
        digest.update(path.read_bytes())
    shell = {"version": digest.hexdigest()[:16], "page": url_for(".driver"),
             "assets": list(assets)}
    body = f"const SHELL = {json.dumps(shell)};\n{WORKER.read_text(encoding='utf-8')}"
    return Response(body, mimetype="text/javascript", headers={
        "Service-Worker-Allowed": url_for(".driver"), "Cache-Control": "no-store"})


def _labels() -> dict[str, str]:
    return {
        "pending": _("Queued"), "stored": _("Synced"), "refused": _("Refused"),
        "dispatch": _("Load"), "delivery": _("Deliver"), "return": _("Take back"),
        "unload": _("Unload"), "safety_check": _("Safety check"),
        "need_code": _("Type or scan a code first."),
        "need_customer": _("Choose the customer first."),
        "need_station": _("Choose the station first."),
        "need_item": _("Answer every item."),
        "need_photo": _("Take a photo of every failed item."),
        "queued": _("Queued; it syncs when there is signal."),
        "already": _("Already recorded: not queued again."),
        "online": _("Online"), "offline": _("Offline: scans are kept on this phone"),
        "position_none": _("No position yet; scans are kept without one."),
        "position_saved": _("last known position"),
        "sync_signed_out": _("You were signed out: the queued scans stay on this phone and "
                             "are sent once you sign in again."),
        "sign_in": _("Sign in"),
        "sync_reload": _("This page is out of date (you signed in again elsewhere): reload it "
                         "to send the queued scans."),
        "reload": _("Reload"),
        "sync_failed": _("Sync failed; it is retried by itself. The scans stay queued."),
        "attention": _("%(n)s scans need your attention: refused or flagged, see the list "
                       "below."),
        "hazards_opened": _("%(n)s hazards entered in the ledger"),
    }


@bp.route("/driver")
@allow("driver")
def driver() -> str:
    """Show today's assignment, the scanner, the checklist and the queue."""
    on = today()
    assignment = assignment_on(current_user.id, on)
    vehicle = db.session.get(Vehicle, assignment.vehicle_id) if assignment else None
    area = db.session.get(DeliveryArea, assignment.area_id) if assignment else None
    profile = db.session.get(DriverProfile, current_user.id)
    customers = db.session.scalars(select(Customer).where(Customer.org_id == current_user.org_id,
                                                          Customer.active.is_(True))
                                   .order_by(Customer.area_id, Customer.name).limit(3000))
    # where the company's cylinders may be unloaded (services.may_take_back): its own
    # premises and the stations it entrusted today, not every station or a competitor
    stations = db.session.scalars(select(Organisation).where(
        (Organisation.kind.in_(STATION_KINDS)
         & entrusted_clause(current_user.org_id, Organisation.id, on))
        | (Organisation.id == current_user.org_id))
        .order_by(Organisation.name))
    english = str(get_locale()) == "en"
    rules = delivery_rules()
    config = {
        "batchUrl": url_for("delivery_round_api.batch"),
        "batchBytes": (current_app.config.get("MAX_CONTENT_LENGTH") or 25 * 2**20) // 2,
        "swUrl": url_for(".service_worker"), "swScope": url_for(".driver"),
        "loginUrl": url_for("web.login", next=url_for(".driver")),
        "userId": current_user.id, "lang": "en" if english else "zh_CN",
        "labels": _labels(),
        "items": [{"code": i.code, "label": i.en if english else i.zh} for i in rules.items],
    }
    return render_template(
        "delivery/driver.html", assignment=assignment, vehicle=vehicle, area=area,
        profile=profile, customers=list(customers), stations=list(stations), config=config,
        items=config["items"], on=on)
