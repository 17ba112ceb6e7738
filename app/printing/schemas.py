"""Request and response shapes of the label API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.printing.services import DEFAULT_TEMPLATE, MAX_REASON
from app.text_fields import MultiLine


class LabelQuery(Schema):
    template = fields.String(load_default=DEFAULT_TEMPLATE)
    skip = fields.Integer(load_default=0, validate=validate.Range(min=0))
    reason = MultiLine(load_default=None, allow_none=True,
                       validate=validate.Length(max=MAX_REASON),
                       metadata={"description": "Required when any code was printed before"})
    dpi = fields.Integer(load_default=203, validate=validate.OneOf([203, 300]))


class AssignIn(Schema):
    printer_org_id = fields.Integer(required=True, strict=True)


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["printed", "delivered"]))


class ReprintIn(Schema):
    codes = fields.List(fields.String(validate=validate.Length(max=400)), required=True,
                        validate=validate.Length(min=1, max=5000))
    reason = MultiLine(required=True, validate=validate.Length(min=1, max=MAX_REASON))
    template = fields.String(load_default=DEFAULT_TEMPLATE)
    format = fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "zpl"]))
    skip = fields.Integer(load_default=0, validate=validate.Range(min=0))
    dpi = fields.Integer(load_default=203, validate=validate.OneOf([203, 300]))


class PrintBatchOut(Schema):
    id = fields.Integer()
    owner_org_id = fields.Integer()
    printer_org_id = fields.Integer(allow_none=True)
    count = fields.Integer()
    status = fields.String()
    created_at = fields.String()


class TemplateOut(Schema):
    name = fields.String()
    title = fields.String()
    per_page = fields.Integer()
    label_width = fields.Float()
    label_height = fields.Float()


class PrintJobOut(Schema):
    id = fields.Integer()
    batch_id = fields.Integer(allow_none=True)
    user_id = fields.Integer()
    org_id = fields.Integer()
    created_at = fields.String()
    template = fields.String()
    format = fields.String()
    skip = fields.Integer()
    code_count = fields.Integer()
    codes = fields.List(fields.String())
    reprint = fields.Boolean()
    reason = fields.String(allow_none=True)
