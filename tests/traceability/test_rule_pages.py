"""The rule-table page (规则表): everyone who may read the table sees it with its sources and each
model's history; regulators and platform admins change a row or add a model after a
confirmation that says which cylinders it reaches; refusals come back in the form in the
reader's language with what was typed kept, and write nothing."""
from __future__ import annotations

import html
import re
from typing import Any

import pytest

from app.extensions import db
from app.traceability.models import ModelSpecRow
from tests.filling.conftest import set_state, station  # noqa: F401 - the fixture
from tests.traceability.test_register_pages import post, signed_in
from tests.traceability.test_rule_changes import recorded, row

PAGE = "/rules"


def form(model: str = "YSP35.5", **fields: str) -> dict[str, str]:
    """The edit form of a model as the page fills it in (its row's values), with a reason and
    the changes."""
    db.session.rollback()
    spec = db.session.get(ModelSpecRow, model)
    values = {"mode": "edit", "model": model, "nominal_volume_l": f"{spec.nominal_volume_l:g}",
              "rated_fill_kg": f"{spec.rated_fill_kg:g}",
              "inspection_interval_years": str(spec.inspection_interval_years),
              "banned_reason": spec.banned_reason or "", "source": spec.source,
              "reason": "区市监局通知", **fields}
    return {key: value for key, value in values.items() if value is not None}


def section(page: str, model: str) -> str:
    return page.split(f'data-testid="model-{model}"')[1].split("</section>")[0]


def value_of(page: str, name: str, key: str) -> str:
    match = re.search(rf'name="{name}" id="f-{name}-{re.escape(key)}" value="([^"]*)"', page)
    assert match, (name, key)
    return html.unescape(match[1])


def test_every_reader_sees_the_table_its_sources_and_the_banned_models(clean_app, world):
    for name in ("company_admin", "filler_a", "driver", "inspector", "printer"):
        page = signed_in(clean_app, world, name).get(PAGE)
        assert page.status_code == 200, name
        banned = section(page.text, "YSP118-II")
        assert 'data-testid="banned-YSP118-II"' in banned and "已禁用" in banned
        assert "GB 5842-2023" in banned  # its source
        assert 'data-testid="banned-YSP35.5"' not in page.text
        assert 'data-testid="rule-form-' not in page.text and "只有监管人员" in page.text
    nav = {name: 'href="/rules"' in signed_in(clean_app, world, name).get("/").text
           for name in ("regulator", "admin", "company_admin", "filler_a", "driver")}
    assert nav == {"regulator": True, "admin": True, "company_admin": True, "filler_a": False,
                   "driver": False}


@pytest.mark.parametrize("name", ["company_admin", "station_a_admin", "filler_a", "driver"])
def test_only_regulators_and_platform_admins_change_it(clean_app, world, name):
    before = row("YSP35.5")
    for step in ("check", "confirm"):
        resp = post(signed_in(clean_app, world, name), PAGE,
                    data=form(inspection_interval_years="2", step=step))
        assert resp.status_code == 403, (name, step)
    assert recorded() == 0 and row("YSP35.5") == before


def test_a_regulator_confirms_a_change_that_moves_due_dates(clean_app, world, registry, api):
    cyl = registry.cylinder(manufactured_on="2020-01-01", last_inspected_on="2023-05-01")
    registry.cylinder()
    regulator = signed_in(clean_app, world, "regulator")
    page = regulator.get(PAGE)
    assert value_of(page.text, "rated_fill_kg", "YSP35.5") == "14.9"  # the form starts filled
    check = post(regulator, PAGE, data=form(inspection_interval_years="2"))
    assert check.status_code == 200 and 'data-testid="confirm"' in check.text
    assert "将重新计算 2 只已登记的 YSP35.5 型气瓶的检验到期日" in check.text
    assert 'data-testid="diff-inspection_interval_years"' in check.text
    assert 'data-testid="diff-rated_fill_kg"' not in check.text  # not changed
    # a check writes nothing
    assert recorded() == 0 and row("YSP35.5")["inspection_interval_years"] == 4
    done = regulator.post(PAGE, data=form(inspection_interval_years="2", step="confirm"))
    assert "YSP35.5" in done.text and 'data-testid="flash-ok"' in done.text
    assert row("YSP35.5")["inspection_interval_years"] == 2 and recorded() == 1
    history = section(done.text, "YSP35.5")
    assert "regulator" in history and "原因：区市监局通知" in history
    assert "4 → <strong>2</strong>" in history
    after = api.get(f"/api/v1/cylinders/{cyl['code']}", world.regulator).json
    assert after["next_inspection_due"] == "2025-05-01"


def test_a_ban_on_the_page_makes_the_interlock_refuse_the_model(
        clean_app, world, registry, station, api):  # noqa: F811
    cyl = registry.cylinder(owner="station_a", model="YSP118")
    scrapped = registry.cylinder(owner="station_a", model="YSP118")
    set_state(scrapped["code"], None, scrapped_at=True)
    assert station.present(cyl["code"]).status_code == 201
    regulator = signed_in(clean_app, world, "regulator")
    ban = form("YSP118", banned="on", banned_reason="双相瓶召回",
               reason="区政府燃气安全整治方案 二(二)1")
    check = post(regulator, PAGE, data=ban)
    assert "充装时拒绝 YSP118 型的每一只气瓶：已登记且未报废、未注销的有 1 只" in check.text
    done = regulator.post(PAGE, data={**ban, "step": "confirm"})
    assert 'data-testid="banned-YSP118"' in done.text
    resp = station.present(cyl["code"])
    assert station.reasons(resp) == ["banned_model"]
    [change] = api.get("/api/v1/rules/models/YSP118/changes", world.filler_a).json
    assert change["changed_by"]["name"] == "regulator"
    assert change["reason"] == "区政府燃气安全整治方案 二(二)1"
    assert {c["field"] for c in change["changes"]} == {"banned", "banned_reason"}


