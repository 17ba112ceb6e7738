"""Request and response shapes of the oversight API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.oversight.due import KINDS as DUE_KINDS
from app.oversight.due import WINDOW_DEFAULT, WINDOW_MAX, WINDOW_MIN
from app.oversight.models import BLACKLIST_SCOPES
from app.oversight.search import STATUSES
from app.text_fields import MultiLine, SingleLine
from app.traceability.schemas import CylinderOut, EventOut

FLAG_KINDS = ("black_cylinder", "fill_refused", "not_owned", "overfill", "out_of_zone",
              "wrong_vehicle", "no_safety_check", "clone_suspected", "blacklisted",
              "hazard_overdue")


class SearchQuery(Schema):
    code = fields.String(validate=validate.Length(max=64),
                         metadata={"description": "Whole, partial (prefix) or mistyped code"})
    serial_no = fields.String(validate=validate.Length(max=64),
                              metadata={"description": "The whole serial number, any case"})
    manufacturer = fields.String(validate=validate.Length(max=200),
                                 metadata={"description": "Any part of the name, any case"})
    model = fields.String(validate=validate.Length(max=32))
    owner_org_id = fields.Integer()
    station_org_id = fields.Integer(metadata={"description": "The station that last filled it"})
    customer_id = fields.Integer()
    driver_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    flag = fields.String(validate=validate.OneOf(FLAG_KINDS),
                         metadata={"description": "Has an open flag of this kind"})
    made_from = fields.Date()
    made_to = fields.Date()
    due_from = fields.Date(metadata={"description": "Next inspection due on or after"})
    due_to = fields.Date()
    seen_from = fields.Date(metadata={"description": "Last event on or after this day "
                                                     "(the district's day, UTC+8)"})
    seen_to = fields.Date(metadata={"description": "Last event on or before this day "
                                                   "(the district's day, UTC+8)"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(1, 200))


class SearchPageOut(Schema):
    items = fields.List(fields.Nested(CylinderOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    total_capped = fields.Boolean(metadata={"description": "total is a lower bound"})
    suggestions = fields.List(fields.String(), metadata={
        "description": "Nearest issued codes when the code matched nothing"})


class SeizureStepIn(Schema):
    note = MultiLine(required=True, validate=validate.Length(min=1, max=2000))
    order_no = SingleLine(validate=validate.Length(max=64), allow_none=True)
    event_id = fields.UUID(allow_none=True, metadata={"description": "Client id; retries "
                                                      "with the same id record nothing new"})


class InspectionIn(Schema):
    result = fields.String(required=True, validate=validate.OneOf(("pass", "fail")))
    inspected_on = fields.Date(required=True)
    note = MultiLine(load_default="", validate=validate.Length(max=2000))
    event_id = fields.UUID(allow_none=True)


class AssessmentIn(Schema):
    result = fields.String(required=True, validate=validate.OneOf(("pass", "fail")))
    extended_until = fields.Date(allow_none=True, metadata={
        "description": "Requested end of service life; the rules' maximum when omitted"})
    note = MultiLine(load_default="", validate=validate.Length(max=2000))
    event_id = fields.UUID(allow_none=True)


class SeizureStepOut(Schema):
    cylinder = fields.Nested(CylinderOut)
    event = fields.Nested(EventOut)
    created = fields.Boolean()


class BlacklistIn(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(BLACKLIST_SCOPES))
    # folded (names.normalise_name: invisible characters dropped), then checked by add_entry
    manufacturer = fields.String(validate=validate.Length(max=200), allow_none=True)
    model = SingleLine(validate=validate.Length(max=32), allow_none=True)
    made_in = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"),
                            metadata={"description": "Month of manufacture YYYY-MM (batch)"})
    reason = MultiLine(required=True, validate=validate.Length(min=1, max=2000))

    @validates_schema
    def names_product(self, data: dict, **_kw: object) -> None:
        if not (data.get("manufacturer") or data.get("model")):
            raise ValidationError("Name a manufacturer or a model.", "manufacturer")


class BlacklistOut(Schema):
    id = fields.Integer()
    scope = fields.String()
    manufacturer = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    made_in = fields.String(allow_none=True)
    reason = fields.String()
    active = fields.Boolean()
    created_at = fields.String()
    lifted_at = fields.String(allow_none=True)
    cylinders = fields.Integer(metadata={"description": "Registered cylinders it covers"})


class FlagCountOut(Schema):
    key = fields.String()
    label = fields.String()
    count = fields.Integer()


class DashboardOut(Schema):
    open_total = fields.Integer()
    open_reports = fields.Integer()
    by_kind = fields.List(fields.Nested(FlagCountOut))
    by_station = fields.List(fields.Nested(FlagCountOut), metadata={
        "description": "Open flags by the unit that saw them; key is its name, \"none\" for "
                       "flags no unit raised"})
    by_company = fields.List(fields.Nested(FlagCountOut), metadata={
        "description": "Open flags by the company owning the cylinder; key is its name, "
                       "\"none\" for flags on no cylinder (an overdue hazard, a bad code)"})
    by_area = fields.List(fields.Nested(FlagCountOut), metadata={
        "description": "Open flags by the delivery area they were seen in; key is the area id, "
                       "\"none\" for flags seen outside any area (stations, public scans)"})
    days = fields.List(fields.String())
    trend = fields.Dict(keys=fields.String(), values=fields.List(fields.Integer()))


class PublicReportOut(Schema):
    id = fields.Integer()
    code = fields.String()
    cylinder_id = fields.Integer(allow_none=True)
    category = fields.String()
    message = fields.String()
    contact = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String()
    closed_at = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class CloseIn(Schema):
    note = MultiLine(required=True, validate=validate.Length(min=1, max=2000))


class ReportQuery(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx", "pdf")))
    org_id = fields.Integer(metadata={"description": "A company or station; the district "
                                      "when omitted"})
    area_id = fields.Integer(metadata={"description": "A delivery area: counts flags, "
                                       "deliveries and hazards in that area"})


class SectionOut(Schema):
    key = fields.String()
    title = fields.String()
    headers = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))
    note = fields.String(allow_none=True)


class MonthlyReportOut(Schema):
    month = fields.String()
    scope = fields.String()
    org_id = fields.Integer(allow_none=True)
    area_id = fields.Integer(allow_none=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    sections = fields.List(fields.Nested(SectionOut))


class EpcisEventOut(Schema):
    class Meta:
        unknown = "include"

    type = fields.String()
    eventID = fields.String()
    eventTime = fields.String()
    eventTimeZoneOffset = fields.String()
    recordTime = fields.String()
    epcList = fields.List(fields.String())
    action = fields.String()
    bizStep = fields.String()
    disposition = fields.String()
    readPoint = fields.Dict()
    bizLocation = fields.Dict()


class EpcisBodyOut(Schema):
    eventList = fields.List(fields.Nested(EpcisEventOut))


class EpcisDocumentOut(Schema):
    context = fields.Raw(data_key="@context")
    type = fields.String()
    schemaVersion = fields.String()
    creationDate = fields.String()
    epcisBody = fields.Nested(EpcisBodyOut)


class DueQuery(Schema):
    within_days = fields.Integer(load_default=WINDOW_DEFAULT,
                                 validate=validate.Range(WINDOW_MIN, WINDOW_MAX), metadata={
                                     "description": "The window: due or ending within this "
                                                    "many days from today"})
    kind = fields.String(validate=validate.OneOf(DUE_KINDS))
    owner_org_id = fields.Integer(metadata={
        "description": "Regulators and inspectors: one owner; a company sees only its own"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(1, 200))


class DueSummaryOut(Schema):
    inspection_overdue = fields.Integer()
    beyond_service_life = fields.Integer()
    inspection_due = fields.Integer()
    life_ending = fields.Integer()


class DueItemOut(Schema):
    code = fields.String()
    display_code = fields.String()
    serial_no = fields.String()
    model = fields.String()
    owner_org_id = fields.Integer()
    next_inspection_due = fields.Date()
    service_life_ends = fields.Date()
    kind = fields.String(metadata={"description": ", ".join(DUE_KINDS)})
    days_left = fields.Integer(metadata={
        "description": "Days to the kind's date (inspection due or end of life); negative "
                       "once passed"})


class DuePageOut(Schema):
    summary = fields.Nested(DueSummaryOut, metadata={
        "description": "Cylinders of each kind in the window and scope (each counted once)"})
    items = fields.List(fields.Nested(DueItemOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "Items of the kind asked for, or all"})
