"""The entrustments page: an owner's admin entrusts its cylinders to a station, sees them in
force, coming and past, and revokes one; refusals come back in the form with what was chosen,
nothing is written; another organisation's entrustments are neither listed nor revocable; the
station sees who entrusted cylinders to it (its admin on this page, its fillers at the scale)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.filling.models import Entrustment
from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture

PAGE = "/entrustments"


def _count() -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count()).select_from(Entrustment))


def _row(html: str, row_id: int) -> str:
    return html.split(f'data-testid="entrustment-{row_id}">')[1].split("</li>")[0]


def _section(html: str, title: str) -> str:
    """The part of the page under a heading, up to the next heading."""
    return re.split(r"<h2|<summary", html.split(f"{title}")[1], maxsplit=1)[0]


def _form(world, station="station_b", valid_from="2026-06-15", valid_to="2026-12-31",
          **extra):
    return {"station_org_id": world.orgs.get(station, station),
            "valid_from": valid_from, "valid_to": valid_to, **extra}


def _entrust(api, world, owner="company", station="station_a", valid_from="2026-01-01",
             valid_to="2026-12-31") -> int:
    resp = api.post("/api/v1/entrustments", world.regulator, json={
        "owner_org_id": world.orgs[owner], "station_org_id": world.orgs[station],
        "valid_from": valid_from, "valid_to": valid_to})
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def test_an_owners_admin_entrusts_its_cylinders(as_user, world, api):  # noqa: F811
    admin = as_user("company_admin")
    page = admin.get(PAGE)
    assert page.status_code == 200 and 'href="/entrustments"' in page.text  # in the nav
    assert 'name="owner_org_id"' not in page.text  # an admin entrusts its own cylinders
    stations = set(re.findall(r'<option value="(\d+)"', page.text))
    assert stations == {str(world.orgs["station_a"]), str(world.orgs["station_b"])}  # not itself
    assert 'value="2026-06-15"' in page.text  # the first day starts as today
    done = admin.post(PAGE, data=_form(world, owner_org_id=world.orgs["station_a"]))
    assert "已托管给南郊充装站：2026-06-15 至 2026-12-31。" in done.text
    [row] = api.get("/api/v1/entrustments", world.company_admin).json
    assert (row["owner_org_id"], row["station_org_id"]) == (world.orgs["company"],
                                                            world.orgs["station_b"])
    assert "生效中" in _row(_section(done.text, "今日生效"), row["id"])


def test_in_force_coming_and_past_ones_are_listed_apart(as_user, world, api):  # noqa: F811
    current = _entrust(api, world, valid_from="2026-06-15", valid_to="2026-06-15")
    coming = _entrust(api, world, valid_from="2026-06-16", valid_to="2026-07-31")
    ended = _entrust(api, world, valid_from="2026-01-01", valid_to="2026-06-14")
    revoked = _entrust(api, world, station="station_b")
    api.post(f"/api/v1/entrustments/{revoked}/revoke", world.company_admin)
    html = as_user("company_admin").get(PAGE).text
    assert [f"entrustment-{current}"] == re.findall(r"entrustment-\d+", _section(html, "今日生效"))
    assert [f"entrustment-{coming}"] == re.findall(r"entrustment-\d+", _section(html, "即将生效"))
    past = html.split("已到期或已撤销")[1]
    assert "已到期" in _row(past, ended) and "已撤销" in _row(past, revoked)
    assert "company_admin" in _row(past, revoked)  # who revoked it
    assert 'data-testid="revoke-' not in past  # nothing left to revoke there
    assert f'data-testid="revoke-{current}"' in html and f'data-testid="revoke-{coming}"' in html
    assert "南郊充装站" in _row(past, revoked) and "第一充装站" in _row(html, current)


REFUSALS = [
    # (form changes, status, message)
    ({"valid_to": "2026-06-01", "valid_from": "2026-06-30"}, 400, "最后一天早于第一天。"),
    ({"valid_to": "2026-02-30"}, 400, "请填写第一天和最后一天的日期。"),
    ({"valid_from": ""}, 400, "请填写第一天和最后一天的日期。"),
    # the company's admin chooses no owner: the refusal names the station alone
    ({"station": ""}, 400, "请从列表中选择站点。"),
    ({"station": "99999"}, 400, "请从列表中选择站点。"),
    ({"station": "agency"}, 400, "所选单位不从事气瓶充装。"),  # a forged choice
    ({"station": "company"}, 403, "站点不能将气瓶托管给自己。"),  # a forged choice
    ({"valid_from": "2026-12-31", "valid_to": "2027-03-31"}, 409,
     "这些气瓶已托管给该站点，与所选期间部分重叠（2026-01-01 至 2026-12-31）；"
     "请先撤销该托管，或另选日期。"),
]


@pytest.mark.parametrize(("changes", "status", "message"), REFUSALS)
def test_refusals_are_shown_in_the_form_with_the_choices_kept(as_user, world, api,  # noqa: F811
                                                              changes, status, message):
    _entrust(api, world, station="station_b")  # 2026-01-01 to 2026-12-31
    before = _count()
    form = _form(world, **changes)
    resp = as_user("company_admin").send(PAGE, data=form)
    assert resp.status_code == status
    assert resp.text.split('data-testid="entrust-error">')[1].split("<")[0] == message
    for name in ("valid_from", "valid_to"):
        assert re.search(rf'name="{name}"[^>]*value="{form[name]}"', resp.text), name
    chosen = re.search(r'<option value="(\d+)" selected>', resp.text)
    offered = str(form["station_org_id"]) in re.findall(r'<option value="(\d+)"', resp.text)
    assert (chosen[1] if chosen else None) == (str(form["station_org_id"]) if offered else None)
    assert _count() == before


def test_a_station_cannot_entrust_to_itself_and_oversight_chooses_the_owner(as_user,  # noqa: F811
                                                                            world):
    resp = as_user("station_a_admin").send(PAGE, data=_form(world, station="station_a"))
    assert resp.status_code == 403 and "站点不能将气瓶托管给自己。" in resp.text
    regulator = as_user("regulator")
    resp = regulator.send(PAGE, data=_form(world, owner_org_id=""))
    assert resp.status_code == 400 and "请从列表中选择产权单位和站点。" in resp.text
    resp = regulator.send(PAGE, data=_form(world, owner_org_id=world.orgs["station_b"]))
    assert resp.status_code == 400 and "产权单位充装自有气瓶无需托管。" in resp.text
    resp = regulator.send(PAGE, data=_form(world, valid_to="2026-01-01",
                                           owner_org_id=world.orgs["company"]))
    kept = re.findall(r'<option value="(\d+)" selected>', resp.text)
    assert kept == [str(world.orgs["company"]), str(world.orgs["station_b"])]
    assert _count() == 0
    done = regulator.post(PAGE, data=_form(world, owner_org_id=world.orgs["station_a"]))
    assert 'data-testid="flash-ok"' in done.text and "第一充装站" in done.text
    assert _count() == 1


def test_the_owner_revokes_and_a_second_revocation_keeps_the_first(as_user, world,  # noqa: F811
                                                                   api):
    row_id = _entrust(api, world)
    admin = as_user("company_admin")
    done = admin.post(f"{PAGE}/{row_id}/revoke")
    assert "对第一充装站的托管已于" in done.text and "由company_admin撤销" in done.text
    first = api.get("/api/v1/entrustments", world.company_admin).json[0]["revoked_at"]
    assert first is not None
    again = as_user("regulator").post(f"{PAGE}/{row_id}/revoke")
    assert "由company_admin撤销" in again.text
    assert api.get("/api/v1/entrustments", world.company_admin).json[0]["revoked_at"] == first


def test_another_organisations_entrustment_is_neither_listed_nor_revocable(as_user,  # noqa: F811
                                                                           world, api):
    theirs = _entrust(api, world, owner="station_b", station="station_a")
    company = as_user("company_admin")
    assert f"entrustment-{theirs}" not in company.get(PAGE).text
    assert company.send(f"{PAGE}/{theirs}/revoke").status_code == 404
    assert company.send(f"{PAGE}/2000000000/revoke").status_code == 404
    # the station it entrusts sees it, read-only, and may not revoke it
    station = as_user("station_a_admin")
    page = station.get(PAGE)
    received = page.text.split('data-testid="received"')[1]
    assert f'data-testid="received-{theirs}"' in received and "南郊充装站" in received
    assert f"revoke-{theirs}" not in page.text and f"entrustment-{theirs}" not in page.text
    assert station.send(f"{PAGE}/{theirs}/revoke").status_code == 403
    assert api.get("/api/v1/entrustments", world.regulator).json[0]["revoked_at"] is None


@pytest.mark.parametrize("name", ["filler_a", "driver", "inspector", "printer"])
def test_other_roles_are_refused(as_user, world, api, name):  # noqa: F811
    row_id = _entrust(api, world)
    user = as_user(name)
    assert user.get(PAGE).status_code == 403
    assert user.send(PAGE, data=_form(world)).status_code == 403
    assert user.send(f"{PAGE}/{row_id}/revoke").status_code == 403
    assert _count() == 1
    assert api.get("/api/v1/entrustments", world.regulator).json[0]["revoked_at"] is None


def test_the_filling_page_names_the_owners_entrusting_the_station_today(as_user, world,  # noqa: F811
                                                                         api):
    _entrust(api, world, station="station_a")
    _entrust(api, world, owner="station_b", station="station_a", valid_from="2026-06-16")
    line = 'data-testid="entrusting">'
    shown = as_user("filler_a").get("/filling").text.split(line)[1].split("</p>")[0]
    assert shown == "今日托管给本站的产权单位： 莲池燃气公司"  # tomorrow's owner not yet
    shown = as_user("filler_b").get("/filling").text.split(line)[1].split("</p>")[0]
    assert shown == "今日托管给本站的产权单位： 无"


def test_refusals_speak_the_readers_language(clean_app, world, api):
    _entrust(api, world, station="station_b")
    admin = SignedIn(clean_app, world.company_admin.id)
    with admin.client.session_transaction() as sess:
        sess["lang"] = "en"
    resp = admin.send(PAGE, data=_form(world, valid_from="2026-03-01", valid_to="2026-03-31"))
    assert resp.status_code == 409
    assert ("An entrustment of these cylinders to this station already covers part of this "
            "period (2026-01-01 to 2026-12-31)") in resp.text
    assert "Ended or revoked" in resp.text
