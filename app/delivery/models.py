"""Tables of the delivery round: drivers, vehicles, areas, assignments, customers, custody,
doorstep safety checks, photos and the hazard ledger."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.database import JSONType, UTCDateTime, utcnow
from app.extensions import db


class DriverProfile(db.Model):
    """A driver's dangerous-goods delivery certificate (the users table stays domain-free)."""

    __tablename__ = "driver_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(64))
    certificate_expires_on: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vehicle(db.Model):
    """A vehicle with its transport permit; one with history is deactivated, never deleted."""

    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    permit_no: Mapped[str] = mapped_column(String(64))
    permit_expires_on: Mapped[dt.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryArea(db.Model):
    """A fixed delivery area (固定配送区域): a polygon of [lon, lat] points."""

    __tablename__ = "delivery_areas"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_delivery_areas_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    polygon: Mapped[list] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """One driver bound to one vehicle and one area for a period (人车对应)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_driver_period", "driver_id", "starts_on", "ends_on"),
        Index("ix_assignments_vehicle_period", "vehicle_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("delivery_areas.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Ended early (the driver fell ill, the vehicle broke down): who, when and why.
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)


class Customer(db.Model):
    """A customer registered by real name; address and location are personal data."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("org_id", "id_kind", "id_number", name="uq_customers_org_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    id_kind: Mapped[str] = mapped_column(String(24))  # person, business_licence
    id_number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # household, restaurant, school, ...
    contact_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_areas.id"), index=True)
    premises: Mapped[str] = mapped_column(String(24), default="ground")
    has_cylinder_room: Mapped[bool] = mapped_column(default=False)
    storage_capacity_kg: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Custody(db.Model):
    """Who holds a cylinder now: a station, a vehicle, a customer or an inspection agency."""

    __tablename__ = "custody"
    __table_args__ = (Index("ix_custody_vehicle", "vehicle_id", "holder_kind"),)

    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"), primary_key=True)
    holder_kind: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("events.id"))


class Photo(db.Model):
    """A photo taken at the door (a failed checklist item, rectification evidence)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SafetyCheck(db.Model):
    """A doorstep safety check (随瓶安检); its id is the client's event id."""

    __tablename__ = "safety_checks"
    __table_args__ = (
        Index("ix_safety_checks_customer_at", "customer_id", "occurred_at"),
        Index("ix_safety_checks_org_at", "org_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_areas.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    items: Mapped[dict] = mapped_column(JSONType)
    result: Mapped[str] = mapped_column(String(16))  # clean, hazards
    notes: Mapped[str | None] = mapped_column(Text)


class Hazard(db.Model):
    """An entry of the hazard ledger (隐患台账): open -> rectified -> verified."""

    __tablename__ = "hazards"
    __table_args__ = (
        Index("ix_hazards_org_status_deadline", "org_id", "status", "deadline"),
        Index("ix_hazards_org_found", "org_id", "found_at"),
        UniqueConstraint("safety_check_id", "item", name="uq_hazards_check_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_areas.id"), index=True)
    safety_check_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("safety_checks.id"))
    delivery_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("events.id"),
                                                                index=True)
    item: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    found_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    found_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[dt.date] = mapped_column(Date)
    responsible_person: Mapped[str] = mapped_column(String(120))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    note: Mapped[str | None] = mapped_column(Text)
    rectified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rectified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verification_note: Mapped[str | None] = mapped_column(Text)
    overdue_flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))
