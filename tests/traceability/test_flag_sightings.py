"""Repeat sightings of an open flag, counted without loading the flag through the ORM."""
from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from app.traceability.models import Flag
from app.traceability.services import find_cylinder, raise_flag


def test_sightings_in_separate_requests_count_up_and_keep_the_latest_20(registry, world, ctx):
    code = registry.cylinder()["code"]
    returned = []
    for n in range(25):
        db.session.remove()  # each sighting as a new request: the flag is not in the session
        cyl = find_cylinder(code)
        filler = db.session.get(User, world.filler_a.id)
        flag = raise_flag("not_owned", cylinder=cyl, actor=filler, details={"n": n})
        returned.append((flag.id, flag.occurrences, flag.details, flag.last_seen_at))
        db.session.commit()
    db.session.remove()
    stored = db.session.get(Flag, returned[0][0])
    assert {flag_id for flag_id, *_ in returned} == {stored.id}
    assert stored.occurrences == 25
    assert [s["n"] for s in stored.details["sightings"]] == list(range(5, 25))
    assert stored.details["n"] == 0  # the first sighting's details stay at the top
    assert stored.last_seen_at > stored.raised_at
    assert returned[-1][1:] == (stored.occurrences, stored.details, stored.last_seen_at)


def test_a_flag_by_code_counts_sightings_too(world, ctx):
    filler = db.session.get(User, world.filler_a.id)
    first_id = raise_flag("black_cylinder", code="0000000000000001", actor=filler).id
    db.session.commit()
    db.session.remove()
    filler = db.session.get(User, world.filler_a.id)
    again_id = raise_flag("black_cylinder", code="0000000000000001", actor=filler).id
    db.session.commit()
    db.session.remove()
    stored = db.session.get(Flag, first_id)
    assert again_id == first_id and stored.occurrences == 2
    assert len(stored.details["sightings"]) == 2


def test_a_flag_the_request_holds_is_changed_as_an_object(registry, world, ctx):
    cyl = find_cylinder(registry.cylinder()["code"])
    filler = db.session.get(User, world.filler_a.id)
    first = raise_flag("not_owned", cylinder=cyl, actor=filler)
    again = raise_flag("not_owned", cylinder=cyl, actor=filler)
    assert again is first and first.occurrences == 2
    flag_id = first.id
    db.session.commit()
    db.session.remove()
    assert db.session.get(Flag, flag_id).occurrences == 2
