"""Chain digests: a value kept outside the database proves the history up to its cutoff was
not rewritten, even by someone who rebuilt the hash chains inside it."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from app.auth.models import User
from app.database import utcnow
from app.errors import APIError
from app.extensions import db
from app.oversight import digests
from app.oversight.models import ChainDigest
from app.oversight.reports.data import monthly_report
from app.traceability.chain import chained_fields, event_hash
from app.traceability.events import GENESIS_HASH, cylinder_events, verify_events
from app.traceability.models import Cylinder, Event

HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
HEADS = st.lists(st.tuples(st.text("0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=16, max_size=16),
                           st.integers(1, 10_000), HEX), max_size=12)


@given(HEADS)
def test_the_fold_is_a_function_of_the_heads(heads: list) -> None:
    assert digests.fold(heads) == digests.fold(list(heads))
    assert digests.fold(heads).cylinders == len(heads)
    assert digests.fold(heads).events == sum(seq for _, seq, _ in heads)


@given(HEADS.filter(bool), st.data())
def test_any_change_to_any_head_changes_the_digest(heads: list, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(heads) - 1))
    code, seq, head = heads[i]
    which = data.draw(st.sampled_from(["seq", "head", "drop", "extra"]))
    changed = list(heads)
    if which == "seq":
        changed[i] = (code, seq + 1, head)
    elif which == "head":
        other = data.draw(HEX.filter(lambda h: h != head))
        changed[i] = (code, seq, other)
    elif which == "drop":
        del changed[i]
    else:
        changed.insert(i, (code, seq, head))
    assert digests.fold(changed).root != digests.fold(heads).root


@given(HEX, st.sampled_from(["", " ", "-", ":"]), st.booleans())
def test_a_digest_kept_in_groups_or_capitals_reads_back(root: str, sep: str, upper: bool) -> None:
    kept = sep.join(re.findall("....", root))
    assert digests.held_digest(kept.upper() if upper else kept) == root
    assert digests.held_digest(digests.grouped(root)) == root
    assert digests.held_digest(root[:16]) == root[:16]


def test_a_digest_too_short_or_not_hex_is_refused() -> None:
    for kept in ("", "abc", "0" * 15, "g" * 64, "0" * 65, "０" * 64):
        with pytest.raises(APIError) as refused:
            digests.held_digest(kept)
        assert refused.value.code == "invalid_digest"


def test_cutoffs_read_as_printed() -> None:
    printed = digests.local_text(dt.datetime(2026, 11, 30, 0, 31, tzinfo=dt.UTC))
    assert printed == "2026-11-30 08:31 (UTC+0800)"
    assert digests.parse_cutoff(printed) == dt.datetime(2026, 11, 30, 0, 31, tzinfo=dt.UTC)
    assert digests.parse_cutoff("2026-11-30T08:31") == digests.parse_cutoff(printed)
    assert digests.parse_cutoff("2026-11-30 00:31+00:00") == digests.parse_cutoff(printed)
    for bad in ("yesterday", "0001-01-01 00:00", "1999-12-31 23:00", "9999-12-31T23:59-10:00"):
        with pytest.raises(APIError) as refused:
            digests.parse_cutoff(bad)
        assert refused.value.code == "invalid_cutoff"


# --- against the stored events ------------------------------------------------------------

def _age_events(minutes: int) -> None:
    """Make the events so far as if received `minutes` ago (a digest covers events received
    at least 10 minutes before it is taken), their chains hashed as they would have been."""
    db.session.execute(update(Event).values(
        received_at=utcnow() - dt.timedelta(minutes=minutes)))
    db.session.commit()
    for cylinder in db.session.scalars(select(Cylinder)).all():
        _rebuild_chain(cylinder)
        assert verify_events(cylinder, cylinder_events(cylinder.id)).ok


def _district(registry, events, count: int = 3) -> list[str]:
    codes = [registry.cylinder()["code"] for _ in range(count)]
    for code in codes[:2]:
        events.fill(code)
    events.deliver(codes[0])
    _age_events(30)
    return codes


def _references_to_events() -> list:
    return [fk.parent for table in db.metadata.tables.values() for fk in table.foreign_keys
            if fk.column is Event.__table__.c.id]


def _regulator(world) -> User:
    return db.session.get(User, world.regulator.id)


def _rebuild_chain(cylinder: Cylinder) -> None:
    """What someone with the whole database does after editing an event: recompute every hash
    and the head, so that the chain verifies again."""
    prev = GENESIS_HASH
    for event in cylinder_events(cylinder.id):
        event.prev_hash = prev
        event.hash = event_hash(chained_fields(event, cylinder.code), prev)
        prev = event.hash
    cylinder.chain_head = prev
    db.session.commit()


def test_a_digest_covers_what_was_received_before_its_cutoff(ctx, world, registry, events):
    codes = _district(registry, events)
    row = digests.take_digest(_regulator(world))
    db.session.commit()
    assert (row.cylinders, row.events) == (3, 3 + 2 + 1)
    assert row.cutoff <= utcnow() - digests.MARGIN
    assert digests.check_stored(_regulator(world), row.id).matches
    # later events are not covered: the digest still matches, and the next one differs
    events.fill(codes[2])
    assert digests.check_stored(_regulator(world), row.id).matches
    _age_events(30)
    later = digests.take_digest(_regulator(world))
    assert later.events == row.events + 1 and later.root != row.root


def test_a_rewritten_history_with_a_rebuilt_chain_is_caught(ctx, world, registry, events):
    codes = _district(registry, events)
    row = digests.take_digest(_regulator(world))
    db.session.commit()
    cutoff, kept = row.cutoff, digests.grouped(row.root)
    assert digests.prove(_regulator(world), cutoff, kept).matches

    cyl = db.session.scalar(select(Cylinder).where(Cylinder.code == codes[1]))
    fill = next(e for e in cylinder_events(cyl.id) if e.type == "filled")
    fill.data = {**fill.data, "net_mass_kg": 11.0}  # the scale said 14.5
    db.session.commit()
    assert not verify_events(cyl, cylinder_events(cyl.id)).ok  # the chain alone shows it...
    _rebuild_chain(cyl)
    assert verify_events(cyl, cylinder_events(cyl.id)).ok  # ...until it is rebuilt

    assert not digests.check_stored(_regulator(world), row.id).matches
    proof = digests.prove(_regulator(world), cutoff, kept)
    assert not proof.matches and proof.recomputed.cylinders == 3
    # the proof needs no stored digest: the whole table may have been rewritten too
    db.session.execute(delete(ChainDigest))
    db.session.commit()
    assert not digests.prove(_regulator(world), cutoff, kept[:19]).matches


def test_a_back_dated_or_removed_event_is_caught(ctx, world, registry, events):
    codes = _district(registry, events)
    row = digests.take_digest(_regulator(world))
    db.session.commit()
    cutoff, kept = row.cutoff, row.root
    newest = events.fill(codes[2])  # received now, after the cutoff: not covered
    assert digests.prove(_regulator(world), cutoff, kept).matches
    db.session.execute(update(Event).where(Event.id == newest.id).values(
        received_at=cutoff - dt.timedelta(hours=1)))  # slipped in as if received before
    db.session.commit()
    assert not digests.prove(_regulator(world), cutoff, kept).matches

    db.session.execute(update(Event).where(Event.id == newest.id).values(received_at=utcnow()))
    db.session.commit()
    assert digests.prove(_regulator(world), cutoff, kept).matches
    cyl = db.session.scalar(select(Cylinder).where(Cylinder.code == codes[1]))
    last = cylinder_events(cyl.id)[-1]
    assert last.type == "filled"
    for column in _references_to_events():  # what points at the fill goes with it
        db.session.execute(update(column.table).where(column == last.id).values({column: None}))
    db.session.execute(delete(Event).where(Event.id == last.id))  # a fill removed
    cyl.event_count -= 1
    cyl.chain_head = last.prev_hash
    db.session.commit()
    assert verify_events(cyl, cylinder_events(cyl.id)).ok
    assert not digests.prove(_regulator(world), cutoff, kept).matches


def test_only_regulators_take_check_or_prove(ctx, world, registry, events):
    _district(registry, events, 1)
    for name in ("company_admin", "filler_a", "inspector", "driver"):
        user = db.session.get(User, world.users[name].id)
        for call in (lambda u: digests.take_digest(u),
                     lambda u: digests.prove(u, utcnow() - dt.timedelta(hours=1), "0" * 16)):
            with pytest.raises(APIError) as refused:
                call(user)
            assert refused.value.status == 403
    assert db.session.scalar(select(ChainDigest.id)) is None


def test_the_monthly_report_carries_the_months_last_digest(ctx, world, registry, events):
    _district(registry, events, 2)
    month = utcnow().astimezone(digests.DISTRICT_TZ).strftime("%Y-%m")
    empty = monthly_report(month).section("digest")
    assert empty.rows == [] and "flask chain digest" in empty.note
    digests.take_digest(_regulator(world), now=utcnow() - dt.timedelta(minutes=5))
    last = digests.take_digest(_regulator(world))
    db.session.commit()
    section = monthly_report(month).section("digest")
    assert len(section.rows) == 1
    cutoff, cylinders, count, text = section.rows[0]
    assert cutoff == digests.local_text(last.cutoff) and (cylinders, count) == (2, 5)
    assert digests.held_digest(text) == last.root
    assert "digest" not in [s.key for s in monthly_report(month, world.orgs["company"]).sections]


# --- API ---------------------------------------------------------------------------------

def test_the_api_takes_lists_checks_and_proves(api, world, registry, events):
    _district(registry, events)
    taken = api.post("/api/v1/chain/digests", world.regulator)
    assert taken.status_code == 201, taken.json
    assert taken.json["cylinders"] == 3 and len(taken.json["root"]) == 64
    assert taken.json["grouped"].replace(" ", "") == taken.json["root"]
    listed = api.get("/api/v1/chain/digests", world.regulator).json["items"]
    assert [d["id"] for d in listed] == [taken.json["id"]]
    check = api.get(f"/api/v1/chain/digests/{taken.json['id']}/check", world.regulator)
    assert check.status_code == 200 and check.json["matches"] is True

    body = {"cutoff": taken.json["cutoff"], "digest": taken.json["grouped"]}
    proof = api.post("/api/v1/chain/proofs", world.regulator, json=body)
    assert proof.status_code == 200 and proof.json["matches"] is True
    wrong = api.post("/api/v1/chain/proofs", world.regulator,
                     json={**body, "digest": ("1" if body["digest"][0] != "1" else "2")
                           + body["digest"][1:]})
    assert wrong.status_code == 200 and wrong.json["matches"] is False


def test_the_api_refuses_what_it_cannot_prove(api, world, registry, events):
    _district(registry, events, 1)
    soon = (utcnow() + dt.timedelta(minutes=1)).isoformat()
    cases = [({"cutoff": soon, "digest": "0" * 64}, 400, "cutoff_too_recent"),
             ({"cutoff": "2026-01-01T00:00:00+08:00", "digest": "xyz"}, 400, "invalid_digest"),
             ({"cutoff": "0001-01-01T00:00:00+08:00", "digest": "0" * 64}, 400,
              "invalid_cutoff"),
             ({"cutoff": "2026-01-01T00:00:00", "digest": "0" * 64}, 400, "validation_error"),
             ({"digest": "0" * 64}, 400, "validation_error")]
    for body, status, code in cases:
        resp = api.post("/api/v1/chain/proofs", world.regulator, json=body)
        assert resp.status_code == status, (body, resp.json)
        if code:
            assert resp.json["error"]["code"] == code
    assert api.get("/api/v1/chain/digests/999/check", world.regulator).status_code == 404
    taken = api.post("/api/v1/chain/digests", world.regulator).json["id"]
    for actor in (world.company_admin, world.station_a_admin, world.filler_a, world.inspector):
        assert api.post("/api/v1/chain/digests", actor).status_code == 403
        assert api.get("/api/v1/chain/digests", actor).status_code == 403
        assert api.get(f"/api/v1/chain/digests/{taken}/check", actor).status_code == 403
        assert api.post("/api/v1/chain/proofs", actor, json={
            "cutoff": "2026-01-01T00:00:00+08:00", "digest": "0" * 64}).status_code == 403
    assert api.post("/api/v1/chain/digests").status_code == 401


def test_a_retried_take_stores_one_digest(api, world, registry, events):
    _district(registry, events, 1)
    key = {"Idempotency-Key": "digest-2026-11-30"}
    first = api.post("/api/v1/chain/digests", world.regulator, headers=key)
    again = api.post("/api/v1/chain/digests", world.regulator, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert len(api.get("/api/v1/chain/digests", world.regulator).json["items"]) == 1


# --- page and command line ------------------------------------------------------------------

def test_the_page_takes_a_digest_and_proves_one_kept(browser, world, registry, events):
    codes = _district(registry, events)
    c = browser.as_user(world.regulator.id)
    page = c.get("/oversight/chain/").get_data(as_text=True)
    assert "链头摘要" in page and "还没有摘要" in page
    taken = c.post("/oversight/chain/")
    assert taken.status_code == 303
    page = c.get(taken.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="taken"' in page and "已生成摘要" in page
    root = db.session.scalar(select(ChainDigest.root))
    cutoff = db.session.scalar(select(ChainDigest.cutoff))
    text = digests.grouped(root)
    assert f"{text[:39]}<br>{text[40:]}" in page  # in two lines of eight groups, as printed

    printed = digests.local_text(cutoff)
    ok = c.get("/oversight/chain/", query_string={"cutoff": printed, "digest": root[:20]})
    assert ok.status_code == 200 and 'data-matches="yes"' in ok.get_data(as_text=True)
    assert "一致" in ok.get_data(as_text=True)

    cyl = db.session.scalar(select(Cylinder).where(Cylinder.code == codes[0]))
    first = cylinder_events(cyl.id)[0]
    first.place = "别处"
    db.session.commit()
    _rebuild_chain(cyl)
    bad = c.get("/oversight/chain/", query_string={"cutoff": printed, "digest": root})
    text = bad.get_data(as_text=True)
    assert 'data-matches="no"' in text and "不一致" in text and "改动" in text
    digest_id = db.session.scalar(select(ChainDigest.id))
    assert 'data-matches="no"' in c.get(f"/oversight/chain/?check={digest_id}").get_data(
        as_text=True)

    refused = c.get("/oversight/chain/", query_string={"cutoff": printed, "digest": "不是摘要"})
    assert refused.status_code == 400
    assert "请输入您保存的摘要" in refused.get_data(as_text=True)
    assert c.get("/oversight/chain/?check=abc").status_code == 400


def test_the_page_says_when_the_daily_digest_seems_to_have_stopped(browser, world, registry,
                                                                   events):
    _district(registry, events, 1)
    c = browser.as_user(world.regulator.id)
    assert 'data-testid="digest-overdue"' not in c.get("/oversight/chain/").get_data(
        as_text=True)  # none yet: the empty list says to take one
    old = digests.take_digest(_regulator(world), now=utcnow() - dt.timedelta(hours=37))
    db.session.commit()
    page = c.get("/oversight/chain/").get_data(as_text=True)
    assert 'data-testid="digest-overdue"' in page and "可能已停止运行" in page
    assert digests.local_text(old.taken_at) in page
    digests.take_digest(_regulator(world), now=utcnow() - dt.timedelta(hours=35))
    db.session.commit()
    assert 'data-testid="digest-overdue"' not in c.get("/oversight/chain/").get_data(
        as_text=True)


def test_the_page_is_the_regulators(browser, world):
    assert browser.as_user(world.company_admin.id).get("/oversight/chain/").status_code == 403
    assert browser.as_user(world.company_admin.id).post("/oversight/chain/").status_code in (
        303, 403)
    assert db.session.scalar(select(ChainDigest.id)) is None
    home = browser.as_user(world.regulator.id).get("/").get_data(as_text=True)
    assert "/oversight/chain/" in home


def test_the_commands_digest_check_and_prove(app, ctx, world, registry, events):
    codes = _district(registry, events, 2)
    runner = app.test_cli_runner()
    taken = runner.invoke(args=["chain", "digest"])
    assert taken.exit_code == 0, taken.output
    row = db.session.scalar(select(ChainDigest))
    assert digests.grouped(row.root) in taken.output and "cylinders 2, events 5" in taken.output
    assert runner.invoke(args=["chain", "check"]).exit_code == 0
    printed = digests.local_text(row.cutoff)
    proved = runner.invoke(args=["chain", "prove", "--cutoff", printed, "--digest", row.root])
    assert proved.exit_code == 0 and "MATCHES" in proved.output

    cyl = db.session.scalar(select(Cylinder).where(Cylinder.code == codes[1]))
    cylinder_events(cyl.id)[-1].lat = 1.0
    db.session.commit()
    _rebuild_chain(cyl)
    checked = runner.invoke(args=["chain", "check"])
    assert checked.exit_code == 1 and f"DIFFERS digest {row.id}" in checked.output
    proved = runner.invoke(args=["chain", "prove", "--cutoff", printed, "--digest", row.root])
    assert proved.exit_code == 1 and "DIFFERS" in proved.output
    assert runner.invoke(args=["chain", "prove", "--cutoff", "soon",
                               "--digest", row.root]).exit_code == 2
