"""Tables of the filling point: entrustments, fill records and refused attempts."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Float, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.database import JSONType, UTCDateTime, utcnow
from app.extensions import db


class Entrustment(db.Model):
    """An owner entrusts all its cylinders to a station for a period (托管), both days included."""

    __tablename__ = "entrustments"
    __table_args__ = (
        # The interlock asks "may this station fill this owner's cylinders today?"
        Index("ix_entrustments_station_owner_to", "station_org_id", "owner_org_id", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    station_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def status_on(self, on: dt.date) -> str:
        """revoked, ended, current (the station may fill the owner's cylinders) or future."""
        if self.revoked_at is not None:
            return "revoked"
        if self.valid_to < on:
            return "ended"
        return "current" if self.valid_from <= on else "future"

    def to_dict(self) -> dict:
        return {"id": self.id, "owner_org_id": self.owner_org_id,
                "station_org_id": self.station_org_id,
                "valid_from": self.valid_from.isoformat(), "valid_to": self.valid_to.isoformat(),
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


class Fill(db.Model):
    """One fill: who filled which cylinder where and when, the scale's net mass, the pre-check."""

    __tablename__ = "fills"
    __table_args__ = (
        Index("ix_fills_station_filled", "station_org_id", "filled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id of the `filled` event in the cylinder's history; also the client's event_id.
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    station_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    net_mass_kg: Mapped[float | None] = mapped_column(Float)
    rated_fill_kg: Mapped[float] = mapped_column(Float)
    overfill: Mapped[bool] = mapped_column(default=False)
    precheck: Mapped[dict] = mapped_column(JSONType, default=dict)
    reweighed_kg: Mapped[float | None] = mapped_column(Float)
    reweighed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FillRefusal(db.Model):
    """A refused attempt, kept even when the code matches no cylinder (a black cylinder)."""

    __tablename__ = "fill_refusals"
    __table_args__ = (
        Index("ix_fill_refusals_station_refused", "station_org_id", "refused_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The `fill_refused` event's id when there is a cylinder; else the client's (or a new) id.
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    # Not indexed: nothing looks refusals up by cylinder or code (the history reads the
    # `fill_refused` events); each index cost every refusal a written page.
    cylinder_id: Mapped[int | None] = mapped_column(ForeignKey("cylinders.id"))
    code: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(400))
    station_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    refused_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reasons: Mapped[list] = mapped_column(JSONType, default=list)
