"""Request and response shapes of the delivery API (they make the OpenAPI document)."""
from __future__ import annotations

import copy

from marshmallow import Schema, ValidationError, fields, missing, validate, validates_schema

from app.delivery.rules import CUSTOMER_KINDS, ID_KINDS, ITEM_STATES, PREMISES
from app.text_fields import MultiLine, SingleLine

LAT = validate.Range(-90, 90)
LON = validate.Range(-180, 180)


class VehicleIn(Schema):
    plate = SingleLine(required=True, validate=validate.Length(min=6, max=16),
                          metadata={"example": "冀F12345"})
    permit_no = SingleLine(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "hazardous-goods transport permit"})
    permit_expires_on = fields.Date(required=True)


class VehicleOut(VehicleIn):
    id = fields.Integer()
    org_id = fields.Integer()
    active = fields.Boolean(metadata={"description": "false: deactivated, kept for history"})


class AreaIn(Schema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=100))
    polygon = fields.List(fields.List(fields.Float(allow_nan=False),
                                      validate=validate.Length(2, 2)),
                          required=True, validate=validate.Length(min=3, max=500),
                          metadata={"description": "outline as [lon, lat] points (WGS-84)"})


class AreaOut(AreaIn):
    id = fields.Integer()
    org_id = fields.Integer()
    active = fields.Boolean(metadata={"description": "false: deactivated, kept for history"})


class CertificateIn(Schema):
    certificate_no = SingleLine(required=True, validate=validate.Length(min=1, max=64))
    certificate_expires_on = fields.Date(required=True)


class DriverOut(Schema):
    id = fields.Integer()
    name = fields.String()
    display_name = fields.String(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    certificate_expires_on = fields.String(allow_none=True)


class AssignmentIn(Schema):
    driver_id = fields.Integer(required=True, strict=True)
    vehicle_id = fields.Integer(required=True, strict=True)
    area_id = fields.Integer(required=True, strict=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class AssignmentOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    driver_id = fields.Integer()
    vehicle_id = fields.Integer()
    area_id = fields.Integer()
    starts_on = fields.String()
    ends_on = fields.String()
    ended_by_id = fields.Integer(allow_none=True, metadata={"description": "who ended it early"})
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)


class AssignmentEdit(Schema):
    """A future assignment's new vehicle, area or dates (the driver stays; omitted: unchanged)."""

    vehicle_id = fields.Integer(strict=True)
    area_id = fields.Integer(strict=True)
    starts_on = fields.Date()
    ends_on = fields.Date()


class AssignmentEnd(Schema):
    ends_on = fields.Date(required=True, metadata={
        "description": "last day worked: not before today nor the start, before the planned end"})
    reason = MultiLine(required=True, validate=validate.Length(min=1, max=500))


class CustomerIn(Schema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "real name of the person or business"})
    id_kind = fields.String(required=True, validate=validate.OneOf(ID_KINDS))
    id_number = SingleLine(required=True, validate=validate.Length(min=1, max=32),
                              metadata={"description": "resident ID or unified social credit code"})
    kind = fields.String(required=True, validate=validate.OneOf(CUSTOMER_KINDS))
    address = SingleLine(required=True, validate=validate.Length(min=1, max=300))
    lat = fields.Float(required=True, validate=LAT, allow_nan=False)
    lon = fields.Float(required=True, validate=LON, allow_nan=False)
    premises = fields.String(load_default="ground", validate=validate.OneOf(PREMISES))
    has_cylinder_room = fields.Boolean(load_default=False)
    storage_capacity_kg = fields.Float(allow_none=True, validate=validate.Range(min=0))
    contact_name = SingleLine(allow_none=True, validate=validate.Length(max=120))
    phone = SingleLine(allow_none=True, validate=validate.Length(max=32))


class CustomerOut(CustomerIn):
    id = fields.Integer()
    org_id = fields.Integer()
    area_id = fields.Integer(allow_none=True)
    active = fields.Boolean(metadata={"description": "false: deactivated, kept for history"})


def _edit_schema(base: type[Schema], name: str) -> type[Schema]:
    """A PATCH body: the fields of `base`, each optional and without default, plus `active`."""
    declared = {}
    for key, field in base._declared_fields.items():
        field = copy.deepcopy(field)
        field.required = False
        field.load_default = missing
        declared[key] = field
    declared["active"] = fields.Boolean(metadata={
        "description": "false deactivates (kept for history), true brings it back"})
    return Schema.from_dict(declared, name=name)


