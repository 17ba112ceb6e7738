"""The reprint form's refusals name the code in the page's language; the API keeps its English
(the service built them with f-strings, so a Chinese page said "Code … is not one you may
print.")."""
from __future__ import annotations

from app.printing.services import MAX_REPRINT
from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture


def test_a_reprint_of_a_code_not_yours_is_refused_in_chinese(as_user, registry, api,  # noqa: F811
                                                             world):
    code = registry.codes(1)[0]["code"]  # the company's, given to no print shop
    form = {"codes": code, "template": "a4-3x8-70x37", "reason": "标签损坏"}
    page = as_user("printer").send("/printing/reprint", data=form)
    assert page.status_code == 404
    assert f"编码 {code} 不在您可打印的范围内。" in page.text
    assert "not one you may print" not in page.text
    page = as_user("printer").send("/printing/reprint", data={**form, "codes": ""})
    assert f"请填写 1 到 {MAX_REPRINT} 个编码。" in page.text and "Send 1" not in page.text
    answer = api.post("/api/v1/labels/reprint", world.printer,
                      json={"codes": [code], "template": "a4-3x8-70x37", "reason": "damaged"})
    assert answer.json["error"] == {"code": "code_not_found",
                                    "message": f"Code {code} is not one you may print."}
