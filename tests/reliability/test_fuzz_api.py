"""Property-based fuzzing of every API operation from the OpenAPI document (schemathesis).

Every operation the document lists (so every domain merged later too) gets valid and invalid
requests as a regulator, a filling operator and a print shop, with random ids and with ids of
objects that exist (the authorisation matrix's district: an object of every kind). Whatever
comes in: never a 5xx, every error in the JSON error shape, and every answer as the document
describes it, downloads included. Bounded by FUZZ_EXAMPLES per operation and mode.
"""
from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import delete, select

from app.auth import services as auth
from app.auth.models import ApiToken, User
from app.extensions import db
from app.traceability.flags import raise_flag
from app.traceability.models import Cylinder, ModelSpecRow
from app.traceability.rules import load_defaults
from tests.reliability.district import District

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
ACTORS = ("regulator", "filler_a", "printer")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# generated batch sizes stay small: the point is odd input, not issuing 100,000 codes per example
MAX_FUZZ_COUNT = 30


def assert_error_shape(status: int, content_type: str, body: Any) -> None:
    """Every 4xx and 5xx answer of the API carries {"error": {"code": str, "message": str}}.

    Only refusals (409 from the interlock and the delivery round) say more beside it:
    `allowed` and every reason, as their contract requires.
    """
    assert content_type.startswith("application/json"), (status, content_type)
    assert isinstance(body, dict) and "error" in body, body
    extra = set(body) - {"error"}
    assert not extra or (status == 409 and "reasons" in body), body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body


@pytest.fixture
def known(world, registry, clean_app) -> dict[str, Any]:
    """Real objects for path parameters, so fuzzing also reaches past the 404s."""
    cyl = registry.cylinder()
    batch = registry.codes(3)
    batch_id = registry.api.get("/api/v1/code-batches", world.regulator).json[0]["id"]
    assigned = registry.api.post(f"/api/v1/code-batches/{batch_id}/assign", world.regulator,
                                 json={"printer_org_id": world.orgs["printer"]})
    assert assigned.status_code == 200
    cylinder = db.session.scalar(select(Cylinder).where(Cylinder.code == cyl["code"]))
    flag = raise_flag("clone_suspected", cylinder=cylinder, details={"note": "fuzz"})
    spare = db.session.get(User, world.driver.id)
    auth.issue_token(spare, label="fuzz victim")
    db.session.commit()
    victim = db.session.scalar(select(ApiToken.id).where(ApiToken.label == "fuzz victim"))
    # the authorisation matrix's objects of every other kind (fills, hazards, photos, ...)
    district = District(world, registry)
    others = {name: make() for name, make in district.objects(fresh=False).items()
              if name not in ("code", "batch_id", "flag_id", "token_id")}
    yield {**others, "batch_id": batch_id, "code": batch[0]["code"], "flag_id": flag.id,
           "token_id": victim, "model": "YSP35.5", "cylinder_code": cyl["code"]}
    defaults = {spec.model for spec in load_defaults()[1]}
    db.session.rollback()
    db.session.execute(delete(ModelSpecRow).where(ModelSpecRow.model.not_in(defaults)))
    db.session.commit()


def _path_params(operation: Any, known: dict[str, Any]) -> dict[str, Any]:
    names = {p.name for p in operation.path_parameters}
    params = {name: known[name] for name in names if name in known}
    if "code" in names and "/cylinders/" in operation.path:
        params["code"] = known["cylinder_code"]
    return params


def _runner(app: Any, headers: dict[str, str]) -> Callable[[Any], None]:
    def run(case: Any) -> None:
        if isinstance(case.body, dict) and isinstance(case.body.get("count"), int):
            case.body["count"] = max(1, min(case.body["count"], MAX_FUZZ_COUNT))
        with app.app_context():  # its own session and `g`, as a real request has
            response = case.call(headers=headers, buffered=True)
        case.validate_response(response, checks=CHECKS)
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])[0]
            assert_error_shape(response.status_code, content_type, response.json())

    return run


def _fuzz(strategy: Any, run: Callable[[Any], None], examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate,
                                                               Phase.shrink])
    @given(case=strategy)
    def property_(case: Any) -> None:
        run(case)

    with contextlib.suppress(Unsatisfiable):  # e.g. nothing invalid for an input-less query
        property_()


def test_every_operation_survives_fuzzing(clean_app, world, known):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", clean_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    problems: list[str] = []
    for operation in operations:
        params = _path_params(operation, known)
        for name in ACTORS:
            headers = world.users[name].headers
            run = _runner(clean_app, headers)
            strategies = []
            if any(len(part) for part in (operation.path_parameters, operation.query,
                                          operation.body)):
                strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
            if "token_id" not in params:  # never revoke the fuzzing actor's own token
                strategies.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
            if params:
                strategies.append(operation.as_strategy(path_parameters=params))
            for strategy in strategies:
                try:
                    _fuzz(strategy, run, EXAMPLES)
                except Exception as exc:  # collect all operations' failures, then report
                    problems.append(f"{operation.label} as {name}: {exc}"[:3000])
    assert not problems, "\n\n".join(problems)


def test_anonymous_fuzzing_is_refused_in_the_error_shape(clean_app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", clean_app)
    problems: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        run = _runner(clean_app, {})
        try:
            _fuzz(operation.as_strategy(), run, 2)
        except Exception as exc:
            problems.append(f"{operation.label}: {exc}"[:2000])
    assert not problems, "\n\n".join(problems)


@settings(max_examples=max(EXAMPLES * 4, 20), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.one_of(
    st.binary(max_size=4096),
    st.text(max_size=2000).map(str.encode),
    st.lists(st.lists(st.text(max_size=30), max_size=10), max_size=30).map(
        lambda rows: "\n".join(",".join(r) for r in rows).encode()),
    st.sampled_from([b"PK\x03\x04" + b"\0" * 200, b"\xef\xbb\xbfcode,serial_no\n,,,\n",
                     b"code\n" + b"A" * 5000 + b"\n", "代码,序列号\n\u0000\u202e,x\n".encode()]),
), name=st.sampled_from(["cylinders.csv", "cylinders.xlsx", "x.txt", "noext", "a.CSV"]))
@example(data=b"co\rde,serial_no\n", name="cylinders.csv")  # was a 500 (csv.Error)
def test_import_survives_hostile_files(api, world, data, name):
    response = api.post("/api/v1/cylinders/import", world.regulator,
                        data={"file": (io.BytesIO(data), name)},
                        content_type="multipart/form-data")
    assert response.status_code < 500, response.json
    if response.status_code >= 400:
        assert_error_shape(response.status_code, response.content_type, response.json)