VehicleEdit = _edit_schema(VehicleIn, "VehicleEdit")
AreaEdit = _edit_schema(AreaIn, "AreaEdit")
CustomerEdit = _edit_schema(CustomerIn, "CustomerEdit")


class RetiredOut(Schema):
    id = fields.Integer()
    deleted = fields.Boolean(metadata={"description": "true: never used, so removed"})
    active = fields.Boolean(metadata={"description": "false: deactivated, kept for history"})


class StepIn(Schema):
    """One scan: a typed code, a scanned payload or a photo, with where and when."""

    code = fields.String(validate=validate.Length(min=1, max=400))
    payload = fields.String(validate=validate.Length(min=1, max=400))
    photo = fields.String(metadata={"description": "data URL or base64 of a photo of the label"})
    event_id = fields.UUID(metadata={"description": "client id; a retry with it is stored once"})
    occurred_at = fields.AwareDateTime(metadata={"description": "device time, ISO 8601 + offset"})
    lat = fields.Float(allow_none=True, validate=LAT, allow_nan=False)
    lon = fields.Float(allow_none=True, validate=LON, allow_nan=False)
    place = SingleLine(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def one_code(self, data: dict, **_kw: object) -> None:
        if sum(bool(data.get(k)) for k in ("code", "payload", "photo")) != 1:
            raise ValidationError("Send exactly one of code, payload or photo.", "code")


class DispatchIn(StepIn):
    vehicle_id = fields.Integer(strict=True, metadata={"description": "default: your assigned"})
    driver_id = fields.Integer(strict=True, metadata={"description": "default: the vehicle's"})


class DeliveryIn(StepIn):
    customer_id = fields.Integer(required=True, strict=True)
    safety_check_id = fields.UUID(allow_none=True)


class ReturnIn(StepIn):
    customer_id = fields.Integer(required=True, strict=True)


class UnloadIn(StepIn):
    station_org_id = fields.Integer(strict=True, metadata={"description": "drivers name it"})


class ReasonOut(Schema):
    """Why a step was refused (Chinese for the driver, English for the log)."""

    code = fields.String()
    message = fields.String()
    message_en = fields.String()


class StepOut(Schema):
    status = fields.String(metadata={"description": "stored or already_stored"})
    event_id = fields.String()
    type = fields.String()
    code = fields.String(allow_none=True)
    seq = fields.Integer()
    occurred_at = fields.String()
    received_at = fields.String()
    data = fields.Dict()
    reasons = fields.List(fields.Nested(ReasonOut))
    flags = fields.List(fields.String())
    hazards = fields.List(fields.Integer())
    notes = fields.List(fields.Nested(ReasonOut), metadata={
        "description": "what a stored step raised (a flag, a hazard), for the driver"})


class SafetyCheckIn(Schema):
    event_id = fields.UUID(metadata={"description": "client id; the check is stored once"})
    customer_id = fields.Integer(required=True, strict=True)
    occurred_at = fields.AwareDateTime()
    lat = fields.Float(allow_none=True, validate=LAT, allow_nan=False)
    lon = fields.Float(allow_none=True, validate=LON, allow_nan=False)
    items = fields.Dict(keys=fields.String(), values=fields.String(
        validate=validate.OneOf(ITEM_STATES)), required=True,
        metadata={"description": "each of the 13 items: pass, fail or na"})
    photos = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                         metadata={"description": "item -> photo (data URL); needed on fail"})
    notes = MultiLine(allow_none=True, validate=validate.Length(max=2000))


class SafetyCheckOut(Schema):
    status = fields.String()
    id = fields.String()
    customer_id = fields.Integer()
    driver_id = fields.Integer()
    vehicle_id = fields.Integer(allow_none=True)
    occurred_at = fields.String()
    received_at = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    items = fields.Dict()
    result = fields.String()
    notes = fields.String(allow_none=True)
    hazards = fields.List(fields.Integer())


