"""Chain digests (链头摘要): prove, from outside the database, that no history was rewritten.

Each cylinder's events are hash-chained, and the cylinder row keeps the chain's head, so an
edited or removed event shows. Someone able to rewrite the whole database could rebuild the
chains and heads too. A digest folds every cylinder's head *as of a cutoff* into one SHA-256
value; written down outside the database (the monthly report, a regulator's notes) it can be
compared later with the same fold recomputed from the events then stored. Any edit, removal
or back-dated insertion of an event received before the cutoff changes the recomputed value.

The cutoff lies `MARGIN` before the moment the digest is taken, so that no request still
writing an event received before it can commit afterwards.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from app.auth.models import User
from app.clock import DISTRICT_TZ
from app.database import utcnow
from app.errors import N_, NotFound, ValidationFailed
from app.extensions import db
from app.oversight.models import ChainDigest
from app.oversight.services import require_regulator
from app.traceability.models import Cylinder, Event

MARGIN = dt.timedelta(minutes=10)
HEADER = b"lpg-chain-digest v1\n"
SHORTEST_HELD = 16  # hex characters a regulator may have kept of a digest


@dataclass(frozen=True)
class Fold:
    cylinders: int
    events: int
    root: str


def fold(heads: Iterable[tuple[str, int, str]]) -> Fold:
    """Fold (code, events so far, head hash) of each cylinder, in cylinder order, into one
    digest. Pure: the same heads give the same digest on any database and machine."""
    digest = hashlib.sha256(HEADER)
    cylinders = events = 0
    for code, seq, head in heads:
        digest.update(f"{code}\t{seq}\t{head}\n".encode())
        cylinders += 1
        events += seq
    return Fold(cylinders, events, digest.hexdigest())


def grouped(root: str) -> str:
    """A digest in groups of four, as people copy and compare it."""
    return " ".join(root[i:i + 4] for i in range(0, len(root), 4))


def local_text(moment: dt.datetime) -> str:
    """A cutoff as printed and typed back: district time to the minute, with its offset."""
    return moment.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M (UTC%z)")


def parse_cutoff(text: str) -> dt.datetime:
    """A cutoff as printed (`2026-11-30 08:30 (UTC+0800)`), as ISO 8601, or as district time
    without an offset (what the page's field sends)."""
    kept = re.sub(r"\s*\(?UTC([+-]\d{2}:?\d{2})\)?\s*$", r"\1", (text or "").strip())
    try:
        moment = dt.datetime.fromisoformat(kept)
    except ValueError as exc:
        raise _bad_cutoff() from exc
    return _in_range(moment if moment.tzinfo else moment.replace(tzinfo=DISTRICT_TZ))


def _bad_cutoff() -> ValidationFailed:
    return ValidationFailed(N_("Enter the cutoff as printed with the digest, e.g. "
                               "2026-11-30 08:30."), code="invalid_cutoff")


def _in_range(moment: dt.datetime) -> dt.datetime:
    """The cutoff in UTC; none before 2000 (no record is older, and far dates overflow)."""
    try:
        moment = moment.astimezone(dt.UTC)
    except OverflowError as exc:
        raise _bad_cutoff() from exc
    if moment.year < 2000:
        raise _bad_cutoff()
    return moment


def held_digest(text: str) -> str:
    """A digest as someone kept it (spaces, dashes, any case), in the stored spelling; the
    first 16 characters are enough to compare."""
    value = re.sub(r"[\s\-:]", "", text or "").lower()
    if not re.fullmatch(f"[0-9a-f]{{{SHORTEST_HELD},64}}", value):
        raise ValidationFailed(
            N_("Enter the digest you kept: at least 16 of its 64 characters 0-9 and a-f "
               "(spaces and dashes are ignored)."), code="invalid_digest")
    return value


def _require(actor: User | None) -> None:
    """Regulators only; no actor is the command line (the server's operator)."""
    if actor is not None:
        require_regulator(actor)


def cutoff_for(now: dt.datetime) -> dt.datetime:
    """The cutoff of a digest taken now: MARGIN earlier, on a whole minute."""
    return (now - MARGIN).replace(second=0, microsecond=0)


def heads_as_of(cutoff: dt.datetime) -> Iterator[tuple[str, int, str]]:
    """Each cylinder's last event received before the cutoff, in cylinder id order (an order
    every database gives alike), streamed: a district has hundreds of thousands."""
    last = (select(Event.cylinder_id, func.max(Event.seq).label("seq"))
            .where(Event.received_at < cutoff).group_by(Event.cylinder_id).subquery())
    query = (select(Cylinder.code, Event.seq, Event.hash)
             .join(last, (Event.cylinder_id == last.c.cylinder_id) & (Event.seq == last.c.seq))
             .join(Cylinder, Cylinder.id == Event.cylinder_id)
             .order_by(Event.cylinder_id))
    for row in db.session.execute(query.execution_options(yield_per=5000)):
        yield row.code, row.seq, row.hash


def recompute(cutoff: dt.datetime) -> Fold:
    """The digest of the events stored now, as of the cutoff."""
    return fold(heads_as_of(cutoff))


def take_digest(actor: User | None, now: dt.datetime | None = None) -> ChainDigest:
    """Digest every chain as of a cutoff just before now. `actor` None is the scheduled job."""
    _require(actor)
    now = now or utcnow()
    cutoff = cutoff_for(now)
    result = recompute(cutoff)
    row = ChainDigest(cutoff=cutoff, taken_at=now, taken_by_id=actor.id if actor else None,
                      cylinders=result.cylinders, events=result.events, root=result.root)
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(frozen=True)
class DigestCheck:
    """The stored row against the events stored now: a mismatch means events (or the row)
    were changed after the digest was taken."""

    digest: ChainDigest
    recomputed: Fold

    @property
    def matches(self) -> bool:
        return (self.recomputed.root, self.recomputed.cylinders, self.recomputed.events) == (
            self.digest.root, self.digest.cylinders, self.digest.events)


def check_stored(actor: User | None, digest_id: int) -> DigestCheck:
    """Recompute a stored digest from the events stored now (`actor` None: the command line)."""
    _require(actor)
    row = db.session.get(ChainDigest, digest_id)
    if row is None:
        raise NotFound(N_("No such chain digest."), code="digest_not_found")
    return DigestCheck(row, recompute(row.cutoff))


@dataclass(frozen=True)
class Proof:
    cutoff: dt.datetime
    held: str
    recomputed: Fold

    @property
    def matches(self) -> bool:
        return self.recomputed.root.startswith(self.held)


def prove(actor: User | None, cutoff: dt.datetime, held: str,
          now: dt.datetime | None = None) -> Proof:
    """Compare a digest kept outside the database (with its cutoff, as the report printed
    them) with the digest of the events stored now. Needs no stored row: the proof holds even
    if the digests table was rewritten along with everything else."""
    _require(actor)
    kept = held_digest(held)
    if cutoff.tzinfo is None:
        raise ValidationFailed(N_("The cutoff needs a time zone."), code="naive_time")
    cutoff = _in_range(cutoff)
    if cutoff > cutoff_for(now or utcnow()) + dt.timedelta(minutes=1):
        raise ValidationFailed(N_("No digest has this cutoff yet: a digest covers events "
                                  "received at least 10 minutes before it was taken."),
                               code="cutoff_too_recent")
    return Proof(cutoff, kept, recompute(cutoff))


OVERDUE = dt.timedelta(hours=36)  # a daily job that missed a day


def digest_overdue(rows: list[ChainDigest], now: dt.datetime | None = None) -> bool:
    """Whether the daily digest seems to have stopped: none, or the newest taken more than
    36 hours ago (`rows` newest first, as `recent_digests` gives them)."""
    return not rows or (now or utcnow()) - rows[0].taken_at > OVERDUE


_NEWEST_FIRST = (ChainDigest.cutoff.desc(), ChainDigest.id.desc())


def recent_digests(limit: int = 60) -> list[ChainDigest]:
    """The latest digests, newest first."""
    return list(db.session.scalars(select(ChainDigest).order_by(*_NEWEST_FIRST).limit(limit)))


def last_digest_between(start: dt.datetime, end: dt.datetime) -> ChainDigest | None:
    """The newest digest whose cutoff falls in [start, end) (a month's, for its report)."""
    return db.session.scalar(select(ChainDigest).where(
        ChainDigest.cutoff >= start, ChainDigest.cutoff < end).order_by(*_NEWEST_FIRST).limit(1))
