"""Repeat sightings of an open flag, counted without loading the flag through the ORM."""
from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from app.traceability.flags import raise_flag, read_open_flags, resolve_flag
from app.traceability.models import Flag
from app.traceability.services import find_cylinder
from tests.db_helpers import count_statements


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


def _sight(code: str, user_id: int, n: int, *, preread: bool) -> Flag:
    """One request's sighting; with `preread`, its open flag read first (the read phase)."""
    cyl = find_cylinder(code)
    filler = db.session.get(User, user_id)
    if preread:
        read_open_flags([("not_owned", cyl.id, None)])
    return raise_flag("not_owned", cylinder=cyl, actor=filler, details={"n": n})


def test_a_flag_read_before_the_write_phase_is_counted_with_one_update(registry, world, ctx):
    code = registry.cylinder()["code"]
    flag_id = _sight(code, world.filler_a.id, 0, preread=False).id
    db.session.commit()
    db.session.remove()
    cyl = find_cylinder(code)
    filler = db.session.get(User, world.filler_a.id)
    read_open_flags([("not_owned", cyl.id, None)])
    statements: list[str] = []
    with count_statements(statements):
        again_id = raise_flag("not_owned", cylinder=cyl, actor=filler, details={"n": 1}).id
    db.session.commit()
    db.session.remove()
    assert again_id == flag_id
    assert not [s for s in statements if "FROM flags" in s], "the flag was read again"
    writes = [s for s in statements if s.lstrip().startswith("UPDATE flags")]
    assert len(writes) == 1 and "occurrences" in writes[0]
    stored = db.session.get(Flag, flag_id)
    assert stored.occurrences == 2 and [s["n"] for s in stored.details["sightings"]] == [0, 1]


def test_a_sighting_between_the_read_and_the_write_is_not_lost(registry, world, ctx, app):
    code = registry.cylinder()["code"]
    flag_id = _sight(code, world.filler_a.id, 0, preread=False).id
    db.session.commit()
    db.session.remove()
    cyl = find_cylinder(code)
    read_open_flags([("not_owned", cyl.id, None)])  # this request reads count 1 ...
    db.session.commit()
    with app.app_context():  # ... another request sights the flag meanwhile ...
        _sight(code, world.filler_b.id, 1, preread=False)
        db.session.commit()
    filler = db.session.get(User, world.filler_a.id)
    again = raise_flag("not_owned", cylinder=cyl, actor=filler, details={"n": 2})
    assert again.id == flag_id and again.occurrences == 3
    db.session.commit()  # ... and its own sighting still counts on top of it
    db.session.remove()
    stored = db.session.get(Flag, flag_id)
    assert stored.occurrences == 3
    assert [s["n"] for s in stored.details["sightings"]] == [0, 1, 2]


def test_a_flag_resolved_between_the_read_and_the_write_is_raised_anew(registry, world, ctx,
                                                                        app):
    code = registry.cylinder()["code"]
    first_id = _sight(code, world.filler_a.id, 0, preread=False).id
    db.session.commit()
    db.session.remove()
    cyl = find_cylinder(code)
    read_open_flags([("not_owned", cyl.id, None)])
    db.session.commit()
    with app.app_context():
        resolve_flag(db.session.get(User, world.regulator.id), first_id, "checked on site")
        db.session.commit()
    filler = db.session.get(User, world.filler_a.id)
    again = raise_flag("not_owned", cylinder=cyl, actor=filler, details={"n": 1})
    assert again.id != first_id and again.occurrences == 1
    db.session.commit()
    db.session.remove()
    assert db.session.get(Flag, first_id).occurrences == 1