class BatchEventIn(Schema):
    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(
        ("dispatch", "delivery", "return", "unload", "safety_check")))
    occurred_at = fields.AwareDateTime(required=True)
    payload = fields.Dict(load_default=dict, metadata={"description": (
        "The body of the single-event call of this type, less event_id and occurred_at: "
        "dispatch as POST /api/v1/dispatches (DispatchIn), delivery /deliveries "
        "(DeliveryIn), return /returns (ReturnIn), unload /unloads (UnloadIn), "
        "safety_check /safety-checks (SafetyCheckIn). Invalid fields refuse that event "
        "alone: status refused, error.code validation_error.")})


class BatchIn(Schema):
    events = fields.List(fields.Nested(BatchEventIn), required=True,
                         validate=validate.Length(min=1, max=200))


class RefusalErrorOut(Schema):
    code = fields.String()
    message = fields.String()
    reasons = fields.List(fields.Nested(ReasonOut))


class RefusalOut(Schema):
    error = fields.Nested(RefusalErrorOut)


class BatchErrorOut(Schema):
    code = fields.String()
    message = fields.String(metadata={"description": "as written (English)"})
    text = fields.String(metadata={"description": "the message in the reader's language"})
    details = fields.Raw(allow_none=True)


class BatchResultOut(Schema):
    event_id = fields.String()
    status = fields.String(metadata={"description": "stored, already_stored or refused"})
    reasons = fields.List(fields.Nested(ReasonOut))
    error = fields.Nested(BatchErrorOut)
    result = fields.Dict()


class BatchOut(Schema):
    results = fields.List(fields.Nested(BatchResultOut))
    stored = fields.Integer()
    already_stored = fields.Integer()
    refused = fields.Integer()


class HolderOut(Schema):
    kind = fields.String(metadata={"description": "station, vehicle, customer or agency"})
    org_id = fields.Integer(allow_none=True)
    vehicle_id = fields.Integer(allow_none=True)
    driver_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer(allow_none=True)


class CustodyOut(Schema):
    code = fields.String()
    holder = fields.Nested(HolderOut)


class VehicleLoadOut(Schema):
    vehicle_id = fields.Integer()
    plate = fields.String()
    codes = fields.List(fields.String())


class LedgerQuery(Schema):
    org_id = fields.Integer(metadata={"description": "regulators: one company's ledger"})
    status = fields.String(validate=validate.OneOf(("open", "rectified", "verified")))
    area_id = fields.Integer()
    driver_id = fields.Integer()
    item = fields.String(validate=validate.Length(max=40))
    customer_id = fields.Integer()
    overdue = fields.Boolean()
    found_from = fields.Date()
    found_to = fields.Date()
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class HazardOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.String()
    area_id = fields.Integer(allow_none=True)
    item = fields.String()
    item_label = fields.String()
    severity = fields.String()
    status = fields.String()
    found_by_id = fields.Integer()
    found_at = fields.String()
    deadline = fields.String()
    overdue = fields.Boolean()
    responsible_person = fields.String()
    safety_check_id = fields.String(allow_none=True)
    photo_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    rectified_at = fields.String(allow_none=True)
    rectified_by_id = fields.Integer(allow_none=True)
    evidence = fields.String(allow_none=True)
    evidence_photo_id = fields.Integer(allow_none=True)
    verified_at = fields.String(allow_none=True)
    verified_by_id = fields.Integer(allow_none=True)
    verification_note = fields.String(allow_none=True)
    overdue_flag_id = fields.Integer(allow_none=True)


class CountOut(Schema):
    key = fields.Raw(allow_none=True)
    count = fields.Integer()


class LedgerCountsOut(Schema):
    by_area = fields.List(fields.Nested(CountOut))
    by_driver = fields.List(fields.Nested(CountOut))
    by_item = fields.List(fields.Nested(CountOut))
    by_status = fields.List(fields.Nested(CountOut))
    total = fields.Integer()
    overdue = fields.Integer()
    clean_visits = fields.Integer()


class LedgerOut(Schema):
    hazards = fields.List(fields.Nested(HazardOut))
    counts = fields.Nested(LedgerCountsOut)


class RectifyIn(Schema):
    evidence = MultiLine(required=True, validate=validate.Length(min=1, max=2000))
    photo = fields.String(allow_none=True, metadata={"description": "data URL of a photo"})


class VerifyIn(Schema):
    note = MultiLine(allow_none=True, validate=validate.Length(max=2000))
