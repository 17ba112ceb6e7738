"""The pure delivery rules, with properties checked by hypothesis."""
from __future__ import annotations

import datetime as dt

from hypothesis import assume, given
from hypothesis import strategies as st

from app.delivery import geo
from app.delivery.rules import (
    BLOCKING_FLAGS,
    CUSTOMER_KINDS,
    ITEM_STATES,
    PREMISES,
    CustomerFacts,
    FillFacts,
    check_satisfied,
    checklist_problems,
    customer_reasons,
    dispatch_reasons,
    failed_items,
    found_reasons,
    hazard_deadline,
    is_overdue,
    load_rules,
    storage_hazard,
)
from tests.delivery.conftest import ITEMS

RULES = load_rules()
days = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
seqs = st.none() | st.integers(1, 1000)


def test_defaults_have_the_thirteen_items_of_the_issue():
    assert RULES.item_codes == ITEMS
    assert RULES.room_threshold_kg == 50  # 二(四)2: over 50 kg of LPG needs a room
    assert {item.severity for item in RULES.items} <= {"major", "general"}


def test_overrides_come_from_data():
    rules = load_rules({"room_threshold_kg": 50, "underground_banned_kinds": ["restaurant",
                                                                              "canteen"]})
    canteen = CustomerFacts("canteen", "underground", False)
    assert [r.code for r in customer_reasons(canteen, "YSP35.5", rules)] == [
        "underground_premises"]
    assert storage_hazard(CustomerFacts("restaurant", "ground", False), 60, rules)


@given(status=st.sampled_from(["in_service", "inspection_overdue", "seized"]), fill=seqs,
       handover=seqs, overfill=st.booleans(),
       flags=st.frozensets(st.sampled_from([*BLOCKING_FLAGS, "out_of_zone", "no_safety_check"])))
def test_dispatch_allowed_exactly_when_the_last_fill_passed_and_nothing_blocks(
        status, fill, handover, overfill, flags):
    assume(fill is None or fill != handover)  # two events never share a sequence number
    reasons = dispatch_reasons(FillFacts(status, fill, overfill, handover, flags))
    fresh_fill = fill is not None and (handover is None or handover < fill)
    allowed = (status == "in_service" and fresh_fill and not overfill
               and not (flags & set(BLOCKING_FLAGS)))
    assert (reasons == []) == allowed
    codes = [r.code for r in reasons]
    assert len(codes) == len(set(codes))
    assert all(r.message and r.message_en for r in reasons)


@given(kind=st.sampled_from(CUSTOMER_KINDS), premises=st.sampled_from(PREMISES),
       model=st.sampled_from(["YSP35.5", "YSP118", "YSP118-II"]))
def test_customer_rules(kind, premises, model):
    codes = [r.code for r in customer_reasons(CustomerFacts(kind, premises, False), model, RULES)]
    assert ("underground_premises" in codes) == (kind == "restaurant" and premises != "ground")
    assert ("dual_phase_cylinder" in codes) == (model == "YSP118-II")


@given(kind=st.sampled_from(CUSTOMER_KINDS), premises=st.sampled_from(PREMISES),
       failed=st.frozensets(st.sampled_from(ITEMS)))
def test_check_findings_refuse_what_the_customer_rules_refuse(kind, premises, failed):
    codes = [r.code for r in found_reasons(CustomerFacts(kind, premises, False), failed, RULES)]
    assert ("underground_use_found" in codes) == (
        kind == "restaurant" and "underground_use" in failed)
    assert ("dual_phase_cylinder_found" in codes) == ("dual_phase_cylinder" in failed)
    assert len(codes) == len(set(codes))
    # the record's premises make no difference: what the driver found at the door counts
    ground = found_reasons(CustomerFacts(kind, "ground", False), failed, RULES)
    assert [r.code for r in ground] == codes


