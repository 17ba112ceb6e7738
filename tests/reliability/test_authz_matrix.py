"""The authorisation matrix: every route x every role x own or another organisation.

Three properties, each over every route the app has (so domains merged later are covered):
1. each role is admitted or refused exactly as the documented role table (docs/roles.md) says;
2. for every route that names an object, a user of another organisation gets exactly the
   answer a non-existent object gets (existence stays private, nothing is written), while
   its own organisation, and oversight, are served;
3. no answer to another organisation's user, on any GET route, carries the canaries planted
   in station A's data (serial numbers, registration numbers, codes, people's names).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import ROLES, ApiToken, User
from app.auth.policy import access_for
from app.extensions import db
from app.traceability.models import Cylinder, Flag
from tests.reliability.district import District, missing

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
JSON = {"Accept": "application/json"}
OVERSIGHT = ("regulator", "inspector")
# Path parameters that name no organisation's object (the rule table, a file format, a
# language, a chain digest of the whole district, which only regulators reach): not part of
# the own/other check.
NOT_OWNED = {"model", "fmt", "lang_code", "digest_id"}


# a reason, so that label downloads after the first one (reprints) are answered too
QUERY = "?reason=authz-matrix"
# Valid bodies for writes, so that the organisation check is reached, not the validation.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/code-batches/<int:batch_id>/assign"): {"printer_org_id": 0},
    ("POST", "/api/v1/code-batches/<int:batch_id>/status"): {"status": "delivered"},
    ("POST", "/api/v1/flags/<int:flag_id>/resolve"): {"note": "authz matrix"},
    ("POST", "/api/v1/fillings/<event_id>/reweigh"): {"net_mass_kg": 14.5},
    ("POST", "/api/v1/hazards/<int:hazard_id>/rectify"): {"evidence": "authz matrix"},
    ("POST", "/api/v1/assignments/<int:assignment_id>/end"): {
        "ends_on": "2026-07-31", "reason": "authz matrix"},
    ("PUT", "/api/v1/drivers/<int:driver_id>/certificate"): {
        "certificate_no": "MATRIX-1", "certificate_expires_on": "2030-01-01"},
    ("POST", "/api/v1/public-reports/<int:report_id>/close"): {"note": "authz matrix"},
    ("PATCH", "/api/v1/users/<int:user_id>"): {"active": False},
}


def documented_table() -> dict[tuple[str, str], str]:
    """Read docs/roles.md: (path, method) -> who."""
    table = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `([^`]+)` \| (\w+) \| ([^|]+) \| ([^|]+) \|", line)
        if match:
            table[(match[1], match[2])] = match[4].strip()
    return table


def admitted(who: str, role: str) -> bool:
    return who in ("public", "any signed-in user") or role in [w.strip() for w in who.split(",")]


@pytest.fixture
def district(world, registry) -> District:
    return District(world, registry)


def _params(rule: Any) -> list[tuple[str, str]]:
    """(name, converter) of a rule's variables, in order."""
    return [(name, type(conv).__name__) for name, conv in rule._converters.items()]


def _fill(rule: Any, values: dict[str, str]) -> str:
    path = rule.rule
    for name, _conv in _params(rule):
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", values[name], path)
    return path


def _kind(conv: str) -> str:
    return "int" if conv in ("IntegerConverter", "IdConverter") else "str"


