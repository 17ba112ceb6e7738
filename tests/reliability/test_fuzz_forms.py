"""Fuzzing of every server-rendered form a user can reach (the API has test_fuzz_api.py).

For each of the demo's roles (and an anonymous visitor), the pages of its navigation, the
sign-in page and a cylinder's public page are opened, with the pages they link to (search
forms submitted); every `<form method=post>` found there (forms.py: nothing is listed by
hand, so pages merged later are covered) is filled in as a careful user would, then posted
with each field in turn replaced by a hostile value (form_cases.py), with hostile files in a
file field, with a field missing, in bodies no browser sends, as rendered (CSRF token
included), with unknown and repeated fields and with random text (hypothesis); each search
form gets the hostile values too. Then the pages, and the files they link to, are opened
again with what was stored, and forms that appear only now get the same round. Whatever is
sent: never a 5xx, never a traceback or the fuzzer's markup as markup in a page, and a
refused post (a 4xx, or a page that flashes a refusal) leaves every table's row count as it
was. `FORM_FUZZ_EXAMPLES` sets the random texts per role and round (40); they are the same
on every run unless `FORM_FUZZ_RANDOM=1` asks for new ones.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.auth.models import Organisation
from app.extensions import db
from app.web.nav import nav_for
from tests.reliability.district import District
from tests.reliability.form_cases import Filler, Fuzzer
from tests.reliability.forms import Browser, crawl

pytestmark = pytest.mark.slow
# the demo's roles: a platform admin, a regulator, a gas company's admin, a station's filler,
# a driver, an inspector, a print shop, and anyone who scans a code
ROLES = ("anonymous", "admin", "regulator", "company_admin", "filler_a", "driver", "inspector",
         "printer")
CODES_PER_OWNER = 120


@pytest.fixture
def unhandled(clean_app: Any) -> Iterator[list[str]]:
    """The app's logged errors with their exception and where it was raised, to reproduce."""
    errors: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.exc_info[1] is not None:
                exc, tb = record.exc_info[1], record.exc_info[2]
                while tb is not None and tb.tb_next is not None:
                    tb = tb.tb_next
                where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
                errors.append(f"{type(exc).__name__}: {str(exc)[:300]} at {where}")

    handler = Keep(level=logging.ERROR)
    clean_app.logger.addHandler(handler)
    yield errors
    clean_app.logger.removeHandler(handler)


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Password hashes of one round: the forms are under test here, not scrypt's cost."""
    from app.auth import services

    monkeypatch.setattr(services, "generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1"))
    monkeypatch.setattr(services, "_DUMMY_HASH", [])


@pytest.fixture
def district(world: Any, registry: Any) -> District:
    """The authorisation matrix's district, with an assignment that has not started (its
    page, where it can still be changed or deleted, is linked from the assignments page)."""
    made = District(world, registry)
    made.new_assignment()
    return made


def foreign_ids(district: District) -> dict[str, str]:
    """Ids of a second gas company's objects, for fields that name an object; '*' for others."""
    api, admin = district.api, district.company_other["admin"]
    vehicle = api.post("/api/v1/vehicles", admin, json={
        "plate": "冀F99999", "permit_no": "B-1", "permit_expires_on": "2027-01-01"})
    area = api.post("/api/v1/areas", admin, json={"name": "他区", "polygon": [
        [115.6, 38.8], [115.7, 38.8], [115.7, 38.9]]})
    assert vehicle.status_code == 201 and area.status_code == 201, (vehicle.json, area.json)
    ids = {"vehicle_id": vehicle.json["id"], "area_id": area.json["id"],
           "driver_id": district.company_other["driver"].id,
           "user_id": district.company_other["admin"].id,
           "owner_org_id": district.orgs["company_b"], "org_id": district.orgs["company_b"]}
    return {**{k: str(v) for k, v in ids.items()}, "*": str(vehicle.json["id"])}


def code_pools(district: District) -> dict[str, list[str]]:
    """Issued codes of every organisation that owns cylinders, for the registration form."""
    owners = db.session.scalars(select(Organisation.id).where(
        Organisation.kind.in_(("gas_company", "filling_station")))).all()
    pools = {}
    for org_id in owners:
        resp = district.api.post("/api/v1/code-batches", district.world.regulator,
                                 json={"count": CODES_PER_OWNER, "owner_org_id": org_id})
        assert resp.status_code == 201, resp.json
        pools[str(org_id)] = [c["code"] for c in resp.json["codes"]]
    return pools


def seeds(app: Any, role: str | None, code: str) -> list[str]:
    """Where a user starts: the home page, the navigation, sign-in and a cylinder's QR page."""
    with app.test_request_context():
        nav = [url_for(item.endpoint) for item in nav_for(role)]
    return ["/", *nav, "/login", f"/c/{code}"]


@pytest.mark.parametrize("who", ROLES)
def test_forms_survive_hostile_input(clean_app, district, unhandled, cheap_hashes, monkeypatch,
                                     who):
    actor = None if who == "anonymous" else district.world.users[who]
    foreign, pools = foreign_ids(district), code_pools(district)
    monkeypatch.setitem(clean_app.config, "WTF_CSRF_ENABLED", True)  # forms as in production
    browser = Browser(clean_app, actor.id if actor else None)
    filler = Filler(actor.org_id if actor else None, pools, district.batch_codes)
    fuzzer = Fuzzer(clean_app, browser, who, filler, unhandled)
    seen: set[tuple] = set()
    found = crawl(browser, seeds(clean_app, actor.role if actor else None,
                                 district.cylinder_code), district.cylinder_code, seen=seen)
    fuzzer.crawled(found)
    assert fuzzer.mine(found), f"{who} reached no form of its own: {found.pages}"
    fuzzer.round(found, foreign)
    # What the hostile posts stored is shown, exported and reported again, and forms that
    # appear only now (bring back what was retired, verify what was rectified) get a round.
    again = crawl(browser, list(found.pages), district.cylinder_code, downloads=True,
                  seen=seen)
    fuzzer.crawled(again)
    fuzzer.round(again, foreign)
    assert not fuzzer.problems, "\n".join(fuzzer.problems)
    assert fuzzer.refusals > 0  # the cases reached the forms and their refusals were checked
