"""Request and response shapes of the registry API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.text_fields import MultiLine


class CodeBatchIn(Schema):
    count = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    owner_org_id = fields.Integer(required=True, strict=True)


class CodeOut(Schema):
    code = fields.String()
    display = fields.String()
    payload = fields.String()


class CodeBatchOut(Schema):
    id = fields.Integer()
    owner_org_id = fields.Integer()
    count = fields.Integer()
    status = fields.String()
    created_at = fields.String()
    codes = fields.List(fields.Nested(CodeOut))


class CylinderIn(Schema):
    # its texts are folded (names.normalise_name) and then checked by validate_registration,
    # which the page and the file import share
    code = fields.String(validate=validate.Length(max=400))
    payload = fields.String(validate=validate.Length(max=400))
    serial_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    manufacturer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    model = fields.String(required=True, validate=validate.Length(min=1, max=32))
    manufactured_on = fields.Date(required=True, metadata={"description": "ISO date; for a "
                                  "stamped month use its first day"})
    owner_org_id = fields.Integer(required=True, strict=True)
    registration_no = fields.String(validate=validate.Length(max=64), allow_none=True)
    last_inspected_on = fields.Date(allow_none=True)
    design_life_years = fields.Integer(strict=True, allow_none=True)

    @validates_schema
    def one_code(self, data: dict, **_kw: object) -> None:
        if not data.get("code") and not data.get("payload"):
            raise ValidationError("Send code or payload.", "code")


class FlagOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    raised_at = fields.String()


class CylinderOut(Schema):
    code = fields.String()
    display_code = fields.String()
    payload = fields.String()
    serial_no = fields.String()
    manufacturer = fields.String()
    model = fields.String()
    manufactured_on = fields.String()
    owner_org_id = fields.Integer()
    registration_no = fields.String(allow_none=True)
    last_inspected_on = fields.String(allow_none=True)
    design_life_years = fields.Integer()
    life_extended_until = fields.String(allow_none=True)
    status = fields.String()
    next_inspection_due = fields.String()
    service_life_ends = fields.String()
    flags = fields.List(fields.Nested(FlagOut))


class EventOut(Schema):
    id = fields.String()
    seq = fields.Integer()
    type = fields.String()
    at = fields.String()
    received_at = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    actor_org_id = fields.Integer(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    place = fields.String(allow_none=True)
    data = fields.Dict()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    hash = fields.String()


class HistoryOut(Schema):
    code = fields.String()
    events = fields.List(fields.Nested(EventOut))
    chain_ok = fields.Boolean()
    chain_problems = fields.List(fields.String())


class ImportQuery(Schema):
    skip_invalid = fields.Boolean(load_default=False)
    dry_run = fields.Boolean(load_default=False)


class ImportErrorOut(Schema):
    line = fields.Integer()
    column = fields.String()
    code = fields.String()
    message = fields.String()
    header = fields.String(allow_none=True, metadata={
        "description": "The column's header as the file has it (制造日期)"})
    cell = fields.String(allow_none=True, metadata={"description": "Where to look: F4"})


class ImportReportOut(Schema):
    rows = fields.Integer()
    imported = fields.Integer()
    skipped = fields.Integer()
    dry_run = fields.Boolean()
    errors = fields.List(fields.Nested(ImportErrorOut))


class ModelSpecFields(Schema):
    # bounds of the bottled-LPG standards (GB 5842: up to 118 L, 49.5 kg), with room to spare
    nominal_volume_l = fields.Float(validate=validate.Range(min=0.1, max=1000))
    rated_fill_kg = fields.Float(validate=validate.Range(min=0.1, max=500))
    inspection_interval_years = fields.Integer(strict=True, validate=validate.Range(1, 20))
    banned = fields.Boolean()
    banned_reason = MultiLine(allow_none=True)
    source = MultiLine(validate=validate.Length(min=1))


REASON_MAX = 500


class ModelSpecIn(ModelSpecFields):
    # optional: clients written before the change history existed send none (the page
    # requires one); recorded with the change either way
    reason = MultiLine(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=REASON_MAX),
                           metadata={"description": "Why, on what basis (kept in the history)"})


class ModelSpecOut(ModelSpecFields):
    model = fields.String()


class ChangedByOut(Schema):
    id = fields.Integer()
    name = fields.String()
    display_name = fields.String(allow_none=True)
    org_id = fields.Integer()
    org_name = fields.String()


class FieldChangeOut(Schema):
    field = fields.String()
    from_ = fields.Raw(data_key="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class RuleChangeOut(Schema):
    id = fields.Integer()
    model = fields.String()
    added = fields.Boolean(metadata={"description": "The change added the model to the table"})
    changed_at = fields.String()
    changed_by = fields.Nested(ChangedByOut)
    reason = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(FieldChangeOut))


class FlagResolveIn(Schema):
    note = MultiLine(required=True, validate=validate.Length(min=1, max=2000))


class FlagFullOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    code = fields.String(allow_none=True)
    org_id = fields.Integer(allow_none=True)
    area_id = fields.Integer(allow_none=True, metadata={"description": "The delivery area it "
                             "was seen in, when known"})
    details = fields.Dict()
    occurrences = fields.Integer()
    raised_at = fields.String()
    last_seen_at = fields.String()
    resolved_at = fields.String(allow_none=True)
    resolution_note = fields.String(allow_none=True)
