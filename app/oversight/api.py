"""JSON API of oversight: search, seizure to scrapping, inspections, blacklist, flags, reports."""
from __future__ import annotations

import json

from flask import Response, current_app
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.policy import allow
from app.database import utcnow
from app.downloads import JSON_LD, PDF, XLSX, file_response
from app.errors import N_, Forbidden
from app.extensions import db
from app.oversight import blacklist, inspections, public, seizure
from app.oversight.dashboard import dashboard
from app.oversight.epcis import epcis_document
from app.oversight.models import BlacklistEntry, PublicReport
from app.oversight.reports.data import monthly_report, parse_month, report_to_dict
from app.oversight.reports.pdf import report_pdf
from app.oversight.reports.scope import report_scope
from app.oversight.reports.xlsx import report_xlsx
from app.oversight.schemas import (
    AssessmentIn,
    BlacklistIn,
    BlacklistOut,
    CloseIn,
    DashboardOut,
    EpcisDocumentOut,
    InspectionIn,
    MonthlyReportOut,
    PublicReportOut,
    ReportQuery,
    SearchPageOut,
    SearchQuery,
    SeizureStepIn,
    SeizureStepOut,
)
from app.oversight.search import Filters, run_search
from app.oversight.services import cylinder_for_oversight, is_regulator, owner_scope
from app.traceability import services as registry
from app.traceability.events import cylinder_events, event_to_dict

blp = Blueprint("oversight_api", __name__, url_prefix="/api/v1",
                description="Regulators: search, seizure and scrapping, inspections, blacklist, "
                            "flags dashboard, monthly reports, EPCIS export")


def scoped_filters(args: dict) -> Filters:
    """Build search filters; outside oversight, only the user's own cylinders are searched."""
    values = {k: v for k, v in args.items() if k not in ("page", "per_page")}
    filters = Filters(**values)
    filters.owner_org_id = owner_scope(current_user, filters.owner_org_id)
    return filters


@blp.route("/cylinders", methods=["GET"])
@allow("admin", "regulator", "inspector")
@blp.arguments(SearchQuery, location="query")
@blp.response(200, SearchPageOut)
def search_cylinders(args: dict) -> dict:
    """Search cylinders by code (also partial or mistyped), stamped data, parties and dates."""
    page = run_search(scoped_filters(args), args["page"], args["per_page"])
    return {"items": [registry.cylinder_to_dict(c) for c in page.items], "page": page.page,
            "per_page": page.per_page, "total": page.total, "total_capped": page.total_capped,
            "suggestions": page.suggestions}


@blp.route("/cylinders/<code>/epcis", methods=["GET"])
@allow("admin", "regulator", "filler", "driver", "inspector")
@blp.response(200, EpcisDocumentOut, content_type=JSON_LD)
def export_epcis(code: str) -> Response:
    """Export a cylinder's events as a GS1 EPCIS 2.0 JSON-LD document."""
    cyl = registry.get_cylinder_for(current_user, code)
    doc = epcis_document(cyl, cylinder_events(cyl.id), current_app.config["PUBLIC_BASE_URL"],
                         utcnow())
    return Response(json.dumps(doc, ensure_ascii=False), mimetype=JSON_LD)


def _step(cyl_code: str, recorded: object) -> dict:
    cyl = registry.find_cylinder(cyl_code)
    assert cyl is not None
    return {"cylinder": registry.cylinder_to_dict(cyl),
            "event": event_to_dict(recorded.event),  # type: ignore[attr-defined]
            "created": recorded.created}  # type: ignore[attr-defined]


