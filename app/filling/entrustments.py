"""Entrustment (托管): an owner lets a station fill its cylinders for a period."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from app.auth.models import Organisation, User
from app.auth.policy import is_oversight
from app.auth.services import get_org
from app.database import utcnow
from app.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.filling.models import Entrustment
from app.locks import lock_name

STATION_KINDS = frozenset({"filling_station", "gas_company"})  # both may employ fillers


def may_manage(actor: User, owner_org_id: int) -> bool:
    """The owner's admin or oversight may entrust an owner's cylinders."""
    return is_oversight(actor) or (actor.role == "admin" and actor.org_id == owner_org_id)


def create_entrustment(actor: User, owner_org_id: int, station_org_id: int,
                       valid_from: dt.date, valid_to: dt.date) -> Entrustment:
    """Entrust an owner's cylinders to a station for a period (both days included)."""
    owner = get_org(owner_org_id)
    station = get_org(station_org_id)
    if actor.org_id == station.id and not is_oversight(actor):
        raise Forbidden(N_("A station cannot entrust cylinders to itself."),
                        code="self_entrustment")
    if not may_manage(actor, owner.id):
        raise Forbidden(N_("Only the owner's admin or a regulator may entrust its cylinders."))
    if owner.id == station.id:
        raise ValidationFailed(N_("An owner fills its own cylinders without entrustment."),
                               code="same_org")
    if station.kind not in STATION_KINDS:
        raise ValidationFailed(N_("%(station)s does not fill cylinders."),
                               values={"station": station.name}, code="not_a_station")
    if valid_to < valid_from:
        raise ValidationFailed(N_("valid_to is before valid_from."), code="invalid_period")
    # two requests for one pair must not both pass the check (PostgreSQL runs them side by
    # side; SQLite writers queue already)
    lock_name(f"entrustment:{owner.id}:{station.id}")
    overlapping = db.session.scalar(select(Entrustment.id).where(
        Entrustment.owner_org_id == owner.id, Entrustment.station_org_id == station.id,
        Entrustment.revoked_at.is_(None), Entrustment.valid_from <= valid_to,
        Entrustment.valid_to >= valid_from).limit(1))
    if overlapping is not None:
        raise Conflict(N_("Entrustment %(id)s already covers part of this period."),
                       values={"id": overlapping},
                       code="entrustment_overlaps", details={"id": overlapping})
    row = Entrustment(owner_org_id=owner.id, station_org_id=station.id, valid_from=valid_from,
                      valid_to=valid_to, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def revoke_entrustment(actor: User, entrustment_id: int) -> Entrustment:
    """End an entrustment now; the station may not fill the owner's cylinders from then on.

    Revoking again changes nothing; the row is locked and read afresh so that a second
    revocation at the same moment sees the first's and keeps its time and author.
    """
    row = db.session.get(Entrustment, entrustment_id, with_for_update=True,
                         populate_existing=True)
    if row is None or not visible(actor, row):
        raise NotFound(N_("No entrustment %(id)s."), values={"id": entrustment_id},
                       code="entrustment_not_found")
    if not may_manage(actor, row.owner_org_id):
        raise Forbidden(N_("Only the owner's admin or a regulator may end an entrustment."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.revoked_by_id = actor.id
    return row


def visible(actor: User, row: Entrustment) -> bool:
    """Oversight sees every entrustment; an organisation those it is party to."""
    return is_oversight(actor) or actor.org_id in (row.owner_org_id, row.station_org_id)


def entrustments_for(actor: User) -> Select:
    """The entrustments a user may list, newest first."""
    query = select(Entrustment).order_by(Entrustment.id.desc())
    if not is_oversight(actor):
        query = query.where(or_(Entrustment.owner_org_id == actor.org_id,
                                Entrustment.station_org_id == actor.org_id))
    return query


def entrusted_clause(owner_org_id: ColumnElement[int] | int,
                     station_org_id: ColumnElement[int] | int,
                     on: dt.date) -> ColumnElement[bool]:
    """SQL: the owner has entrusted its cylinders to the station on this day."""
    return exists().where(and_(
        Entrustment.station_org_id == station_org_id,
        Entrustment.owner_org_id == owner_org_id,
        Entrustment.valid_from <= on, Entrustment.valid_to >= on,
        Entrustment.revoked_at.is_(None)))


def owners_entrusting(station_org_id: int, on: dt.date) -> list[str]:
    """The names of the owners whose cylinders the station may fill on this day by entrustment."""
    return list(db.session.scalars(select(Organisation.name).where(
        entrusted_clause(Organisation.id, station_org_id, on)).order_by(Organisation.name)))
