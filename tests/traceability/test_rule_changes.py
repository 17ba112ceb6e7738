"""The rule table's change history: every change of a model's row is recorded with who made it,
when, why and each field from what to what, in the change's own transaction (a refused change
writes neither the row nor its record), and the history is readable by every signed-in role."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.traceability.models import ModelSpecRow, RuleChange

RULES = "/api/v1/rules/models"


def recorded() -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count()).select_from(RuleChange))


def row(model: str) -> dict:
    """A model's row as committed ({} when there is none)."""
    db.session.rollback()
    spec = db.session.get(ModelSpecRow, model)
    return {c.name: getattr(spec, c.name) for c in ModelSpecRow.__table__.columns} if spec else {}


def test_a_change_records_who_when_why_and_each_field_from_what_to_what(api, world, registry):
    cyl = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2023-05-01")
    resp = api.put(f"{RULES}/YSP35.5", world.regulator, json={
        "inspection_interval_years": 2, "rated_fill_kg": 14.9, "source": "市监发〔2026〕1号",
        "reason": "本地规定缩短检验周期"})
    assert resp.status_code == 200 and "reason" not in resp.json
    [change] = api.get(f"{RULES}/YSP35.5/changes", world.regulator).json
    assert change["changed_by"]["name"] == "regulator"
    assert change["changed_by"]["org_name"] == "区市场监督管理局"
    assert change["reason"] == "本地规定缩短检验周期" and change["added"] is False
    assert change["changed_at"].startswith("20")
    assert change["changes"] == [  # the fill mass was sent unchanged: not a change
        {"field": "inspection_interval_years", "from": 4, "to": 2},
        {"field": "source", "from": "GB 5842; GB/T 8334-2022 (household '15 kg' cylinder)",
         "to": "市监发〔2026〕1号"}]
    due = api.get(f"/api/v1/cylinders/{cyl['code']}", world.regulator).json
    assert due["next_inspection_due"] == "2025-05-01"  # recomputed in the same change


def test_a_client_without_a_reason_is_still_served_and_recorded(api, world):
    # `reason` is optional on the API: the clients written before the history send none
    resp = api.put(f"{RULES}/YSP118", world.admin, json={"banned": True})  # a platform admin
    assert resp.status_code == 200 and resp.json["banned"] is True
    [change] = api.get(f"{RULES}/YSP118/changes", world.filler_a).json
    assert change["reason"] is None and change["changed_by"]["name"] == "admin"
    assert change["changes"] == [{"field": "banned", "from": False, "to": True}]


def test_the_same_put_again_changes_nothing_and_records_nothing(api, world):
    body = {"banned": True, "banned_reason": "召回", "reason": "召回通知"}
    first = api.put(f"{RULES}/YSP12", world.regulator, json=body)
    updated = row("YSP12")["updated_at"]
    again = api.put(f"{RULES}/YSP12", world.regulator, json=body)
    assert first.status_code == again.status_code == 200 and again.json == first.json
    assert recorded() == 1 and row("YSP12")["updated_at"] == updated


def test_a_new_model_is_recorded_as_added(api, world):
    resp = api.put(f"{RULES}/YSP24", world.regulator, json={
        "nominal_volume_l": 24.0, "rated_fill_kg": 10.0, "inspection_interval_years": 4,
        "source": "GB 5842", "reason": "新型号"})
    assert resp.status_code == 200
    [change] = api.get(f"{RULES}/YSP24/changes", world.driver).json
    assert change["added"] is True
    assert {c["field"]: (c["from"], c["to"]) for c in change["changes"]} == {
        "nominal_volume_l": (None, 24.0), "rated_fill_kg": (None, 10.0),
        "inspection_interval_years": (None, 4), "source": (None, "GB 5842")}


