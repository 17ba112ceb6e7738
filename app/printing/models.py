"""Every render and download of labels, and which codes have been printed."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import JSONType, UTCDateTime, utcnow
from app.extensions import db


class PrintJob(db.Model):
    """One render or download: who, when, which codes, which template, why (for reprints)."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_org_created", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("code_batches.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    template: Mapped[str] = mapped_column(String(80))
    format: Mapped[str] = mapped_column(String(16))  # pdf, zpl, png, svg, preview
    skip: Mapped[int] = mapped_column(Integer, default=0)
    code_count: Mapped[int] = mapped_column(Integer)
    codes: Mapped[list] = mapped_column(JSONType)
    reprint: Mapped[bool] = mapped_column(default=False, index=True)
    reason: Mapped[str | None] = mapped_column(Text)

    def to_dict(self) -> dict:
        return {"id": self.id, "batch_id": self.batch_id, "user_id": self.user_id,
                "org_id": self.org_id, "created_at": self.created_at.isoformat(),
                "template": self.template, "format": self.format, "skip": self.skip,
                "code_count": self.code_count, "codes": self.codes, "reprint": self.reprint,
                "reason": self.reason}


class PrintedCode(db.Model):
    """A code that has left a printer at least once; printing it again is a reprint."""

    __tablename__ = "printed_codes"

    code: Mapped[str] = mapped_column(ForeignKey("codes.code"), primary_key=True)
    first_job_id: Mapped[int] = mapped_column(ForeignKey("print_jobs.id"))
    times_printed: Mapped[int] = mapped_column(Integer, default=1)
    last_printed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
