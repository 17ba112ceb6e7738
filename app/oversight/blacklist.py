"""The product blacklist (黑名单): a manufacturer, model or production batch kept off the market.

Adding an entry flags every registered cylinder it covers; the filling interlock refuses them
through the check registered here.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, false, func, select

from app.auth.models import User
from app.database import utcnow
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.locks import lock_name
from app.oversight.blacklist_cache import ActiveEntry, active_entry, blacklist_cache
from app.oversight.models import BLACKLIST_SCOPES, BlacklistEntry
from app.oversight.services import require_regulator
from app.text_fields import require_clean_text
from app.traceability.checks import Reason
from app.traceability.events import record_event
from app.traceability.flags import raise_flag
from app.traceability.models import Cylinder, Flag
from app.traceability.names import normalise_name
from app.traceability.rule_store import model_specs


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """First day of the month after `day`'s month."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def covers(entry: BlacklistEntry | ActiveEntry, manufacturer: str, model: str,
           made: dt.date) -> bool:
    """Tell whether an entry covers a cylinder with these stamped facts."""
    if entry.manufacturer is not None and entry.manufacturer != normalise_name(manufacturer):
        return False
    if entry.model is not None and entry.model != model:
        return False
    return entry.made_in is None or month_start(made) == entry.made_in


def entry_condition(entry: BlacklistEntry) -> ColumnElement[bool]:
    """The same test as `covers`, as SQL over cylinders."""
    terms = []
    if entry.manufacturer is not None:
        terms.append(Cylinder.manufacturer == entry.manufacturer)
    if entry.model is not None:
        terms.append(Cylinder.model == entry.model)
    if entry.made_in is not None:
        terms.append(Cylinder.manufactured_on >= entry.made_in)
        terms.append(Cylinder.manufactured_on < next_month(entry.made_in))
    return and_(*terms) if terms else false()


def validate_entry(scope: str, manufacturer: str | None, model: str | None,
                   made_in: dt.date | None) -> None:
    """Check that an entry names what its scope needs."""
    if scope not in BLACKLIST_SCOPES:
        raise ValidationFailed(N_("scope must be manufacturer, model or batch."),
                               code="invalid_scope")
    if scope == "manufacturer" and not manufacturer:
        raise ValidationFailed(N_("Name the manufacturer."), code="manufacturer_required")
    if scope == "model" and not model:
        raise ValidationFailed(N_("Name the model."), code="model_required")
    if scope == "batch" and not (manufacturer and made_in):
        raise ValidationFailed(N_("A batch needs the manufacturer and the month of manufacture."),
                               code="batch_incomplete")


def add_entry(actor: User, *, scope: str, reason: str, manufacturer: str | None = None,
              model: str | None = None, made_in: dt.date | None = None) -> BlacklistEntry:
    """Blacklist a product and flag every registered cylinder it covers."""
    require_regulator(actor)
    manufacturer = normalise_name(manufacturer or "") or None
    model = (model or "").strip() or None
    require_clean_text(manufacturer, "manufacturer", label=N_("Manufacturer"))
    require_clean_text(model, "model", label=N_("Model"))
    require_clean_text(reason, "reason", multiline=True, label=N_("Reason"))
    if not reason or not reason.strip():
        raise ValidationFailed(N_("Give the reason for blacklisting."), code="reason_required")
    validate_entry(scope, manufacturer, model, made_in)
    if model is not None and model not in model_specs():  # it could never match a cylinder
        raise ValidationFailed(N_("No such model in the model table."), code="unknown_model")
    if scope == "manufacturer":
        model = made_in = None
    elif scope == "model":
        made_in = None
    entry = BlacklistEntry(scope=scope, manufacturer=manufacturer, model=model,
                           made_in=month_start(made_in) if made_in else None,
                           reason=reason.strip(), created_by_id=actor.id)
    # two requests for one product must not both pass the duplicate check (PostgreSQL runs
    # them side by side; SQLite writers queue already)
    lock_name(f"blacklist:{scope}:{entry.manufacturer}:{entry.model}:{entry.made_in}")
    duplicate = db.session.scalar(select(BlacklistEntry.id).where(
        BlacklistEntry.active.is_(True), BlacklistEntry.scope == scope,
        _same(BlacklistEntry.manufacturer, entry.manufacturer),
        _same(BlacklistEntry.model, entry.model), _same(BlacklistEntry.made_in, entry.made_in)))
    if duplicate:
        raise Conflict(N_("This product is blacklisted already."), code="already_blacklisted")
    db.session.add(entry)
    db.session.flush()
    for cyl in db.session.scalars(select(Cylinder).where(
            entry_condition(entry), Cylinder.scrapped_at.is_(None)).order_by(Cylinder.id)):
        _flag(cyl, entry, actor)
    return entry


def _same(column: ColumnElement, value: object) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _flag(cyl: Cylinder, entry: BlacklistEntry | ActiveEntry, actor: User | None) -> None:
    record_event(cyl, "blacklisted", actor, data={"blacklist_id": entry.id,
                                                  "reason": entry.reason})
    raise_flag("blacklisted", cylinder=cyl, actor=actor, details={
        "blacklist_id": entry.id, "product": entry.describe(), "reason": entry.reason})


def lift_entry(actor: User, entry_id: int) -> BlacklistEntry:
    """Take a product off the blacklist; existing flags stay for the regulator to resolve.

    The row is locked and read afresh: two lifts at once run one after the other and the
    second sees it lifted (409), not overwriting who lifted it and when.
    """
    require_regulator(actor)
    entry = db.session.get(BlacklistEntry, entry_id, with_for_update=True,
                           populate_existing=True)
    if entry is None:
        raise NotFound(N_("No blacklist entry %(id)s."), values={"id": entry_id})
    if not entry.active:
        raise Conflict(N_("This entry is lifted already."), code="already_lifted")
    entry.active = False
    entry.lifted_at = utcnow()
    entry.lifted_by_id = actor.id
    return entry


def entries_covering(cyl: Cylinder) -> list[ActiveEntry]:
    """Active entries that cover a cylinder (from the worker's cache when it is current)."""
    session = db.session()
    cache = blacklist_cache(session)
    entries = cache.entries(_active_entries) if cache is not None else _active_entries()
    return [e for e in entries if covers(e, cyl.manufacturer, cyl.model, cyl.manufactured_on)]


def _active_entries() -> list[ActiveEntry]:
    return [active_entry(e) for e in db.session.scalars(
        select(BlacklistEntry).where(BlacklistEntry.active.is_(True)).order_by(BlacklistEntry.id))]


def blacklist_fill_check(cyl: Cylinder, _user: User) -> list[Reason]:
    """Refuse to fill a blacklisted product (registered with the filling interlock)."""
    return [Reason("blacklisted", f"该气瓶属于黑名单产品（{e.describe()}：{e.reason}），禁止充装",
                   f"This cylinder is a blacklisted product ({e.describe()}: {e.reason}); "
                   "do not fill it.") for e in entries_covering(cyl)]


def flag_if_blacklisted(cyl: Cylinder, actor: User | None) -> None:
    """Flag a newly registered cylinder that a blacklist entry covers."""
    for entry in entries_covering(cyl):
        _flag(cyl, entry, actor)


def count_covered(entry: BlacklistEntry) -> int:
    """Count the registered cylinders an entry covers."""
    return db.session.scalar(select(func.count()).select_from(Cylinder)
                             .where(entry_condition(entry))) or 0


def open_blacklist_flags() -> int:
    return db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.kind == "blacklisted", Flag.status == "open")) or 0
