"""Walk every route with every role: the role table is declared, documented and enforced."""
from __future__ import annotations

import re
from pathlib import Path

from app.auth.cli import render_role_table
from app.auth.models import ROLES
from app.auth.policy import access_for, role_table

ROLE_USER = {"admin": "company_admin", "regulator": "regulator", "filler": "filler_a",
             "driver": "driver", "inspector": "inspector", "printer": "printer"}
DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def concrete(path: str) -> str:
    """Fill a rule's variables with plausible values."""
    path = re.sub(r"<int:[^>]+>", "999999", path)
    path = re.sub(r"<path:[^>]+>", "x/y", path)
    path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", path)
    return re.sub(r"<[^>]+>", "0000000000000000", path)


def test_every_route_declares_its_access(clean_app):
    undeclared = [(rule.rule, rule.endpoint) for rule in clean_app.url_map.iter_rules()
                  for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}
                  if access_for(clean_app, rule.endpoint, m) is None]
    assert undeclared == []


def test_docs_role_table_is_current(clean_app):
    assert DOC.read_text(encoding="utf-8") == render_role_table(role_table(clean_app)), (
        "docs/roles.md is stale: run `flask --app wsgi roles-table > docs/roles.md`")


def test_every_route_with_every_role(clean_app, world, api):
    checked = 0
    for rule in clean_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            access = access_for(clean_app, rule.endpoint, method)
            path = concrete(rule.rule)
            anonymous = api.call(method, path, json={})
            if access.public:
                code = anonymous.json["error"]["code"] if anonymous.is_json and \
                    "error" in (anonymous.json or {}) else None
                assert code not in ("unauthorized", "role_forbidden"), (method, path)
            elif path.startswith("/api/"):
                assert anonymous.status_code == 401, (method, path, anonymous.status_code)
                assert anonymous.json["error"]["code"] == "unauthorized"
            else:
                assert anonymous.status_code in (302, 401), (method, path)
            for role in ROLES:
                # ask for JSON so that a refused page answers with the error code too
                resp = api.call(method, path, world.users[ROLE_USER[role]], json={},
                                headers={"Accept": "application/json"})
                assert resp.status_code < 500, (method, path, role, resp.status_code)
                refused = (resp.status_code == 403 and resp.is_json
                           and resp.json["error"]["code"] == "role_forbidden")
                assert refused == (not access.admits(role)), (method, path, role, resp.status_code)
                checked += 1
    assert checked > 100


def test_revoked_and_unknown_tokens_are_refused(world, api):
    assert api.get("/api/v1/me", world.driver).status_code == 200
    bad = api.get("/api/v1/me", headers={"Authorization": "Bearer lpg_nope"})
    assert (bad.status_code, bad.json["error"]["code"]) == (401, "invalid_token")


def test_roles_cover_the_issue_list():
    assert set(ROLES) == {"admin", "regulator", "filler", "driver", "inspector", "printer"}
