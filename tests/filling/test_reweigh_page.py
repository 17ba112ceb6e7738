"""The filling page's re-weigh of held cylinders: the list, the form, its refusals, its scope."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select

from app.auth import services as auth
from app.database import utcnow
from app.extensions import db
from app.filling.services import cylinder_on_hold
from app.traceability.models import Event
from app.traceability.services import find_cylinder


class Browser:
    """One signed-in user's cookie session; each request in its own app context."""

    def __init__(self, app, user_id: int, lang: str | None = None) -> None:
        self.app = app
        self.client = app.test_client()
        with self.client.session_transaction() as sess:
            sess["_user_id"] = str(user_id)
            sess["_fresh"] = True
            if lang:
                sess["lang"] = lang

    def get(self, path: str):
        with self.app.app_context():
            return self.client.get(path)

    def reweigh(self, fill: str, mass: str, **extra: str):
        """Post the re-weigh form as the page sends it; the answer is not followed."""
        with self.app.app_context():
            return self.client.post("/filling", data={"fill": fill, "net_mass_kg": mass,
                                                      "event_id": str(uuid.uuid4()), **extra})


@pytest.fixture
def as_user(clean_app, world):
    return lambda name, lang=None: Browser(clean_app, world.users[name].id, lang)


def _overfill(station, registry, mass: float = 15.4, actor=None, owner="station_a", **body):
    cyl = registry.cylinder(owner=owner)  # YSP35.5: rated 14.9 kg
    resp = station.present(cyl["code"], actor, net_mass_kg=mass, **body)
    assert resp.status_code == 201 and resp.json["fill"]["on_hold"] is (mass > 14.9), resp.json
    return cyl, resp.json["fill"]["event_id"]


def _held_codes(html: str) -> list[str]:
    return re.findall(r'data-testid="held-code">([^<]+)<', html)


def _item(html: str, fill: str) -> str:
    """The list item of one held fill, as the page renders it."""
    match = re.search(rf'<li class="held-item" id="held-{fill}".*?</li>', html, re.S)
    assert match, f"fill {fill} is not listed"
    return match.group(0)


def _reweighs() -> int:
    db.session.rollback()  # end the test's read snapshot: the requests committed elsewhere
    return db.session.scalar(select(func.count()).select_from(Event)
                             .where(Event.type == "reweighed"))


def test_the_list_holds_this_stations_overfills_of_any_day_newest_first(
        as_user, registry, station, world):
    yesterday = (utcnow() - dt.timedelta(days=1)).isoformat()
    old, old_id = _overfill(station, registry, 15.1, occurred_at=yesterday)
    first, first_id = _overfill(station, registry, 15.4)
    second, _ = _overfill(station, registry, 16.2)
    normal, _ = _overfill(station, registry, 14.2)
    rival, _ = _overfill(station, registry, 15.8, world.filler_b, owner="station_b")
    shared = registry.cylinder(owner="company")  # entrusted to both: B fills, then A overfills
    for name in ("station_a", "station_b"):
        assert station.entrust(station=name).status_code == 201
    assert station.present(shared["code"], world.filler_b, net_mass_kg=14.0).status_code == 201
    assert station.present(shared["code"], net_mass_kg=15.0).json["fill"]["on_hold"] is True

    page = as_user("filler_a").get("/filling")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "待复称" in html
    assert _held_codes(html) == [shared["display_code"], second["display_code"],
                                 first["display_code"], old["display_code"]]
    item = _item(html, first_id)
    assert "YSP35.5" in item and "充装 15.4 千克，额定 14.9 千克" in item
    assert 'name="net_mass_kg"' in item and 'inputmode="decimal"' in item
    assert 'name="csrf_token"' in item
    today = html.split('data-testid="today"', 1)[1]
    assert old["display_code"] not in today  # yesterday's fill is held, not today's work
    assert _held_codes(as_user("filler_a").get("/filling/held").get_data(as_text=True)) == \
        _held_codes(html)  # the fragment the page refreshes after an overfill
    rival_page = as_user("filler_b").get("/filling").get_data(as_text=True)
    assert _held_codes(rival_page) == [rival["display_code"]]  # not its earlier fill of shared
    assert normal["display_code"] not in _held_codes(html)
    assert old_id in html


def test_within_the_rated_mass_the_hold_is_lifted_and_the_item_leaves(
        as_user, registry, station):
    cyl, fill = _overfill(station, registry)
    filler = as_user("filler_a")
    resp = filler.reweigh(fill, "14.8")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/filling")
    html = filler.get("/filling").get_data(as_text=True)
    assert 'data-testid="flash-ok"' in html
    assert f"{cyl['display_code']} 复称 14.8 千克，未超过额定 14.9 千克：已解除扣留。" in html
    assert cyl["display_code"] not in _held_codes(html)
    assert _reweighs() == 1
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is False
    assert station.present(cyl["code"]).status_code == 201


