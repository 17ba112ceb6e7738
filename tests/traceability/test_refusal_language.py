"""The rule table's and code batches' refusals are templates with values: the API answers the
English it always did, any page says them in Chinese (the services built them with f-strings,
so no catalog had them)."""
from __future__ import annotations

import pytest

from app.auth.models import User
from app.errors import APIError, page_message
from app.extensions import db
from app.traceability import rule_changes
from app.traceability.import_files import read_sheets
from app.traceability.services import MAX_BATCH, issue_codes


def _said(app, exc: APIError) -> dict[str, str]:
    """What a Chinese page and an English page say for the refusal."""
    said = {}
    for lang in ("zh_CN", "en"):
        with app.app_context(), app.test_request_context(f"/?lang={lang}"):
            said[lang] = page_message(exc)
    return said


def test_another_spelling_of_a_model_is_refused_with_both_names(clean_app, world):
    regulator = db.session.get(User, world.regulator.id)
    with pytest.raises(APIError) as refused:
        rule_changes.plan_model_change(regulator, "ysp35.5", {"rated_fill_kg": 14.5})
    db.session.rollback()
    exc = refused.value
    assert (exc.code, exc.message) == (
        "model_exists", "'ysp35.5' is another spelling of the model YSP35.5; change that row "
                        "instead.")
    assert _said(clean_app, exc) == {
        "zh_CN": "'ysp35.5' 是型号 YSP35.5 的另一种写法；请修改该行。", "en": exc.message}


def test_a_code_batch_not_there_is_named_in_both_languages(clean_app, world, api):
    answer = api.get("/api/v1/code-batches/424242", world.company_admin)
    assert answer.status_code == 404
    assert answer.json["error"] == {"code": "not_found", "message": "No code batch 424242."}
    with pytest.raises(APIError) as refused:
        issue_codes(db.session.get(User, world.regulator.id), world.orgs["company"], 0)
    db.session.rollback()
    assert _said(clean_app, refused.value) == {
        "zh_CN": f"数量须在 1 到 {MAX_BATCH} 之间。",
        "en": f"count must be between 1 and {MAX_BATCH}."}


def test_an_unreadable_workbook_is_named_in_both_languages(clean_app):
    with pytest.raises(APIError) as refused:
        list(read_sheets(b"PK\x03\x04 not a workbook", "台账.xlsx"))
    assert refused.value.code == "unreadable_file"
    assert _said(clean_app, refused.value) == {
        "zh_CN": "无法将 '台账.xlsx' 作为表格读取（文件可能已损坏）：请在 Excel 中打开，重新保存为 "
                 ".xlsx 或 CSV。",
        "en": "Cannot read '台账.xlsx' as a spreadsheet (it may be damaged): open it in Excel "
              "and save it again as .xlsx or CSV."}