def _object_routes(app: Any) -> list[tuple[Any, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            access = access_for(app, rule.endpoint, method)
            if access is not None and not access.public:
                routes.append((rule, method))
    return routes


def _owned(rule: Any) -> list[str]:
    return [n for n, _c in _params(rule) if n not in NOT_OWNED
            and not (n == "code" and rule.rule.startswith("/lang/"))]


def _answer(resp: Any) -> tuple[int, str | None]:
    body = resp.json if resp.is_json else None
    return resp.status_code, (body.get("error", {}).get("code")
                              if isinstance(body, dict) else None)


def test_roles_are_admitted_exactly_as_documented(clean_app, district):
    table = documented_table()
    checked = 0
    for rule in clean_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            who = table.get((rule.rule, method))
            assert who is not None, f"{method} {rule.rule} is missing from docs/roles.md"
            values = {name: missing(name, _kind(conv)) for name, conv in _params(rule)}
            if "fmt" in values:
                values["fmt"] = "png"
            path = _fill(rule, values)
            for role in ROLES:
                actor = district.own.get(role) or district.world.company_admin
                resp = district.api.call(method, path, actor, json={}, headers=JSON)
                refused = _answer(resp) == (403, "role_forbidden")
                assert refused == (not admitted(who, role)), (method, path, role, who, resp.json)
                checked += 1
    assert checked > 150


def test_every_object_route_is_in_the_matrix(clean_app, district):
    known = set(district.objects(fresh=False))
    uncovered = {f"{m} {r.rule}: {n}" for r, m in _object_routes(clean_app)
                 for n in _owned(r) if n not in known}
    assert not uncovered, ("add these path parameters to District.objects (or NOT_OWNED) so "
                           f"the authorisation matrix covers them: {sorted(uncovered)}")


def test_other_organisations_get_what_a_missing_object_gets(clean_app, district):
    table = documented_table()
    problems, served = [], 0
    known = set(district.objects(fresh=False))
    for rule, method in _object_routes(clean_app):
        owned = _owned(rule)
        if not owned or not set(owned) <= known:
            continue  # test_every_object_route_is_in_the_matrix names the uncovered ones
        who = table[(rule.rule, method)]
        for role in ROLES:
            if not admitted(who, role) or role in OVERSIGHT:
                continue
            writes = method != "GET"
            objects = district.objects(fresh=writes, rule=rule.rule)
            body = BODIES.get((method, rule.rule), {})
            values = {n: (objects[n]() if n in objects else "png") for n, _c in _params(rule)}
            absent = {**values, **{n: missing(n, _kind(c)) for n, c in _params(rule) if n in owned}}
            own, others = district.sides(owned)
            other = others[role]
            as_missing = _answer(district.api.call(method, _fill(rule, absent) + QUERY, other,
                                                   json=body, headers=JSON))
            resp = district.api.call(method, _fill(rule, values) + QUERY, other, json=body,
                                     headers=JSON)
            if _answer(resp) != as_missing or resp.status_code < 400:
                problems.append(f"{method} {rule.rule} as {role} of another org: "
                                f"{_answer(resp)}, a missing object gets {as_missing}")
            leaked = [s for s in (*district.secrets, *district.company_secrets)
                      if s.encode() in resp.data and s not in values.values()]
            if leaked:
                problems.append(f"{method} {rule.rule} as {role} of another org leaks {leaked}")
            if method == "GET":
                mine = district.api.get(_fill(rule, values) + QUERY, own[role], headers=JSON)
                if mine.status_code == 200:
                    served += 1
                elif role != "driver" or own is district.company_own:  # a station's drivers
                    # see cylinders, but not batches or labels
                    problems.append(f"GET {rule.rule} as {role} of the owner: {_answer(mine)}")
    assert not problems, "\n".join(problems)
    assert served >= 8


def test_oversight_sees_every_organisations_objects(clean_app, district):
    known = set(district.objects(fresh=False))
    for rule, method in _object_routes(clean_app):
        if method != "GET" or not _owned(rule) or not set(_owned(rule)) <= known:
            continue
        access = access_for(clean_app, rule.endpoint, method)
        objects = district.objects(fresh=False, rule=rule.rule)
        path = _fill(rule, {n: (objects[n]() if n in objects else "png")
                            for n, _c in _params(rule)}) + QUERY
        for role in OVERSIGHT:
            if access.admits(role):
                resp = district.api.get(path, district.own[role], headers=JSON)
                assert resp.status_code == 200, (path, role, _answer(resp))


def test_no_listing_shows_another_organisations_data(clean_app, district):
    """Every parameterless GET (API lists, pages) as every user outside station A or the company.

    Station A's canaries stay hidden from everyone outside station A, the company's (its
    customer's name, contact and address) from everyone outside the company.
    """
    people = {a.name: a for side in (district.own, district.other, district.company_own,
                                     district.company_other)
              for r, a in side.items() if r not in OVERSIGHT}
    station_a, company = district.orgs["station_a"], district.orgs["company"]
    # station B, the other print shop and the other company have no business with A, A's
    # print shop or the company at all
    strangers = {district.orgs[k] for k in ("station_b", "printer_b", "company_b")}
    a_side = {station_a, district.orgs["printer"], company}
    problems, checked = [], 0
    for rule in clean_app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        for actor in people.values():
            hidden = ((district.secrets if actor.org_id != station_a else ())
                      + (district.company_secrets if actor.org_id != company else ()))
            resp = district.api.get(rule.rule, actor)
            leaked = [s for s in hidden if s.encode() in resp.data]
            if resp.is_json and actor.org_id in strangers:
                leaked += sorted({f"{key}={value}" for key, value in _org_ids(resp.json)
                                  if isinstance(value, int) and value in a_side})
            if leaked:
                problems.append(f"GET {rule.rule} as {actor.name} ({actor.role}) shows {leaked}")
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked > 20


def _org_ids(body: Any) -> list[tuple[str, Any]]:
    """Every (key, value) in a JSON document whose key names an organisation (…org_id)."""
    if isinstance(body, dict):
        found = [(k, v) for k, v in body.items() if k.endswith("org_id")]
        return found + [pair for v in body.values() for pair in _org_ids(v)]
    if isinstance(body, list):
        return [pair for item in body for pair in _org_ids(item)]
    return []


def test_writes_naming_another_organisation_are_refused_and_write_nothing(district):
    api, world, orgs = district.api, district.world, district.orgs
    before = _snapshot(district)
    refusals = [
        api.post("/api/v1/code-batches", district.other["admin"],
                 json={"count": 3, "owner_org_id": orgs["station_a"]}),
        api.post("/api/v1/cylinders", world.filler_b, json={
            "code": district.batch_codes[0], "serial_no": "X1", "manufacturer": "M",
            "model": "YSP35.5", "manufactured_on": "2022-01-01",
            "owner_org_id": orgs["station_a"]}),
        api.post("/api/v1/cylinders", world.filler_b, json={
            "code": district.batch_codes[0], "serial_no": "X2", "manufacturer": "M",
            "model": "YSP35.5", "manufactured_on": "2022-01-01",
            "owner_org_id": orgs["station_b"]}),
        api.post(f"/api/v1/code-batches/{district.batch_id}/assign", district.other["admin"],
                 json={"printer_org_id": orgs["printer_b"]}),
        api.post("/api/v1/labels/reprint", district.other["printer"],
                 json={"codes": district.batch_codes, "reason": "steal"}),
        api.post("/api/v1/users", district.other["admin"],
                 json={"name": "mole", "org_id": orgs["station_a"], "role": "filler"}),
        api.delete(f"/api/v1/tokens/{district.token_id}", district.other["admin"]),
    ]
    statuses = [r.status_code for r in refusals]
    assert all(s in (403, 404, 409) for s in statuses), [(r.status_code, r.json)
                                                         for r in refusals]
    assert _snapshot(district) == before


def _snapshot(district: District) -> dict[str, Any]:
    db.session.rollback()
    from app.printing.models import PrintJob
    from app.traceability.models import CodeBatch

    return {
        "batches": db.session.scalars(select(CodeBatch.id).order_by(CodeBatch.id)).all(),
        "assigned": db.session.get(CodeBatch, district.batch_id).printer_org_id,
        "cylinders": db.session.scalars(select(Cylinder.code).order_by(Cylinder.code)).all(),
        "jobs": db.session.scalars(select(PrintJob.id)).all(),
        "users": db.session.scalars(select(User.name).order_by(User.name)).all(),
        "revoked": db.session.get(ApiToken, district.token_id).revoked_at,
        "flags": db.session.scalars(select(Flag.status)).all(),
    }


def test_the_public_page_shows_no_personal_data(clean_app, district):
    if "/c/<code>" not in {r.rule for r in clean_app.url_map.iter_rules()}:
        pytest.skip("the public page /c/<code> is not in this build yet")
    resp = district.api.get(f"/c/{district.cylinder_code}")
    assert resp.status_code == 200
    people = [u.name for u in db.session.scalars(select(User))]
    shown = [s for s in ("CANARY-PERSON-A", "CANARY-REG-A", *people)
             if re.search(rf"\b{re.escape(s)}\b", resp.data.decode())]
    assert not shown, f"the public page shows {shown}"