@blp.route("/cylinders/<code>/seize", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(SeizureStepIn)
@blp.response(201, SeizureStepOut)
def seize(body: dict, code: str) -> dict:
    """Seize a cylinder (查封扣押); regulators only."""
    cyl = cylinder_for_oversight(current_user, code)
    return _step(cyl.code, seizure.seize_cylinder(current_user, cyl, note=body["note"],
                                                  order_no=body.get("order_no"),
                                                  event_id=body.get("event_id")))


@blp.route("/cylinders/<code>/hand-over", methods=["POST"])
@allow("inspector")
@blp.arguments(SeizureStepIn)
@blp.response(201, SeizureStepOut)
def hand_over(body: dict, code: str) -> dict:
    """Take a seized cylinder into the inspector's agency."""
    cyl = cylinder_for_oversight(current_user, code)
    return _step(cyl.code, seizure.hand_to_agency(current_user, cyl, note=body["note"],
                                                  event_id=body.get("event_id")))


@blp.route("/cylinders/<code>/scrap", methods=["POST"])
@allow("inspector")
@blp.arguments(SeizureStepIn)
@blp.response(201, SeizureStepOut)
def scrap(body: dict, code: str) -> dict:
    """Scrap (报废) a cylinder held by the inspector's agency; its code is retired."""
    cyl = cylinder_for_oversight(current_user, code)
    return _step(cyl.code, seizure.scrap_cylinder(current_user, cyl, note=body["note"],
                                                  event_id=body.get("event_id")))


@blp.route("/cylinders/<code>/cancel-registration", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(SeizureStepIn)
@blp.response(201, SeizureStepOut)
def cancel(body: dict, code: str) -> dict:
    """Cancel (注销) a scrapped cylinder's use registration; regulators only."""
    cyl = cylinder_for_oversight(current_user, code)
    return _step(cyl.code, seizure.cancel_registration(
        current_user, cyl, note=body["note"], order_no=body.get("order_no"),
        event_id=body.get("event_id")))


@blp.route("/cylinders/<code>/inspections", methods=["POST"])
@allow("inspector")
@blp.arguments(InspectionIn)
@blp.response(201, SeizureStepOut)
def inspect_cylinder(body: dict, code: str) -> dict:
    """Record a periodic inspection: pass sets the next due date, fail scraps the cylinder."""
    cyl = cylinder_for_oversight(current_user, code)
    return _step(cyl.code, inspections.record_inspection(
        current_user, cyl, result=body["result"], inspected_on=body["inspected_on"],
        note=body["note"], event_id=body.get("event_id")))


@blp.route("/cylinders/<code>/safety-assessments", methods=["POST"])
@allow("inspector")
@blp.arguments(AssessmentIn)
@blp.response(201, SeizureStepOut)
def assess_cylinder(body: dict, code: str) -> dict:
    """Record a safety assessment; a pass extends the service life within the rules."""
    cyl = cylinder_for_oversight(current_user, code)
    return _step(cyl.code, inspections.record_safety_assessment(
        current_user, cyl, result=body["result"], extended_until=body.get("extended_until"),
        note=body["note"], event_id=body.get("event_id")))


def _entry_dict(entry: BlacklistEntry) -> dict:
    return {**entry.to_dict(), "cylinders": blacklist.count_covered(entry)}


@blp.route("/blacklist", methods=["GET"])
@allow("admin", "regulator", "inspector", "filler")
@blp.response(200, BlacklistOut(many=True))
def list_blacklist() -> list:
    """List the product blacklist, active entries first (public knowledge for the trade)."""
    rows = db.session.scalars(select(BlacklistEntry).order_by(BlacklistEntry.active.desc(),
                                                              BlacklistEntry.id.desc()))
    return [_entry_dict(e) for e in rows]


@blp.route("/blacklist", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(BlacklistIn)
@blp.response(201, BlacklistOut)
def add_blacklist(body: dict) -> dict:
    """Blacklist a manufacturer, model or batch; its cylinders are flagged and refused."""
    made_in = parse_month(body["made_in"])[0] if body.get("made_in") else None
    entry = blacklist.add_entry(current_user, scope=body["scope"], reason=body["reason"],
                                manufacturer=body.get("manufacturer"), model=body.get("model"),
                                made_in=made_in)
    return _entry_dict(entry)


@blp.route("/blacklist/<int:entry_id>/lift", methods=["POST"])
@allow("admin", "regulator")
@blp.response(200, BlacklistOut)
def lift_blacklist(entry_id: int) -> dict:
    """Take a product off the blacklist."""
    return _entry_dict(blacklist.lift_entry(current_user, entry_id))


@blp.route("/flags/dashboard", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, DashboardOut)
def flags_dashboard() -> dict:
    """Count open flags by kind, station and company, with a 30-day trend."""
    if not is_regulator(current_user):
        raise Forbidden(N_("Only regulators see the district's flags."), code="regulator_only")
    d = dashboard()
    return {"open_total": d.open_total, "open_reports": d.open_reports,
            "by_kind": [{"key": k, "label": label, "count": n} for k, label, n in d.by_kind],
            "by_station": [{"key": k, "label": label, "count": n}
                           for k, label, n in d.by_station],
            "by_company": [{"key": k, "label": label, "count": n}
                           for k, label, n in d.by_company],
            "by_area": [{"key": str(a) if a else "none", "label": label, "count": n}
                        for a, label, n in d.by_area],
            "days": [day.isoformat() for day in d.days], "trend": d.trend}


@blp.route("/public-reports", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, PublicReportOut(many=True))
def list_public_reports() -> list:
    """List the public's reports (举报), open ones first."""
    if not is_regulator(current_user):
        raise Forbidden(N_("Only regulators read the public's reports."), code="regulator_only")
    rows = db.session.scalars(select(PublicReport).order_by(PublicReport.status.desc(),
                                                            PublicReport.created_at.desc())
                              .limit(500))
    return [r.to_dict() for r in rows]


@blp.route("/public-reports/<int:report_id>/close", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(CloseIn)
@blp.response(200, PublicReportOut)
def close_public_report(body: dict, report_id: int) -> dict:
    """Close a public report with a note."""
    return public.close_report(current_user, report_id, body["note"]).to_dict()


@blp.route("/reports/monthly", methods=["GET"])
@allow("admin", "regulator")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, MonthlyReportOut)
@file_response(blp, XLSX, PDF, description="The report as JSON, or as XLSX or PDF "
                                          "(format=xlsx|pdf)", alternative=True)
def monthly(args: dict) -> dict | Response:
    """The monthly progress report (五(三)) as JSON, XLSX or PDF."""
    report = monthly_report(args["month"], *report_scope(current_user, args.get("org_id"),
                                                         args.get("area_id")))
    fmt = args["format"]
    if fmt == "json":
        return report_to_dict(report)
    body, mimetype = ((report_xlsx(report), XLSX) if fmt == "xlsx"
                      else (report_pdf(report), PDF))
    name = f"monthly-report-{report.month}.{fmt}"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
