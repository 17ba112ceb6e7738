"""Property tests of the pure rules: clone checks, life extension, code suggestions."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.oversight.clones import (
    CloneLimits,
    LastSeen,
    Sighting,
    delivery_conflicts,
    distance_km,
    fill_conflicts,
)
from app.oversight.inspections import ExtensionRefused, allowed_extension
from app.oversight.search import one_edit_variants
from app.traceability.codes import ALPHABET, is_valid, new_code
from app.traceability.rules import (
    EXTENSION_WINDOW_YEARS,
    LifeRules,
    add_years,
    extension_window_opens,
)

T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
LIMITS = CloneLimits()
RULES = LifeRules(dt.date(2007, 2, 1), 8, 15, 4)
lat = st.floats(min_value=18, max_value=53)
lon = st.floats(min_value=73, max_value=135)
minutes = st.integers(min_value=0, max_value=60 * 24 * 30)


@given(minutes, st.integers(1, 3), st.integers(1, 3))
def test_two_stations_clash_only_within_the_window(gap, org_a, org_b):
    first = Sighting("a", "filled", T0, org_id=org_a)
    second = Sighting("b", "filled", T0 + dt.timedelta(minutes=gap), org_id=org_b)
    found = fill_conflicts(LastSeen(last_fill=first), second, LIMITS)
    expected = org_a != org_b and gap < LIMITS.fill_window_hours * 60
    assert bool(found) == expected
    if found:
        assert found[0].details()["first"]["event_id"] == "a"
        assert found[0].details()["second"]["event_id"] == "b"


@given(lat, lon, lat, lon, minutes)
def test_delivery_clash_is_symmetric_and_needs_real_speed(la1, lo1, la2, lo2, gap):
    one = Sighting("a", "delivered", T0, lat=la1, lon=lo1)
    two = Sighting("b", "delivered", T0 + dt.timedelta(minutes=gap), lat=la2, lon=lo2)
    forward = delivery_conflicts(LastSeen(last_delivery=one), two, LIMITS)
    backward = delivery_conflicts(LastSeen(last_delivery=two), one, LIMITS)
    assert bool(forward) == bool(backward)
    km = distance_km(la1, lo1, la2, lo2)
    if forward:
        assert km >= LIMITS.min_distance_km
        assert gap == 0 or km / (gap / 60) > LIMITS.max_speed_kmh
    elif km >= LIMITS.min_distance_km and gap > 0:
        assert km / (gap / 60) <= LIMITS.max_speed_kmh


@given(lat, lon)
def test_distance_is_zero_to_itself(la, lo):
    assert distance_km(la, lo, la, lo) < 1e-6


def test_baoding_to_beijing_is_about_140_km():
    assert 130 < distance_km(38.87, 115.46, 39.90, 116.40) < 150


made_on = st.dates(dt.date(1995, 1, 1), dt.date(2025, 12, 31))
days = st.dates(dt.date(1995, 1, 1), dt.date(2050, 12, 31))


@given(made_on, st.sampled_from([8, 12, 15]), st.one_of(st.none(), days), days)
def test_extension_never_passes_the_hard_end(made, life, requested, today):
    design_end = add_years(made, life)
    try:
        granted = allowed_extension(made, life, False, False, requested, RULES, today)
    except ExtensionRefused as exc:
        assert exc.code in ("extension_too_long", "extension_not_later", "assessment_too_early",
                            "extension_already_past")
        assert requested is not None or exc.code in ("assessment_too_early",
                                                     "extension_already_past")
        return
    assert design_end < granted <= add_years(design_end, RULES.extension_max_years)
    assert granted > today  # an extension is never spent on a date already gone


@given(made_on, st.sampled_from([8, 12, 15]), days)
def test_extension_only_from_the_window_before_the_design_end(made, life, today):
    opens = extension_window_opens(made, life)
    assert (add_years(made, life) - opens).days in range(365 * EXTENSION_WINDOW_YEARS,
                                                         366 * EXTENSION_WINDOW_YEARS + 1)
    hard_end = add_years(add_years(made, life), RULES.extension_max_years)
    try:
        allowed_extension(made, life, False, False, None, RULES, today)
    except ExtensionRefused as exc:
        expected = "assessment_too_early" if today < opens else "extension_already_past"
        assert exc.code == expected
        assert today < opens or hard_end <= today
    else:
        assert opens <= today < hard_end


@given(st.booleans(), st.booleans(), days)
def test_extension_is_once_and_never_for_refurbished(extended, refurbished, today):
    if not (extended or refurbished):
        return
    try:
        allowed_extension(dt.date(2018, 1, 1), 8, extended, refurbished, None, RULES, today)
    except ExtensionRefused as exc:
        assert exc.code in ("already_extended", "refurbished")
    else:
        raise AssertionError("extension granted")


@given(st.integers(0, 2**75 - 1), st.integers(0, 15), st.sampled_from(ALPHABET))
def test_a_one_character_typo_is_found_by_the_variants(bits, pos, ch):
    try:
        code = new_code(bits)
    except ValueError:
        return
    typo = code[:pos] + ch + code[pos + 1:]
    if typo == code:
        return
    assert not is_valid(typo)
    variants = one_edit_variants(typo)
    assert code in variants and all(is_valid(v) for v in variants)
    assert code in one_edit_variants(code[:pos] + code[pos + 1:])  # a dropped character
