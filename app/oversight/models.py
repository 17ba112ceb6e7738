"""Tables of oversight: the product blacklist, public reports and the per-cylinder trace.

The trace tables are derived from events (kept current by an event observer) so that the
searches a regulator waits on ("last filled at station X", "delivered to customer Y") use
an index instead of scanning 20 million events.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, utcnow
from app.extensions import db
from app.traceability.models import Cylinder, Event, Flag

BLACKLIST_SCOPES = ("manufacturer", "model", "batch")

# Indexes on the registry's tables that only the regulators' queries need.
Index("ix_cylinders_manufacturer_model", Cylinder.manufacturer, Cylinder.model)
Index("ix_events_type_occurred", Event.type, Event.occurred_at)
Index("ix_cylinders_seized_at", Cylinder.seized_at)
Index("ix_cylinders_scrapped_at", Cylinder.scrapped_at)
Index("ix_cylinders_cancelled_at", Cylinder.registration_cancelled_at)
Index("ix_flags_raised_at", Flag.raised_at)
Index("ix_flags_resolved_at", Flag.resolved_at)


class BlacklistEntry(db.Model):
    """A product blacklisted (黑名单): a manufacturer, a model, or a production batch.

    A batch is a manufacturer's month of manufacture (the month stamped on the collar),
    optionally narrowed to one model.
    """

    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    manufacturer: Mapped[str | None] = mapped_column(String(200), index=True)
    model: Mapped[str | None] = mapped_column(String(32))
    made_in: Mapped[dt.date | None] = mapped_column(Date)  # first day of the batch's month
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def describe(self) -> str:
        """Say what the entry covers in a few words."""
        parts = [p for p in (self.manufacturer, self.model,
                             self.made_in.strftime("%Y-%m") if self.made_in else None) if p]
        return " / ".join(parts)

    def to_dict(self) -> dict:
        return {"id": self.id, "scope": self.scope, "manufacturer": self.manufacturer,
                "model": self.model,
                "made_in": self.made_in.strftime("%Y-%m") if self.made_in else None,
                "reason": self.reason, "active": self.active,
                "created_at": self.created_at.isoformat(),
                "lifted_at": self.lifted_at.isoformat() if self.lifted_at else None}


class PublicReport(db.Model):
    """A report (举报) sent by anyone from the public page; lands in the regulators' queue."""

    __tablename__ = "public_reports"
    __table_args__ = (Index("ix_public_reports_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    cylinder_id: Mapped[int | None] = mapped_column(ForeignKey("cylinders.id"))
    category: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    def to_dict(self) -> dict:
        return {"id": self.id, "code": self.code, "cylinder_id": self.cylinder_id,
                "category": self.category, "message": self.message, "contact": self.contact,
                "status": self.status, "created_at": self.created_at.isoformat(),
                "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "note": self.note}


class CylinderTrace(db.Model):
    """Where a cylinder was last seen, filled and delivered: the facts clone checks compare."""

    __tablename__ = "cylinder_traces"
    __table_args__ = (Index("ix_cylinder_traces_fill_org", "last_fill_org_id", "cylinder_id"),)

    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"), primary_key=True)
    last_event_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The district's day of last_event_at, indexed for the search by day: the time moves on
    # every event (and would move its index entry), the day only with the first of each day.
    last_seen_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    last_event_type: Mapped[str | None] = mapped_column(String(40))
    last_fill_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    last_filled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_fill_event_id: Mapped[str | None] = mapped_column(String(36))
    custody: Mapped[str | None] = mapped_column(String(16))  # station, vehicle, customer, agency
    custody_ref: Mapped[int | None] = mapped_column(Integer)
    custody_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    custody_event_id: Mapped[str | None] = mapped_column(String(36))
    last_delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_delivery_lat: Mapped[float | None] = mapped_column(Float)
    last_delivery_lon: Mapped[float | None] = mapped_column(Float)
    last_delivery_event_id: Mapped[str | None] = mapped_column(String(36))


class CylinderParty(db.Model):
    """A customer or driver a cylinder went through, for search by customer or driver."""

    __tablename__ = "cylinder_parties"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # customer, driver
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"), primary_key=True)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ChainDigest(db.Model):
    """One digest of every cylinder's chain head as of a moment (链头摘要).

    The chain shows an edit inside the database; someone who can rewrite the whole database
    can rebuild the chains too. A digest written down outside it (the monthly report, a
    regulator's notes) lets the history up to its cutoff be recomputed and compared later.
    """

    __tablename__ = "chain_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # the digest covers every event received before this moment
    cutoff: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cylinders: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