def test_above_the_rated_mass_it_stays_held_and_the_page_says_so(as_user, registry, station):
    cyl, fill = _overfill(station, registry, 16.0)
    filler = as_user("filler_a")
    assert filler.reweigh(fill, "15.2").status_code == 303
    html = filler.get("/filling").get_data(as_text=True)
    assert 'data-testid="flash-warn"' in html
    assert "仍超过额定 14.9 千克：继续扣留" in html
    assert "上次复称 15.2 千克，仍超装" in _item(html, fill)
    assert station.reasons(station.present(cyl["code"])) == ["overfill_hold"]
    assert filler.reweigh(fill, "14.9").status_code == 303  # the rated mass itself is within
    assert cyl["display_code"] not in _held_codes(filler.get("/filling").get_data(as_text=True))


@pytest.mark.parametrize("mass", ["", "abc", "0", "-1", "0.0", "500.1", "1e400", "nan", "inf",
                                  "１５,２"])
def test_a_bad_mass_is_refused_beside_the_item_and_writes_nothing(
        as_user, registry, station, mass):
    cyl, fill = _overfill(station, registry)
    resp = as_user("filler_a").reweigh(fill, mass)
    assert resp.status_code == 400
    item = _item(resp.get_data(as_text=True), fill)
    assert 'data-testid="reweigh-error"' in item
    assert "请填写电子秤净重（千克）：大于 0、不超过 500 的数字。" in item
    assert f'value="{mass}"' in item  # what was typed comes back to be corrected
    assert _reweighs() == 0
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is True


def test_refusals_follow_the_readers_language(as_user, registry, station):
    _cyl, fill = _overfill(station, registry)
    resp = as_user("filler_a", "en").reweigh(fill, "-3")
    assert resp.status_code == 400
    assert ("Enter the scale's net mass in kg: a number above 0 and at most 500."
            in _item(resp.get_data(as_text=True), fill).replace("&#39;", "'"))


def test_a_fill_that_is_not_held_is_refused(as_user, registry, station):
    cyl, fill = _overfill(station, registry, 14.0)
    resp = as_user("filler_a").reweigh(fill, "14.0")
    assert resp.status_code == 409
    assert "该气瓶没有因超装被扣留，无需复称。" in resp.get_data(as_text=True)
    assert _reweighs() == 0
    assert station.present(cyl["code"]).status_code == 201


def test_a_double_tap_records_one_reweigh(as_user, registry, station):
    _cyl, fill = _overfill(station, registry)
    filler, tap = as_user("filler_a"), str(uuid.uuid4())
    first, second = (filler.reweigh(fill, "14.5", event_id=tap) for _ in range(2))
    assert first.status_code == second.status_code == 303
    assert "已解除扣留" in filler.get("/filling").get_data(as_text=True)
    assert _reweighs() == 1


def test_another_stations_fill_is_not_found(as_user, registry, station):
    cyl, fill = _overfill(station, registry)
    rival = as_user("filler_b")
    resp = rival.reweigh(fill, "14.5")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "本站没有这条充装记录。" in html and 'data-testid="code-input"' in html
    assert cyl["display_code"] not in html  # the refusal names nothing of the other station
    for bad in ("not-a-uuid", str(uuid.uuid4()), ""):
        resp = as_user("filler_a").reweigh(bad, "14.5")
        assert resp.status_code == 404 and "本站没有这条充装记录。" in resp.get_data(as_text=True)
    assert _reweighs() == 0
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is True


def test_only_the_stations_fillers_may_reweigh(as_user, clean_app, registry, station, world):
    cyl, fill = _overfill(station, registry)
    for name in ("driver", "company_admin", "station_a_admin", "regulator"):
        user = as_user(name)
        assert user.reweigh(fill, "14.5").status_code == 403, name
        assert user.get("/filling/held").status_code == 403, name
    org = auth.create_org("北郊充装站", "filling_station")
    stranger = auth.create_user(None, "north_admin", org.id, "admin")
    db.session.commit()
    assert Browser(clean_app, stranger.id).reweigh(fill, "14.5").status_code == 403
    anonymous = clean_app.test_client().post("/filling", data={"fill": fill,
                                                                "net_mass_kg": "14.5"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _reweighs() == 0
    assert cylinder_on_hold(find_cylinder(cyl["code"])) is True
