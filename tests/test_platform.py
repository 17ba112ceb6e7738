"""The platform around the domains: migrations, health, errors, CLI, lint, OpenAPI."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update

from app.auth.models import Organisation
from app.database import utcnow
from app.delivery.models import Customer
from app.extensions import db
from app.filling.rules import PRECHECK_ITEMS
from app.traceability.models import Cylinder, Event, Flag
from app.traceability.rule_store import spec_for

ROOT = Path(__file__).resolve().parents[1]


def test_models_and_migrations_agree(clean_app):
    with clean_app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}


# Nested beyond what Python's JSON decoder recurses through (it raises RecursionError).
DEEP = '{"name": ' + "[" * 5000 + "]" * 5000 + "}"


def test_api_errors_have_one_shape(client, world, api):
    for resp, status, code in [
        (api.get("/api/v1/nothing-here", world.regulator), 404, "not_found"),
        (api.call("PATCH", "/api/v1/orgs", world.regulator), 405, "method_not_allowed"),
        (api.post("/api/v1/orgs", world.admin, data="{", content_type="application/json"),
         400, "invalid_json"),
        (api.post("/api/v1/orgs", world.admin, json=["list"]), 400, "validation_error"),
        (api.post("/api/v1/orgs", world.admin, data=DEEP, content_type="application/json"),
         400, "invalid_json"),
        (api.post("/api/v1/fillings", world.filler_a, data=DEEP,
                  content_type="application/json"), 400, "invalid_json"),
        (api.get("/api/v1/cylinders/%00%ff", world.regulator), 400, "foreign_code"),
        (api.get("/api/v1/code-batches/1", world.regulator), 404, "not_found"),
    ]:
        assert resp.status_code == status, (resp.status_code, resp.data)
        assert set(resp.json) == {"error"} and resp.json["error"]["code"] == code
        assert resp.json["error"]["message"]


def test_text_no_database_can_hold_is_refused_as_bad_input(client, world, api, registry):
    # JSON may spell an unpaired surrogate or a NUL as an escape; the drivers cannot store the
    # first (a 500 at the INSERT, on both databases) and PostgreSQL refuses the second
    # (SQLite kept it), so both are refused where the body comes in
    code = registry.cylinder()["code"]
    for method, path, actor, raw in [
        ("PUT", "/api/v1/rules/models/YSP35.5", world.regulator, '{"source": "\\ud800"}'),
        ("PUT", "/api/v1/rules/models/YSP35.5", world.regulator, '{"banned_reason": "x\\uDFFF"}'),
        ("POST", "/api/v1/fillings", world.filler_a, f'{{"code": "{code}\\udbff"}}'),
        ("POST", "/api/v1/orgs", world.admin, '{"name": "a\\u0000b", "kind": "printer"}'),
        ("POST", "/api/v1/orgs", world.admin, '{"name": "x", "kind": "printer", "\\ud800": 1}'),
        ("POST", "/api/v1/events/batch", world.driver,
         '{"events": [{"payload": {"n": ["\\ud800"]}}]}'),
    ]:
        resp = api.call(method, path, actor, data=raw, content_type="application/json")
        assert resp.status_code == 400, (path, raw, resp.status_code, resp.data)
        assert resp.json["error"]["code"] == "invalid_text", resp.json
    rule = next(r for r in api.get("/api/v1/rules/models", world.regulator).json
                if r["model"] == "YSP35.5")
    assert "\ud800" not in rule["source"] and not rule["banned_reason"]
    assert db.session.scalar(select(func.count()).select_from(Organisation)
                             .where(Organisation.kind == "printer")) == 1
    # a surrogate pair is one character, and an escaped backslash is just text
    for name in ("站\\ud83d\\ude00", "\\\\ud800"):
        resp = api.post("/api/v1/orgs", world.admin, content_type="application/json",
                        data=f'{{"name": "{name}", "kind": "printer"}}')
        assert resp.status_code == 201, resp.data
    names = {o["name"] for o in api.get("/api/v1/orgs", world.admin).json}
    assert {"站\U0001f600", "\\ud800"} <= names


def test_openapi_document_describes_the_contract(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path in ("/api/v1/orgs", "/api/v1/users", "/api/v1/code-batches", "/api/v1/cylinders",
                 "/api/v1/cylinders/{code}", "/api/v1/cylinders/{code}/history",
                 "/api/v1/cylinders/import"):
        assert path in paths
    body = paths["/api/v1/cylinders"]["post"]["requestBody"]["content"]["application/json"]
    assert "schema" in body
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"/static/vendor/swagger-ui/" in docs.data
    assert b"cdn" not in docs.data.lower()


def test_verify_chain_cli_names_broken_cylinders(registry, clean_app, ctx):
    first, second = registry.cylinder(), registry.cylinder()
    runner = clean_app.test_cli_runner()
    ok = runner.invoke(args=["verify-chain"])
    assert ok.exit_code == 0 and "2 intact, 0 broken" in ok.output
    from app.traceability.services import find_cylinder

    victim = find_cylinder(second["code"]).id
    db.session.execute(update(Event).where(Event.seq == 1, Event.cylinder_id == victim)
                       .values(place="moved"))
    db.session.commit()
    broken = runner.invoke(args=["verify-chain"])
    assert broken.exit_code == 1
    assert f"BROKEN {second['code']}" in broken.output
    assert first["code"] not in broken.output


def test_seed_demo_is_idempotent_and_prints_logins(clean_app):
    runner = clean_app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--cylinders", "12"])
    assert first.exit_code == 0, first.output
    assert "regulator" in first.output and "lpg_" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert runner.invoke(args=["verify-chain"]).exit_code == 0


def test_demo_data_lies_in_the_past_at_any_hour(clean_app, monkeypatch):
    # Before dawn in the district its date is already the next UTC day: the morning's demo
    # round must not be dated hours ahead.
    district_date = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    monkeypatch.setitem(clean_app.config, "FIXED_TODAY", district_date)
    seeded = clean_app.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(
            Event.type == "delivered")) > 0  # the delivery round was seeded
        assert db.session.scalar(select(func.max(Event.occurred_at))) <= utcnow()
        for data in db.session.scalars(select(Event.data).where(Event.type == "filled")):
            assert set(data["precheck"]) <= set(PRECHECK_ITEMS), data["precheck"]
        # the demo obeys its own rules: each fill at its model's rated mass, overfills held
        # at the station, no cylinder delivered to a cellar
        fills = db.session.execute(select(Event.cylinder_id, Cylinder.model, Event.data).join(
            Cylinder, Cylinder.id == Event.cylinder_id).where(Event.type == "filled")).all()
        assert fills and all(d["rated_fill_kg"] == spec_for(m).rated_fill_kg
                             for _c, m, d in fills)
        held = set(db.session.scalars(select(Flag.cylinder_id).where(
            Flag.kind == "overfill", Flag.status == "open")))
        delivered = db.session.execute(select(Event.cylinder_id, Event.data).where(
            Event.type == "delivered")).all()
        assert held and not held & {c for c, _d in delivered}
        registered = dict(db.session.execute(select(Event.cylinder_id, Event.occurred_at).where(
            Event.type == "registered")).all())
        later = db.session.execute(select(Event.cylinder_id, Event.type, Event.occurred_at).where(
            Event.type != "registered")).all()
        assert [e for e in later if e.occurred_at < registered[e.cylinder_id]] == []
        cellars = set(db.session.scalars(select(Customer.id).where(Customer.premises != "ground")))
        assert cellars and not cellars & {d["customer_id"] for _c, d in delivered}


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_app_context_has_its_own_session(clean_app):
    """The session is scoped by application context (app/extensions.app_context_id)."""
    import pytest

    from app.extensions import db

    with clean_app.app_context():
        outer = db.session()
        assert db.session() is outer
        with clean_app.app_context():
            inner = db.session()
            assert inner is not outer
        assert db.session() is outer
    with pytest.raises(RuntimeError, match="application context"):
        db.session()


def test_openapi_document_says_how_the_api_answers(api, world):
    """A client integrating from /api/v1/docs found no way to send its token (no security
    scheme: Swagger UI had no Authorize button), every invalid body documented as a 422
    the server never sends for it (it answers 400 validation_error), and no word of the
    Idempotency-Key header. The document now says what the server does."""
    spec = api.get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http",
                                                                   "scheme": "bearer"}
    assert spec["security"] == [{"bearerAuth": []}]
    create = spec["paths"]["/api/v1/code-batches"]["post"]
    assert create["responses"]["400"] == {"$ref": "#/components/responses/VALIDATION_FAILED"}
    assert create["responses"]["422"] == {
        "$ref": "#/components/responses/IDEMPOTENCY_KEY_REUSED"}
    assert {"$ref": "#/components/parameters/IDEMPOTENCY_KEY"} in create["parameters"]
    assert spec["components"]["parameters"]["IDEMPOTENCY_KEY"]["name"] == "Idempotency-Key"
    assert not [(path, method) for path, ops in spec["paths"].items()
                for method, op in ops.items()
                if method not in ("post", "parameters") and "422" in op["responses"]]
    org = world.orgs["company"]
    invalid = api.post("/api/v1/code-batches", world.regulator,
                       json={"count": 0, "owner_org_id": org})
    assert invalid.status_code == 400 and invalid.json["error"]["code"] == "validation_error"
    key = {"Idempotency-Key": "batch-order-1"}
    first = api.post("/api/v1/code-batches", world.regulator, headers=key,
                     json={"count": 2, "owner_org_id": org})
    again = api.post("/api/v1/code-batches", world.regulator, headers=key,
                     json={"count": 2, "owner_org_id": org})
    assert (first.status_code, again.status_code) == (201, 201) and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/api/v1/code-batches", world.regulator, headers=key,
                     json={"count": 3, "owner_org_id": org})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
