"""Records that are not there are named in the page's language: the services said "No flag 9."
and "No entrustment 9." with f-strings, which no catalog had; the API keeps that English."""
from __future__ import annotations

from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture


def _flash(who: SignedIn, path: str, **data: str) -> str:
    """Post a work-queue form (answered 303) and read the refusal on the page it leads to."""
    answer = who.send(path, data=data)
    assert answer.status_code == 303, answer.text
    html = who.get(answer.headers["Location"]).text
    return html.split('data-testid="flash-bad">')[1].split("</p>")[0]


def test_a_flag_or_report_gone_is_said_in_chinese(as_user):  # noqa: F811
    regulator = as_user("regulator")
    said = _flash(regulator, "/oversight/flags/424242/resolve", note="已核实")
    assert said == "没有编号为 424242 的异常标记。"
    said = _flash(regulator, "/oversight/public-reports/424242/close", note="已处理")
    assert said == "没有编号为 424242 的举报。"


def test_an_entrustment_gone_is_said_in_chinese(as_user, api, world):  # noqa: F811
    page = as_user("company_admin").send("/entrustments/424242/revoke")
    assert page.status_code == 404
    assert "没有编号为 424242 的托管。" in page.text and "No entrustment" not in page.text
    answer = api.post("/api/v1/entrustments/424242/revoke", world.company_admin)
    assert answer.json["error"] == {"code": "entrustment_not_found",
                                    "message": "No entrustment 424242."}
    answer = api.post("/api/v1/flags/424242/resolve", world.regulator, json={"note": "ok"})
    assert answer.json["error"]["message"] == "No flag 424242."


def test_a_page_refusal_asked_for_as_json_is_english(as_user):  # noqa: F811
    """The page views raised their refusals already translated, so a client asking for JSON
    got Chinese in `message`, which the API keeps English."""
    admin = as_user("company_admin")  # an admin, but not a regulator's
    page = admin.get("/oversight/blacklist")
    assert page.status_code == 403 and "只有监管人员" in page.text
    answer = admin.get("/oversight/blacklist", headers={"Accept": "application/json"})
    assert answer.status_code == 403
    assert answer.json["error"] == {"code": "regulator_only",
                                    "message": "Only regulators keep the blacklist."}
