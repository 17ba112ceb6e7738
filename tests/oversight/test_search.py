"""Search through the API: every filter, paging, mistyped codes, and who may search what."""
from __future__ import annotations

import datetime as dt

from app.clock import DISTRICT_TZ
from app.database import utcnow
from app.oversight.search import one_edit_variants
from app.traceability.codes import is_valid
from tests.oversight.conftest import BASE


def _codes(resp):
    assert resp.status_code == 200, resp.json
    return {c["code"] for c in resp.json["items"]}


def test_filters(api, registry, world, events):
    a = registry.cylinder(manufacturer="甲厂", model="YSP118", manufactured_on="2020-01-01")
    b = registry.cylinder(manufacturer="乙厂", manufactured_on="2020-06-01",
                          last_inspected_on="2021-01-01")
    c = registry.cylinder(owner="station_b")
    events.fill(a["code"], "filler_a", at=BASE)
    events.fill(b["code"], "filler_b", at=BASE)
    events.deliver(b["code"], 777, driver_id=42, at=BASE + dt.timedelta(days=1))
    api.post(f"/api/v1/cylinders/{c['code']}/seize", world.regulator, json={"note": "x"})
    get = lambda q: _codes(api.get(f"/api/v1/cylinders?{q}", world.regulator))  # noqa: E731
    assert get("manufacturer=甲厂") == {a["code"]}
    assert get("model=YSP118") == {a["code"]}
    assert get(f"serial_no={b['serial_no']}") == {b["code"]}
    assert get(f"owner_org_id={world.orgs['station_b']}") == {c["code"]}
    assert get(f"station_org_id={world.orgs['station_b']}") == {b["code"]}
    assert get(f"customer_id={events.customer(777)}") == {b["code"]}
    assert get(f"driver_id={events.driver(42)}") == {b["code"]}
    assert get("customer_id=778") == set()
    assert get("status=seized") == {c["code"]}
    assert get("status=inspection_overdue") == {b["code"]}
    assert get("status=in_service") == {a["code"]}
    assert get("flag=blacklisted") == set()
    assert get("made_from=2020-01-01&made_to=2020-03-31") == {a["code"]}
    assert get("due_to=2025-12-31") == {b["code"]}
    # registration is the last event of each, stamped with the real clock; days are the district's
    now = utcnow().astimezone(DISTRICT_TZ).date()
    assert get(f"seen_from={now}&seen_to={now}") == {a["code"], b["code"], c["code"]}
    assert get(f"seen_to={now - dt.timedelta(days=1)}") == set()
    assert get(f"code={a['code'][:6]}") == {a["code"]}


def test_paging_and_totals(api, registry, world):
    made = [registry.cylinder()["code"] for _ in range(5)]
    first = api.get("/api/v1/cylinders?per_page=2", world.regulator).json
    assert first["total"] == 5 and not first["total_capped"] and len(first["items"]) == 2
    seen = set()
    for page in (1, 2, 3):
        seen |= _codes(api.get(f"/api/v1/cylinders?per_page=2&page={page}", world.regulator))
    assert seen == set(made)


def test_a_scanned_payload_or_a_full_width_serial_finds_the_cylinder(api, registry, world):
    from urllib.parse import quote

    cyl = registry.cylinder()
    registry.cylinder()
    get = lambda q: _codes(api.get(f"/api/v1/cylinders?{q}", world.regulator))  # noqa: E731
    assert get(f"code={quote(cyl['payload'])}") == {cyl["code"]}  # a wedge scanner's text
    assert get(f"code={quote('https://elsewhere.example/c/' + cyl['code'])}") == set()
    assert get("code=_") == set() and get(f"code={quote('-- --')}") == set()
    wide = cyl["serial_no"].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert get(f"serial_no={quote(wide)}") == {cyl["code"]}


def test_a_mistyped_code_suggests_the_nearest_codes(api, registry, world):
    code = registry.cylinder()["code"]
    registry.cylinder()
    typo = code[:5] + ("A" if code[5] != "A" else "B") + code[6:]
    assert not is_valid(typo)  # one wrong character never passes the mod-37 check
    assert code in one_edit_variants(typo)
    resp = api.get(f"/api/v1/cylinders?code={typo}", world.regulator).json
    assert resp["items"] == [] and resp["suggestions"][0] == code
    i = next(i for i in range(15) if code[i] != code[i + 1])
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
    resp = api.get(f"/api/v1/cylinders?code={swapped}", world.regulator).json
    assert code in resp["suggestions"]


def test_search_refuses_bad_filters(api, world):
    for query in ("status=happy", "flag=nope", "made_from=yesterday", "per_page=1000",
                  "page=0", "owner_org_id=x"):
        resp = api.get(f"/api/v1/cylinders?{query}", world.regulator)
        assert resp.status_code == 400 and resp.json["error"]["code"] == "validation_error"


