"""Properties of the interlock's pure rules, over generated cylinders, days and checks."""
from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.filling.rules import (
    BLACK_CYLINDER_REASONS,
    MESSAGES,
    PRECEDENCE,
    PRECHECK_ITEMS,
    FillFacts,
    cylinder_reasons,
    is_overfill,
    ordered,
    precheck_reasons,
    raises_black_cylinder,
    reason,
)
from app.traceability.checks import Reason
from app.traceability.rules import CylinderFacts, load_defaults

LIFE, SPECS = load_defaults()
SPEC = next(s for s in SPECS if s.model == "YSP35.5")
TODAY = dt.date(2026, 6, 15)
STATE_FLAGS = {"scrapped": "scrapped", "registration_cancelled": "registration_cancelled",
               "seized": "seized"}

days = st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31))


@st.composite
def facts(draw: st.DrawFn) -> FillFacts:
    made = draw(st.dates(dt.date(1995, 1, 1), dt.date(2026, 6, 1)))
    inspected = draw(st.none() | st.dates(made, dt.date(2026, 6, 15)))
    cylinder = CylinderFacts(
        manufactured_on=made, last_inspected_on=inspected,
        design_life_years=draw(st.integers(1, 30)),
        life_extended_until=draw(st.none() | days),
        seized=draw(st.booleans()), scrapped=draw(st.booleans()),
        registration_cancelled=draw(st.booleans()))
    return FillFacts(cylinder=cylinder, model=dataclasses.replace(SPEC, banned=draw(st.booleans())),
                     refurbished=draw(st.booleans()), owned_or_entrusted=draw(st.booleans()),
                     on_hold=draw(st.booleans()))


def fine() -> FillFacts:
    """A cylinder nothing is wrong with: new, inspected, ours."""
    cyl = CylinderFacts(manufactured_on=dt.date(2024, 1, 1), last_inspected_on=dt.date(2025, 1, 1),
                        design_life_years=8)
    return FillFacts(cylinder=cyl, model=SPEC, refurbished=False, owned_or_entrusted=True,
                     on_hold=False)


def codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_a_fine_cylinder_has_no_reason():
    assert cylinder_reasons(fine(), LIFE, TODAY) == []


def test_each_fact_alone_gives_exactly_its_reason():
    base = fine()
    single = {
        "scrapped": dataclasses.replace(base, cylinder=dataclasses.replace(base.cylinder,
                                                                            scrapped=True)),
        "registration_cancelled": dataclasses.replace(base, cylinder=dataclasses.replace(
            base.cylinder, registration_cancelled=True)),
        "seized": dataclasses.replace(base, cylinder=dataclasses.replace(base.cylinder,
                                                                          seized=True)),
        "refurbished": dataclasses.replace(base, refurbished=True),
        "banned_model": dataclasses.replace(base, model=dataclasses.replace(SPEC, banned=True)),
        "not_owned": dataclasses.replace(base, owned_or_entrusted=False),
        "overfill_hold": dataclasses.replace(base, on_hold=True),
        "inspection_overdue": dataclasses.replace(base, cylinder=dataclasses.replace(
            base.cylinder, last_inspected_on=dt.date(2022, 6, 14))),
        "beyond_service_life": dataclasses.replace(base, cylinder=dataclasses.replace(
            base.cylinder, manufactured_on=dt.date(2018, 6, 15),
            last_inspected_on=dt.date(2025, 1, 1))),
    }
    for expected, case in single.items():
        assert codes(cylinder_reasons(case, LIFE, TODAY)) == [expected]


@given(facts(), days)
def test_reasons_follow_the_facts(case: FillFacts, today: dt.date):
    found = codes(cylinder_reasons(case, LIFE, today))
    assert len(found) == len(set(found))
    assert found == codes(ordered(cylinder_reasons(case, LIFE, today)))
    for attr, code in STATE_FLAGS.items():
        assert (code in found) == getattr(case.cylinder, attr)
    assert ("refurbished" in found) == case.refurbished
    assert ("banned_model" in found) == case.model.banned
    assert ("not_owned" in found) == (not case.owned_or_entrusted)
    assert ("overfill_hold" in found) == case.on_hold
    assert all(MESSAGES[c][0] for c in found)


@given(facts(), days, st.integers(1, 3000))
def test_time_only_adds_date_reasons(case: FillFacts, today: dt.date, later_by: int):
    dated = {"inspection_overdue", "beyond_service_life"}
    now = set(codes(cylinder_reasons(case, LIFE, today))) & dated
    later = set(codes(cylinder_reasons(case, LIFE, today + dt.timedelta(days=later_by)))) & dated
    assert now <= later


@given(facts(), days, days)
def test_a_longer_extension_never_ends_life_sooner(case: FillFacts, today: dt.date,
                                                   extended: dt.date):
    short = dataclasses.replace(case, cylinder=dataclasses.replace(
        case.cylinder, life_extended_until=None))
    longer = dataclasses.replace(case, cylinder=dataclasses.replace(
        case.cylinder, life_extended_until=extended))
    if "beyond_service_life" not in codes(cylinder_reasons(short, LIFE, today)):
        assert "beyond_service_life" not in codes(cylinder_reasons(longer, LIFE, today))


@given(st.dictionaries(st.sampled_from(list(PRECHECK_ITEMS)), st.booleans()))
def test_only_failed_precheck_items_refuse(precheck: dict[str, bool]):
    found = codes(precheck_reasons(precheck))
    assert found == [PRECHECK_ITEMS[item] for item in PRECHECK_ITEMS
                     if precheck.get(item) is False]


@given(st.lists(st.sampled_from([*PRECEDENCE, "blacklisted", "other_check"])))
def test_ordering_is_by_precedence_without_repeats(names: list[str]):
    reasons = [reason(n) if n in MESSAGES else Reason(n, "其他", "Other") for n in names]
    result = codes(ordered(reasons))
    assert sorted(set(result)) == sorted(set(names))
    assert len(result) == len(set(result))
    assert codes(ordered(ordered(reasons))) == result
    ours = [c for c in result if c in MESSAGES]
    assert ours == sorted(ours, key=PRECEDENCE.index)
    first_precheck = next((i for i, c in enumerate(result) if c.startswith("precheck_")),
                          len(result))
    assert all(i < first_precheck for i, c in enumerate(result) if c not in MESSAGES)
    assert raises_black_cylinder(reasons) == bool(set(names) & BLACK_CYLINDER_REASONS)


@given(st.none() | st.floats(0, 100, allow_nan=False), st.floats(0.1, 60, allow_nan=False))
def test_overfill_is_strictly_above_the_rated_mass(mass: float | None, rated: float):
    assert is_overfill(mass, rated) == (mass is not None and mass > rated)


def test_every_reason_speaks_chinese_and_english():
    for code, (zh, en) in MESSAGES.items():
        assert zh and en and zh != en, code
        assert len(zh) <= 12, code  # read at a glance with gloves on, from arm's length
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), code
