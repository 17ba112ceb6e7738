"""State derivation: due dates, service life and status, as pure functions (property-based)."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.traceability.rules import (
    STATUSES,
    CylinderFacts,
    ModelSpec,
    add_years,
    default_design_life,
    derive_state,
    load_defaults,
)

LIFE, SPECS = load_defaults()
SPEC = next(s for s in SPECS if s.model == "YSP35.5")
days = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2040, 12, 31))


@st.composite
def facts(draw: st.DrawFn) -> CylinderFacts:
    made = draw(days)
    inspected = draw(st.none() | st.dates(min_value=made, max_value=dt.date(2040, 12, 31)))
    return CylinderFacts(
        manufactured_on=made, last_inspected_on=inspected,
        design_life_years=draw(st.sampled_from([8, 12, 15, 20])),
        life_extended_until=draw(st.none() | days),
        seized=draw(st.booleans()), scrapped=draw(st.booleans()),
        registration_cancelled=draw(st.booleans()))


def test_rule_table_defaults_match_the_brief():
    by_model = {s.model: s for s in SPECS}
    assert by_model["YSP35.5"].rated_fill_kg == 14.9
    assert by_model["YSP118"].rated_fill_kg == 49.5
    assert by_model["YSP118-II"].banned
    assert all(s.inspection_interval_years == 4 and s.source for s in SPECS)
    assert LIFE.extension_max_years == 4


def test_design_life_defaults_by_standard():
    assert default_design_life(dt.date(2007, 2, 1), LIFE) == 8
    assert default_design_life(dt.date(2007, 1, 31), LIFE) == 15


@given(facts(), days)
def test_due_date_is_last_inspection_plus_interval(f, today):
    state = derive_state(f, SPEC, LIFE, today)
    since = f.last_inspected_on or f.manufactured_on
    assert state.next_inspection_due == add_years(since, SPEC.inspection_interval_years)
    assert state.status in STATUSES


@given(facts(), days)
def test_life_ends_within_design_life_plus_one_extension(f, today):
    state = derive_state(f, SPEC, LIFE, today)
    base_end = add_years(f.manufactured_on, f.design_life_years)
    assert base_end <= state.service_life_ends
    assert state.service_life_ends <= add_years(base_end, LIFE.extension_max_years)
    if f.life_extended_until is None or f.life_extended_until <= base_end:
        assert state.service_life_ends == base_end


@given(facts(), days)
def test_status_precedence(f, today):
    status = derive_state(f, SPEC, LIFE, today).status
    if f.registration_cancelled:
        assert status == "registration_cancelled"
    elif f.scrapped:
        assert status == "scrapped"
    elif f.seized:
        assert status == "seized"
    else:
        assert status in ("in_service", "inspection_overdue", "beyond_service_life")


@given(facts(), days, st.integers(1, 4000))
def test_time_only_makes_things_worse(f, today, later):
    order = {"in_service": 0, "inspection_overdue": 1, "beyond_service_life": 2}
    clean = CylinderFacts(f.manufactured_on, f.last_inspected_on, f.design_life_years,
                          f.life_extended_until)
    now = derive_state(clean, SPEC, LIFE, today).status
    then = derive_state(clean, SPEC, LIFE, today + dt.timedelta(days=later)).status
    assert order[then] >= order[now]


def test_examples_from_the_brief():
    f = CylinderFacts(dt.date(2018, 5, 1), dt.date(2022, 4, 1), 8)
    assert derive_state(f, SPEC, LIFE, dt.date(2026, 4, 1)).status == "in_service"
    assert derive_state(f, SPEC, LIFE, dt.date(2026, 4, 2)).status == "inspection_overdue"
    assert derive_state(f, SPEC, LIFE, dt.date(2026, 5, 1)).status == "beyond_service_life"
    extended = CylinderFacts(dt.date(2018, 5, 1), dt.date(2026, 4, 1), 8,
                             life_extended_until=dt.date(2035, 1, 1))
    state = derive_state(extended, SPEC, LIFE, dt.date(2027, 1, 1))
    assert state.service_life_ends == dt.date(2030, 5, 1)  # hard end at 12 years
    assert state.status == "in_service"
    assert derive_state(extended, SPEC, LIFE, dt.date(2030, 5, 1)).status == "beyond_service_life"


def test_interval_comes_from_the_table():
    short = ModelSpec("X", 10, 4, 2)
    f = CylinderFacts(dt.date(2020, 1, 1), dt.date(2024, 1, 1), 8)
    state = derive_state(f, short, LIFE, dt.date(2024, 2, 1))
    assert state.next_inspection_due == dt.date(2026, 1, 1)


def test_leap_day_rolls_back_to_28_february():
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
