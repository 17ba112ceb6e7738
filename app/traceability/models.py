"""Tables of the registry: code batches, codes, cylinders, their events, flags, rule table."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Organisation
from app.database import JSONType, UTCDateTime, utcnow
from app.extensions import db
from app.traceability.names import search_key

GENESIS_HASH = "0" * 64


def _search_key_of(column: str) -> Any:
    """A column default: the search key (names.search_key) of the row's `column`, for ORM and
    Core inserts alike (the bulk import inserts rows with Core)."""
    def default(context: Any) -> str:
        return search_key(context.get_current_parameters()[column])
    return default


class CodeBatch(db.Model):
    __tablename__ = "code_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    printer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="issued")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Organisation] = relationship(foreign_keys=[owner_org_id])


class Code(db.Model):
    """An issued code; bound to at most one cylinder, retired forever when it is scrapped."""

    __tablename__ = "codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"), index=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(16), default="issued")  # issued, bound, retired
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cylinder(db.Model):
    __tablename__ = "cylinders"
    __table_args__ = (
        UniqueConstraint("manufacturer", "serial_no", name="uq_cylinders_manufacturer_serial"),
        Index("ix_cylinders_owner_due", "owner_org_id", "next_inspection_due"),
        Index("ix_cylinders_owner_life", "owner_org_id", "service_life_ends"),  # due alerts
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("codes.code"), unique=True)
    serial_no: Mapped[str] = mapped_column(String(64), index=True)
    manufacturer: Mapped[str] = mapped_column(String(200))
    # what the regulators' search compares, in one case (names.search_key): a serial number
    # whole through its index, a manufacturer by any part of its name
    serial_key: Mapped[str] = mapped_column(Text, index=True, default=_search_key_of("serial_no"))
    manufacturer_key: Mapped[str] = mapped_column(Text, default=_search_key_of("manufacturer"))
    model: Mapped[str] = mapped_column(ForeignKey("model_specs.model"), index=True)
    manufactured_on: Mapped[dt.date] = mapped_column(Date)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    registration_no: Mapped[str | None] = mapped_column(String(64))
    last_inspected_on: Mapped[dt.date | None] = mapped_column(Date)
    design_life_years: Mapped[int] = mapped_column(Integer)
    life_extended_until: Mapped[dt.date | None] = mapped_column(Date)
    refurbished: Mapped[bool] = mapped_column(default=False)
    seized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    scrapped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    registration_cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Derived from the rule table; stored so that searches by due date use an index.
    next_inspection_due: Mapped[dt.date] = mapped_column(Date, index=True)
    service_life_ends: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)

    owner: Mapped[Organisation] = relationship()


class Event(db.Model):
    """One thing that happened to a cylinder; append-only and hash-chained per cylinder."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("cylinder_id", "seq", name="uq_events_cylinder_seq"),
        Index("ix_events_org_received", "actor_org_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    place: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Flag(db.Model):
    """Something a regulator must look at: a refused fill, a black cylinder, an overfill..."""

    __tablename__ = "flags"
    __table_args__ = (
        Index("ix_flags_status_kind_raised", "status", "kind", "raised_at"),
        Index("ix_flags_cylinder_status", "cylinder_id", "status"),
        Index("ix_flags_area_status", "area_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    cylinder_id: Mapped[int | None] = mapped_column(ForeignKey("cylinders.id"))
    code: Mapped[str | None] = mapped_column(String(200), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the delivery area it was seen in, when a registered locator knows it (see checks.py)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_areas.id"))
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status, "code": self.code,
                "org_id": self.org_id, "area_id": self.area_id, "details": self.details,
                "occurrences": self.occurrences,
                "raised_at": self.raised_at.isoformat(),
                "last_seen_at": self.last_seen_at.isoformat(),
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
                "resolution_note": self.resolution_note}


class ModelSpecRow(db.Model):
    """A row of the rule table per cylinder model; edited in data, not in code."""

    __tablename__ = "model_specs"

    model: Mapped[str] = mapped_column(String(32), primary_key=True)
    nominal_volume_l: Mapped[float] = mapped_column(Float)
    rated_fill_kg: Mapped[float] = mapped_column(Float)
    inspection_interval_years: Mapped[int] = mapped_column(Integer)
    banned: Mapped[bool] = mapped_column(default=False)
    banned_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RuleChange(db.Model):
    """One change of a model's row of the rule table: who, when, why, each field from what to
    what. Written in the change's own transaction and never edited; `model` is the name
    itself, not a foreign key, so the record outlives any row it speaks of."""

    __tablename__ = "rule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(32), index=True)
    added: Mapped[bool] = mapped_column(default=False)  # the change created the row
    changes: Mapped[dict] = mapped_column(JSONType, default=dict)  # field -> [from, to]
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LifeRuleRow(db.Model):
    """The service-life rules (one row), with their source."""

    __tablename__ = "life_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    gb5842_2006_from: Mapped[dt.date] = mapped_column(Date)
    life_years_from_2006_standard: Mapped[int] = mapped_column(Integer)
    life_years_before_2006_standard: Mapped[int] = mapped_column(Integer)
    extension_max_years: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
