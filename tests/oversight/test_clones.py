"""Clone detection from events: two stations within hours, at a customer, too far apart."""
from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.traceability.models import Flag
from tests.oversight.conftest import BASE


def _clone_flags():
    db.session.rollback()
    return db.session.scalars(db.select(Flag).where(Flag.kind == "clone_suspected")).all()


def test_filled_at_two_stations_within_hours_names_both_sightings(registry, events):
    code = registry.cylinder()["code"]
    first = events.fill(code, "filler_a", at=BASE)
    second = events.fill(code, "filler_b", at=BASE + dt.timedelta(hours=2))
    [flag] = _clone_flags()
    assert flag.details["rule"] == "filled_at_two_stations"
    both = [flag.details["first"], flag.details["second"]]
    assert [s["event_id"] for s in both] == [str(first.id), str(second.id)]
    assert [s["org_id"] for s in both] == [events.world.orgs["station_a"],
                                           events.world.orgs["station_b"]]


def test_refills_at_one_station_or_days_apart_are_not_clones(registry, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    events.fill(code, "filler_a", at=BASE + dt.timedelta(hours=1))
    events.fill(code, "filler_b", at=BASE + dt.timedelta(days=3))
    assert _clone_flags() == []


def test_filled_while_recorded_at_a_customer(registry, events):
    code = registry.cylinder()["code"]
    events.fill(code, "filler_a", at=BASE)
    events.dispatch(code, at=BASE + dt.timedelta(hours=1))
    delivered = events.deliver(code, 501, at=BASE + dt.timedelta(hours=2), lat=38.87, lon=115.46)
    fill = events.fill(code, "filler_a", at=BASE + dt.timedelta(days=2))
    [flag] = _clone_flags()
    assert flag.details["rule"] == "filled_while_at_customer"
    assert flag.details["first"]["event_id"] == str(delivered.id)
    assert flag.details["second"]["event_id"] == str(fill.id)


def test_returned_cylinder_may_be_filled_again(registry, events):
    code = registry.cylinder()["code"]
    events.deliver(code, 501, at=BASE)
    events.returned(code, 501, at=BASE + dt.timedelta(days=20))
    events.fill(code, "filler_a", at=BASE + dt.timedelta(days=21))
    assert _clone_flags() == []


def test_delivered_far_apart_minutes_apart(registry, events):
    code = registry.cylinder()["code"]
    events.deliver(code, 501, at=BASE, lat=38.87, lon=115.46)  # Baoding
    events.deliver(code, 502, at=BASE + dt.timedelta(minutes=30), lat=39.90, lon=116.40)  # Beijing
    [flag] = _clone_flags()
    assert flag.details["rule"] == "delivered_too_far_apart"
    assert flag.details["km"] > 100 and flag.details["minutes_apart"] == 30.0


def test_deliveries_close_together_or_slow_enough_are_fine(registry, events):
    code = registry.cylinder()["code"]
    events.deliver(code, 501, at=BASE, lat=38.870, lon=115.460)
    events.deliver(code, 502, at=BASE + dt.timedelta(minutes=10), lat=38.875, lon=115.465)
    events.deliver(code, 503, at=BASE + dt.timedelta(hours=5), lat=39.90, lon=116.40)
    assert _clone_flags() == []