def test_check_findings_follow_the_rules_data():
    rules = load_rules({"underground_banned_kinds": ["restaurant", "canteen"]})
    canteen = CustomerFacts("canteen", "ground", False)
    assert [r.code for r in found_reasons(canteen, ["underground_use"], rules)] == [
        "underground_use_found"]
    assert found_reasons(canteen, ["underground_use"], RULES) == []


@given(kind=st.sampled_from(CUSTOMER_KINDS), room=st.booleans(),
       kg=st.floats(0, 1000, allow_nan=False))
def test_storage_hazard_only_for_restaurants_over_50kg_of_lpg_without_a_room(kind, room, kg):
    facts = CustomerFacts(kind, "ground", room)
    assert storage_hazard(facts, kg, RULES) == (kind == "restaurant" and not room and kg > 50)


@given(kind=st.sampled_from(CUSTOMER_KINDS), last=st.none() | days, on=days)
def test_safety_check_every_business_delivery_and_yearly_for_households(kind, last, on):
    ok = check_satisfied(kind, last, on, RULES)
    if last is None or last > on:
        assert not ok
    elif kind == "household":
        assert ok == ((on - last).days < 365)
    else:
        assert ok == (last == on)


@given(states=st.fixed_dictionaries({item: st.sampled_from(ITEM_STATES) for item in ITEMS}),
       photos=st.sets(st.sampled_from(ITEMS)))
def test_checklist_needs_every_item_and_a_photo_per_failure(states, photos):
    problems = checklist_problems(states, photos, RULES)
    missing_photos = {item for item, state in states.items() if state == "fail"} - photos
    assert {p.field for p in problems} == missing_photos
    assert all(p.code == "photo_required" for p in problems)
    assert failed_items(states, RULES) == [i for i in ITEMS if states[i] == "fail"]


def test_checklist_refuses_missing_unknown_and_bad_states():
    states = {item: "pass" for item in ITEMS[1:]} | {"tee_connection": "maybe", "x": "pass"}
    codes = {(p.field, p.code) for p in checklist_problems(states, [], RULES)}
    assert codes == {("hose_over_2m", "item_missing"), ("tee_connection", "invalid_state"),
                     ("x", "unknown_item")}


@given(found=days, severity=st.sampled_from(["major", "general"]), on=days,
       status=st.sampled_from(["open", "rectified", "verified"]))
def test_hazard_is_overdue_only_when_open_past_its_deadline(found, severity, on, status):
    deadline = hazard_deadline(found, severity, RULES)
    assert deadline - found == dt.timedelta(days=RULES.deadline_days[severity])
    assert is_overdue(status, deadline, on) == (status == "open" and on > deadline)


@given(lon=st.floats(115.3, 115.7), lat=st.floats(38.7, 39.0))
def test_point_in_area_and_distance_agree(lon, lat):
    area = geo.to_polygon([[115.46, 38.85], [115.50, 38.85], [115.50, 38.88], [115.46, 38.88]])
    inside = geo.contains(area, lon, lat)
    distance = geo.distance_m(area, lon, lat)
    assert (distance == 0) == inside or (distance < 1e-6 and not inside)


def test_distances_in_metres():
    # 0.01 degree of longitude at 38.86 N is about 866 m; of latitude about 1112 m
    assert abs(geo.point_distance_m(115.46, 38.86, 115.47, 38.86) - 866) < 2
    assert abs(geo.point_distance_m(115.46, 38.86, 115.46, 38.87) - 1112) < 2


def test_viewport_keeps_north_up_and_aspect():
    view = geo.viewport_for([(115.46, 38.85), (115.50, 38.88)])
    x1, y1 = view.xy(115.46, 38.85)
    x2, y2 = view.xy(115.50, 38.88)
    assert x2 > x1 and y2 < y1  # east is right, north is up
    ratio = (y1 - y2) / (x2 - x1)
    assert abs(ratio - (0.03 * 1112) / (0.04 * 866)) < 0.02
