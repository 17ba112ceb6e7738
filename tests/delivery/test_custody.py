"""Custody moves only when an event hands the cylinder to another holder (any event path)."""
from __future__ import annotations

from app.delivery.models import Custody
from app.extensions import db
from app.traceability.services import find_cylinder
from tests.delivery.conftest import stored_custody


def test_the_same_holder_again_keeps_since_and_event(fleet, world, ctx):
    code = fleet.cylinder()  # registered at its owner, then filled at station_a
    came = stored_custody(code)
    assert came[:2] == ("station", world.orgs["station_a"])
    fleet.fill(code)
    assert stored_custody(code) == came
    fleet.fill(code, station="station_b")
    kind, org_id, since, event_id = stored_custody(code)
    assert (kind, org_id) == ("station", world.orgs["station_b"])
    assert event_id != came[3] and since >= came[2]
    assert fleet.custody(code)["org_id"] == world.orgs["station_b"]


def test_a_cylinder_without_a_custody_row_gets_one(fleet, world, ctx):
    code = fleet.cylinder(filled=False)
    cyl = find_cylinder(code)
    assert cyl is not None
    db.session.delete(db.session.get(Custody, cyl.id))
    db.session.commit()
    fleet.fill(code)
    assert stored_custody(code)[:2] == ("station", world.orgs["station_a"])