def test_who_may_search(api, registry, world):
    own = registry.cylinder(owner="company")["code"]
    other = registry.cylinder(owner="station_b")["code"]
    assert _codes(api.get("/api/v1/cylinders", world.inspector)) == {own, other}
    # a unit's admin searches only its own cylinders, whatever filter it sends
    scoped = api.get(f"/api/v1/cylinders?owner_org_id={world.orgs['station_b']}",
                     world.company_admin)
    assert _codes(scoped) == set()
    assert _codes(api.get("/api/v1/cylinders", world.company_admin)) == {own}
    for actor in (world.filler_a, world.driver, world.printer):
        assert api.get("/api/v1/cylinders", actor).status_code == 403
    assert api.get("/api/v1/cylinders").status_code == 401


def test_seen_dates_are_the_districts_days(api, registry, world, events):
    """A regulator's "seen on 10 March" is the district's 10 March, not UTC's (8 hours apart)."""
    from sqlalchemy import update

    from app.extensions import db
    from app.oversight.models import CylinderTrace

    late, early = registry.cylinder()["code"], registry.cylinder()["code"]
    for code in (late, early):  # as if registered before March, so March's events move it
        db.session.execute(update(CylinderTrace).values(
            last_event_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), last_seen_on=None).where(
            CylinderTrace.cylinder_id == events.cylinder(code).id))
    db.session.commit()
    events.fill(late, at=dt.datetime(2026, 3, 9, 16, 30, tzinfo=dt.UTC))  # 00:30 on the 10th
    events.fill(early, at=dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC))  # 23:30 on the 10th
    get = lambda q: _codes(api.get(f"/api/v1/cylinders?{q}", world.regulator))  # noqa: E731
    assert get("seen_from=2026-03-10&seen_to=2026-03-10") == {late, early}
    assert get("seen_from=2026-03-09&seen_to=2026-03-09") == set()
    assert get("seen_from=2026-03-11&seen_to=2026-03-11") == set()
    assert get("seen_from=2026-03-10") >= {late, early}
    assert get("seen_to=2026-03-10") == {late, early}


def test_suggestions_name_only_codes_the_searcher_may_see(api, registry, world):
    own = registry.cylinder(owner="company")["code"]
    other = registry.cylinder(owner="station_b")["code"]

    def typo(code: str) -> str:
        return code[:5] + ("A" if code[5] != "A" else "B") + code[6:]

    def suggested(actor, typed: str) -> list[str]:
        resp = api.get(f"/api/v1/cylinders?code={typed}", actor)
        assert resp.status_code == 200 and resp.json["items"] == [], resp.json
        return resp.json["suggestions"]

    # a regulator is offered the nearest codes of any unit
    assert other in suggested(world.regulator, typo(other))
    # a company admin: its own codes, never another unit's (its search cannot find them)
    assert own in suggested(world.company_admin, typo(own))
    assert other not in suggested(world.company_admin, typo(other))
    assert other not in suggested(world.company_admin, other[:4])


def test_serial_numbers_and_manufacturers_are_found_however_they_are_typed(api, registry,
                                                                           world):
    """A stamped serial 'LC2024A001' typed 'lc2024a001' found nothing (the search compared
    exactly), and a manufacturer was found only by its whole registered name. Now a serial
    matches in any case, and a manufacturer by any part of its name, in any case."""
    from urllib.parse import quote

    cyl = registry.cylinder(serial_no="LC2024a001", manufacturer="Hebei Baigong 百工容器有限公司")
    registry.cylinder(serial_no="LC2024A0011", manufacturer="石家庄安瑞")
    get = lambda q: _codes(api.get(f"/api/v1/cylinders?{q}", world.regulator))  # noqa: E731
    for typed in ("LC2024a001", "lc2024a001", "LC2024A001", "ｌｃ2024Ａ001", " lc2024A001 "):
        assert get(f"serial_no={quote(typed)}") == {cyl["code"]}, typed
    assert get("serial_no=LC2024") == set()  # a serial number is matched whole
    for typed in ("百工", "hebei", "BAIGONG 百工", "Hebei Baigong 百工容器有限公司", "ｈｅｂｅｉ"):
        assert get(f"manufacturer={quote(typed)}") == {cyl["code"]}, typed
    assert get("manufacturer=%25") == set() and get("manufacturer=_") == set()  # no wildcards
    page = api.get("/oversight/search?manufacturer=baigong", world.regulator,
                   headers={"Accept": "text/html"})
    assert page.status_code == 200 and cyl["code"] in page.get_data(as_text=True)
