"""Gather everything the interlock needs about a code in one statement.

The code, its cylinder, the model's rules, the service-life rules, whether the owner has
entrusted its cylinders to this station today, and whether an overfill holds the cylinder:
one round trip, so the operator's answer does not wait on a chain of queries.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, bindparam, exists, literal, select

from app.extensions import db
from app.fastsql import PreparedQuery
from app.filling.entrustments import entrusted_clause
from app.loaded import as_loaded
from app.traceability.events import preread_tables, remember_preread
from app.traceability.models import Code, Cylinder, Flag, LifeRuleRow, ModelSpecRow
from app.traceability.rule_store import life_rules
from app.traceability.rules import LifeRules, ModelSpec


@dataclass(frozen=True)
class Lookup:
    issued: bool
    cylinder: Cylinder | None = None
    spec: ModelSpec | None = None
    life: LifeRules | None = None
    entrusted: bool = False
    held: bool = False


def held_clause(cylinder_id: Any) -> Any:
    """SQL: the cylinder has an open overfill flag, so it is on hold."""
    return exists().where(Flag.cylinder_id == cylinder_id, Flag.status == "open",
                          Flag.kind == "overfill")


CYLINDER_COLUMNS = tuple(Cylinder.__table__.columns)


def _cylinder(mapping: Any) -> Cylinder:
    """The looked-up cylinder as a session object (an ORM load would cost twice the query)."""
    return as_loaded(Cylinder, {c.key: mapping[f"cyl__{c.key}"] for c in CYLINDER_COLUMNS})


@functools.cache
def _query() -> PreparedQuery:
    """The lookup, compiled once per dialect; its row read straight from the driver."""
    return PreparedQuery(_statement())


def _statement() -> Select:
    """The lookup (built once, by _query): each call only binds code, station and day.

    Observers' per-cylinder rows (`events.read_with_lookup`) are joined in too, so the append
    that follows does not read them again.
    """
    station, on = bindparam("station_org_id"), bindparam("on")
    query = (
        select(Code.code, *(c.label(f"cyl__{c.key}") for c in CYLINDER_COLUMNS),
               ModelSpecRow.model, ModelSpecRow.nominal_volume_l, ModelSpecRow.rated_fill_kg,
               ModelSpecRow.inspection_interval_years, ModelSpecRow.banned,
               ModelSpecRow.banned_reason,
               LifeRuleRow.gb5842_2006_from, LifeRuleRow.life_years_from_2006_standard,
               LifeRuleRow.life_years_before_2006_standard, LifeRuleRow.extension_max_years,
               entrusted_clause(Cylinder.owner_org_id, station, on).label("entrusted"),
               held_clause(Cylinder.id).label("held"))
        .select_from(Code)
        .outerjoin(Cylinder, Cylinder.code == Code.code)
        .outerjoin(ModelSpecRow, ModelSpecRow.model == Cylinder.model)
        .outerjoin(LifeRuleRow, LifeRuleRow.id == literal(1))
        .where(Code.code == bindparam("code")))
    for name, table in preread_tables().items():
        query = (query.outerjoin(table, table.c.cylinder_id == Cylinder.id)
                 .add_columns(*(c.label(f"{name}__{c.key}") for c in table.columns)))
    return query


def _remember_rows(mapping: Any, cyl: Cylinder) -> None:
    rows: dict[str, Any] = {}
    for name, table in preread_tables().items():
        values = {c.key: mapping[f"{name}__{c.key}"] for c in table.columns}
        rows[name] = SimpleNamespace(**values) if values["cylinder_id"] is not None else None
    remember_preread(cyl.id, cyl.event_count, rows)


def lookup(code: str, station_org_id: int, on: dt.date) -> Lookup:
    """Fetch the code, its cylinder, their rules, the entrustment and the hold."""
    params = {"code": code, "station_org_id": station_org_id, "on": on}
    db.session.flush()  # as the ORM query this replaced did: the lookup sees pending changes
    row = _query().first(db.session.connection(), params)
    if row is None:
        return Lookup(False)
    if row["cyl__id"] is None:
        return Lookup(True)
    cylinder = _cylinder(row)
    spec = ModelSpec(row["model"], row["nominal_volume_l"], row["rated_fill_kg"],
                     row["inspection_interval_years"], row["banned"], row["banned_reason"])
    if row["gb5842_2006_from"] is None:
        life = life_rules()
    else:
        life = LifeRules(row["gb5842_2006_from"], row["life_years_from_2006_standard"],
                         row["life_years_before_2006_standard"], row["extension_max_years"])
    _remember_rows(row, cylinder)
    return Lookup(True, cylinder, spec, life, bool(row["entrusted"]), bool(row["held"]))
