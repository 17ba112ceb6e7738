"""Request and response shapes of the filling API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.text_fields import SingleLine
from app.traceability.schemas import EventOut

MASS = validate.Range(min=0, max=500, min_inclusive=False)


class PrecheckIn(Schema):
    """The station's pre-fill check; true means the item passed, false refuses the fill."""

    residual_pressure_ok = fields.Boolean(metadata={"description": "residual pressure normal"})
    no_damage = fields.Boolean(metadata={"description": "no dents, cuts, corrosion, bulges"})
    no_fire_exposure = fields.Boolean(metadata={"description": "never exposed to fire or heat"})
    tare_known = fields.Boolean(metadata={"description": "tare mass legible and known"})
    standard_valve = fields.Boolean(metadata={"description": "valve of the standard type"})


class _Where(Schema):
    event_id = fields.UUID(metadata={"description": "Client's id; a retry with it records "
                                     "nothing new and returns the first answer."})
    occurred_at = fields.AwareDateTime(metadata={"description": "Device time, ISO 8601 "
                                                 "with offset; default now."})
    lat = fields.Float(validate=validate.Range(-90, 90), allow_none=True)
    lon = fields.Float(validate=validate.Range(-180, 180), allow_none=True)
    place = SingleLine(validate=validate.Length(max=200), allow_none=True)


class FillIn(_Where):
    code = fields.String(validate=validate.Length(min=1, max=400),
                         metadata={"description": "The code as typed or printed (any case, "
                                   "any separators)."})
    payload = fields.String(validate=validate.Length(min=1, max=400),
                            metadata={"description": "The QR text as a scanner read it. "
                                      "Sent beside `code`, both must name the same cylinder "
                                      "(else 400 `code_payload_mismatch`)."})
    net_mass_kg = fields.Float(validate=MASS, allow_none=True,
                               metadata={"description": "Net mass from the scale, kg"})
    precheck = fields.Nested(PrecheckIn, load_default=dict)

    @validates_schema
    def one_code(self, data: dict, **_kw: object) -> None:
        if not data.get("code") and not data.get("payload"):
            raise ValidationError("Send code or payload (or a photo as multipart `image`).",
                                  "code")


class FillPhotoIn(_Where):
    """Multipart form: the photo plus the same optional fields, precheck items flattened."""

    image = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    net_mass_kg = fields.Float(validate=MASS, allow_none=True)
    residual_pressure_ok = fields.Boolean()
    no_damage = fields.Boolean()
    no_fire_exposure = fields.Boolean()
    tare_known = fields.Boolean()
    standard_valve = fields.Boolean()


class FillReasonOut(Schema):
    code = fields.String()
    message = fields.String(metadata={"description": "Chinese, short, for the operator"})
    message_en = fields.String()


class FillRecordOut(Schema):
    event_id = fields.String()
    code = fields.String()
    station_org_id = fields.Integer()
    operator_id = fields.Integer()
    filled_at = fields.String()
    net_mass_kg = fields.Float(allow_none=True)
    rated_fill_kg = fields.Float()
    overfill = fields.Boolean()
    on_hold = fields.Boolean()
    precheck = fields.Dict(keys=fields.String(), values=fields.Boolean())
    reweighed_kg = fields.Float(allow_none=True)


class CylinderBriefOut(Schema):
    code = fields.String()
    display_code = fields.String()
    model = fields.String()


class FillRefusalOut(Schema):
    id = fields.Integer()
    event_id = fields.String()
    refused_at = fields.String()


class InterlockItemOut(Schema):
    allowed = fields.Boolean(required=True)
    text = fields.String(metadata={"description": "What was read or typed"})
    code = fields.String(allow_none=True)
    cylinder = fields.Nested(CylinderBriefOut, allow_none=True)
    event = fields.Nested(EventOut, metadata={"description": "The `filled` event (allowed)"})
    fill = fields.Nested(FillRecordOut)
    reasons = fields.List(fields.Nested(FillReasonOut),
                          metadata={"description": "Every reason, most serious first"})
    refusal = fields.Nested(FillRefusalOut)
    replayed = fields.Boolean()
    points = fields.List(fields.List(fields.Float()),
                         metadata={"description": "Corners of the code in the photo"})
    error = fields.Dict(metadata={"description": "On refusal: {code: fill_refused, message, "
                                                 "reasons}, the shape every 4xx carries"})


class InterlockOut(InterlockItemOut):
    """201 when every code is allowed, 409 when any is refused; a photo lists each code."""

    results = fields.List(fields.Nested(InterlockItemOut),
                          metadata={"description": "One entry per code in the photo"})


class ReweighIn(Schema):
    net_mass_kg = fields.Float(required=True, validate=MASS)
    event_id = fields.UUID()


class ReweighOut(Schema):
    cleared = fields.Boolean(metadata={"description": "Within the rated mass: hold lifted"})
    on_hold = fields.Boolean()
    fill = fields.Nested(FillRecordOut)
    event = fields.Nested(EventOut)
    replayed = fields.Boolean()


class EntrustmentIn(Schema):
    owner_org_id = fields.Integer(required=True, strict=True)
    station_org_id = fields.Integer(required=True, strict=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True, metadata={"description": "Last day, included"})


class EntrustmentOut(Schema):
    id = fields.Integer()
    owner_org_id = fields.Integer()
    station_org_id = fields.Integer()
    valid_from = fields.String()
    valid_to = fields.String()
    created_at = fields.String()
    revoked_at = fields.String(allow_none=True)


class DayEntryOut(Schema):
    kind = fields.String(metadata={"description": "fill or refusal"})
    at = fields.String()
    code = fields.String(allow_none=True)
    display_code = fields.String()
    model = fields.String(allow_none=True)
    net_mass_kg = fields.Float(allow_none=True)
    rated_fill_kg = fields.Float(allow_none=True)
    overfill = fields.Boolean()
    cleared = fields.Boolean()
    reasons = fields.List(fields.Nested(FillReasonOut))
    event_id = fields.String()