@pytest.mark.parametrize(("actor", "model", "body", "status", "code"), [
    ("company_admin", "YSP35.5", {"banned": True, "reason": "x"}, 403, "forbidden"),
    ("station_a_admin", "YSP35.5", {"banned": True}, 403, "forbidden"),
    ("filler_a", "YSP35.5", {"banned": True}, 403, "role_forbidden"),
    ("regulator", "YSP35.5", {"rated_fill_kg": 501}, 400, "validation_error"),
    ("regulator", "YSP35.5", {"inspection_interval_years": 0}, 400, "validation_error"),
    ("regulator", "YSP35.5", {"source": ""}, 400, "validation_error"),
    ("regulator", "YSP35.5", {"source": "   "}, 400, "source_required"),
    ("regulator", "YSP35.5", {"reason": "only a reason"}, 400, "no_change"),
    ("regulator", "YSP35.5", {}, 400, "no_change"),
    ("regulator", "YSP35.5", {"banned": True, "reason": "x" * 501}, 400, "validation_error"),
    ("regulator", "ysp35.5", {"nominal_volume_l": 35.5, "rated_fill_kg": 14.9,
                              "inspection_interval_years": 4, "source": "x"}, 409,
     "model_exists"),
    ("regulator", "YSP24", {"nominal_volume_l": 24.0}, 400, "validation_error"),
    ("regulator", "YSP24%20", {"nominal_volume_l": 24.0, "rated_fill_kg": 10.0,
                               "inspection_interval_years": 4, "source": "x"}, 400,
     "invalid_model_name"),
])
def test_a_refused_change_writes_neither_the_row_nor_its_record(api, world, actor, model, body,
                                                                 status, code):
    before = row("YSP35.5")
    resp = api.put(f"{RULES}/{model}", world.users[actor], json=body)
    assert (resp.status_code, resp.json["error"]["code"]) == (status, code), resp.json
    assert recorded() == 0 and row("YSP35.5") == before
    assert db.session.get(ModelSpecRow, "YSP24") is None and (
        db.session.get(ModelSpecRow, "ysp35.5") is None)


def test_a_change_that_fails_half_way_leaves_no_record_and_no_change(api, world, registry,
                                                                     monkeypatch):
    from app.traceability import rule_changes

    registry.cylinder()

    def broken(model: str) -> int:
        raise RuntimeError("the recomputation failed")

    monkeypatch.setattr(rule_changes, "recompute_model", broken)
    before = row("YSP35.5")
    resp = api.put(f"{RULES}/YSP35.5", world.regulator,
                   json={"inspection_interval_years": 2, "reason": "x"})
    assert resp.status_code == 500
    assert recorded() == 0 and row("YSP35.5") == before  # the row was flushed, then rolled back


def test_the_history_is_newest_first_and_read_by_every_signed_in_role(api, world):
    for years in (3, 2):
        api.put(f"{RULES}/YSP26.2", world.regulator,
                json={"inspection_interval_years": years, "reason": f"to {years}"})
    api.put(f"{RULES}/YSP4.7", world.regulator, json={"banned": True, "reason": "other model"})
    for name in ("regulator", "admin", "company_admin", "filler_a", "driver", "inspector",
                 "printer"):
        resp = api.get(f"{RULES}/YSP26.2/changes", world.users[name])
        assert resp.status_code == 200, name
        assert [c["reason"] for c in resp.json] == ["to 2", "to 3"]
    assert api.get(f"{RULES}/YSP26.2/changes").status_code == 401
    unknown = api.get(f"{RULES}/YSP99/changes", world.regulator)
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "unknown_model")
    assert api.get(f"{RULES}/YSP12/changes", world.regulator).json == []


def test_the_history_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    answer = paths["/api/v1/rules/models/{model}/changes"]["get"]["responses"]["200"]
    assert "schema" in answer["content"]["application/json"]
    put = paths["/api/v1/rules/models/{model}"]["put"]["requestBody"]["content"]
    assert "reason" in str(put) or "ModelSpecIn" in str(put)
