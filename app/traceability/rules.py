"""Pure rules: when a cylinder is due for inspection, when its life ends, what state it is in.

Everything here is a function of plain data and a date, so it is tested with hypothesis and
shared by the API, the importer and the reports.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

STATUSES = ("in_service", "inspection_overdue", "beyond_service_life", "seized", "scrapped",
            "registration_cancelled")
DEFAULTS_FILE = Path(__file__).with_name("rule_defaults.toml")
# The one life extension is granted only from this long before the design end on: an
# assessment years early would use it up while the cylinder still has most of its life.
EXTENSION_WINDOW_YEARS = 1


@dataclass(frozen=True)
class ModelSpec:
    model: str
    nominal_volume_l: float
    rated_fill_kg: float
    inspection_interval_years: int
    banned: bool = False
    banned_reason: str | None = None
    source: str = ""


@dataclass(frozen=True)
class LifeRules:
    gb5842_2006_from: dt.date
    life_years_from_2006_standard: int
    life_years_before_2006_standard: int
    extension_max_years: int
    source: str = ""


@dataclass(frozen=True)
class CylinderFacts:
    manufactured_on: dt.date
    last_inspected_on: dt.date | None
    design_life_years: int
    life_extended_until: dt.date | None = None
    seized: bool = False
    scrapped: bool = False
    registration_cancelled: bool = False


@dataclass(frozen=True)
class CylinderState:
    next_inspection_due: dt.date
    service_life_ends: dt.date
    status: str


def add_years(day: dt.date, years: int) -> dt.date:
    """Add whole years; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def default_design_life(manufactured_on: dt.date, life: LifeRules) -> int:
    """Design life in years when the collar does not stamp one (GB 5842-2006 vs -1996)."""
    if manufactured_on >= life.gb5842_2006_from:
        return life.life_years_from_2006_standard
    return life.life_years_before_2006_standard


def extension_window_opens(manufactured_on: dt.date, design_life_years: int) -> dt.date:
    """First day a passed safety assessment may extend the service life."""
    return add_years(manufactured_on, design_life_years - EXTENSION_WINDOW_YEARS)


def service_life_ends(facts: CylinderFacts, life: LifeRules) -> dt.date:
    """Last day of service: design life, or a recorded extension capped by the rules."""
    ends = add_years(facts.manufactured_on, facts.design_life_years)
    if facts.life_extended_until and facts.life_extended_until > ends:
        hard_end = add_years(ends, life.extension_max_years)
        ends = min(facts.life_extended_until, hard_end)
    return ends


def next_inspection_due(facts: CylinderFacts, spec: ModelSpec) -> dt.date:
    """Next periodic inspection: last inspection (or manufacture) plus the model's interval."""
    since = facts.last_inspected_on or facts.manufactured_on
    return add_years(since, spec.inspection_interval_years)


def derive_state(facts: CylinderFacts, spec: ModelSpec, life: LifeRules,
                 today: dt.date) -> CylinderState:
    """Derive due dates and the one status that matters most today."""
    due = next_inspection_due(facts, spec)
    ends = service_life_ends(facts, life)
    if facts.registration_cancelled:
        status = "registration_cancelled"
    elif facts.scrapped:
        status = "scrapped"
    elif facts.seized:
        status = "seized"
    elif today >= ends:
        status = "beyond_service_life"
    elif today > due:
        status = "inspection_overdue"
    else:
        status = "in_service"
    return CylinderState(next_inspection_due=due, service_life_ends=ends, status=status)


def load_defaults(path: Path = DEFAULTS_FILE) -> tuple[LifeRules, list[ModelSpec]]:
    """Read the shipped default rule table."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    life = data["life"]
    rules = LifeRules(
        gb5842_2006_from=dt.date.fromisoformat(life["gb5842_2006_from"]),
        life_years_from_2006_standard=life["life_years_from_2006_standard"],
        life_years_before_2006_standard=life["life_years_before_2006_standard"],
        extension_max_years=life["extension_max_years"],
        source=life.get("source", ""),
    )
    specs = [ModelSpec(**m) for m in data["models"]]
    return rules, specs