REFUSED = [
    ({"nominal_volume_l": "2000"}, "nominal_volume_l", "0.1 到 1000 之间的数"),
    ({"rated_fill_kg": "0"}, "rated_fill_kg", "0.1 到 500 之间的数"),
    ({"rated_fill_kg": "十五"}, "rated_fill_kg", "0.1 到 500 之间的数"),
    ({"inspection_interval_years": "30"}, "inspection_interval_years", "1 到 20 之间的整数"),
    ({"inspection_interval_years": "2.5"}, "inspection_interval_years", "1 到 20 之间的整数"),
    ({"source": "   "}, "source", "必填"),
    ({"reason": ""}, "reason", "必填"),
    ({"reason": "理" * 501}, "reason", "最多 500 个字符"),
    ({"banned": "on"}, "banned_reason", "请说明禁用的原因"),
]


@pytest.mark.parametrize(("fields", "field", "words"), REFUSED)
@pytest.mark.parametrize("step", ["check", "confirm"])
def test_each_refusal_is_shown_in_the_form_with_the_values_kept(clean_app, world, fields, field,
                                                                 words, step):
    before = row("YSP35.5")
    sent = form(**{"inspection_interval_years": "3", **fields})  # a change, and a bad value
    resp = post(signed_in(clean_app, world, "regulator"), PAGE, data={**sent, "step": step})
    assert resp.status_code == 400
    mine = section(resp.text, "YSP35.5")
    assert words in mine.split(f'data-testid="error-{field}-YSP35.5"')[1].split("</span>")[0]
    for name in ("nominal_volume_l", "rated_fill_kg", "inspection_interval_years", "source",
                 "reason", "banned_reason"):
        assert value_of(resp.text, name, "YSP35.5") == sent[name].strip(), name
    assert recorded() == 0 and row("YSP35.5") == before


def test_an_empty_change_is_refused(clean_app, world):
    before = row("YSP35.5")
    resp = post(signed_in(clean_app, world, "regulator"), PAGE, data=form())
    assert resp.status_code == 400
    assert "没有要修改的内容" in resp.text.split('data-testid="rule-error-YSP35.5"')[1]
    assert value_of(resp.text, "reason", "YSP35.5") == "区市监局通知"
    assert recorded() == 0 and row("YSP35.5") == before


def add_form(model: str, **fields: str) -> dict[str, Any]:
    return {"mode": "add", "model": model, "nominal_volume_l": "24", "rated_fill_kg": "10",
            "inspection_interval_years": "4", "source": "GB 5842-2023", "reason": "新产品",
            **fields}


@pytest.mark.parametrize(("model", "words"), [
    ("YSP35.5", "规则表中已有此型号（YSP35.5）"),
    ("ｙｓｐ３５．５", "规则表中已有此型号（YSP35.5）"),
    ("Y" * 33, "最多 32 个字符"),
    ("", "必填"),
])
def test_adding_a_model_the_table_has_or_cannot_hold_is_refused(clean_app, world, model, words):
    resp = post(signed_in(clean_app, world, "regulator"), PAGE, data=add_form(model))
    assert resp.status_code == 400
    assert words in resp.text.split('data-testid="error-model-new"')[1].split("</span>")[0]
    assert value_of(resp.text, "model", "new") == model
    assert value_of(resp.text, "source", "new") == "GB 5842-2023"
    assert recorded() == 0 and row("YSP35.5")["inspection_interval_years"] == 4


def test_a_regulator_adds_a_model_and_goes_back_to_the_form(clean_app, world):
    regulator = signed_in(clean_app, world, "regulator")
    check = post(regulator, PAGE, data=add_form("YSP24"))
    assert "将 YSP24 加入规则表？" in check.text
    back = post(regulator, PAGE, data={**add_form("YSP24", rated_fill_kg="10.5"), "step": "edit"})
    assert back.status_code == 200 and value_of(back.text, "rated_fill_kg", "new") == "10.5"
    assert recorded() == 0 and row("YSP24") == {}
    done = regulator.post(PAGE, data={**add_form("YSP24"), "step": "confirm"})
    assert "已将型号 YSP24 加入规则表" in done.text
    assert "新增型号" in section(done.text, "YSP24")
    added = row("YSP24")
    assert (added["nominal_volume_l"], added["rated_fill_kg"]) == (24.0, 10.0) and recorded() == 1


def test_refusals_speak_the_readers_language(clean_app, world):
    regulator = signed_in(clean_app, world, "regulator", lang="en")
    resp = post(regulator, PAGE, data=form(rated_fill_kg="600"))
    assert "A number from 0.1 to 500." in resp.text
    empty = post(regulator, PAGE, data=form())
    assert "Nothing to change: the values are those of the table already." in empty.text
    assert recorded() == 0
