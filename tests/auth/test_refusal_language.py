"""The Users page's refusals name the record in the page's language; the API keeps its
English (the services built "No user 7." with an f-string, so no catalog had it)."""
from __future__ import annotations

import pytest

from app.auth import services
from app.errors import ValidationFailed, page_message
from app.extensions import db
from tests.delivery.test_pages import SignedIn


def test_another_organisations_user_and_token_are_not_found_in_chinese(clean_app, world, api):
    admin = SignedIn(clean_app, world.company_admin.id)
    stranger = world.inspector.id
    page = admin.get(f"/users/{stranger}")
    assert page.status_code == 404
    assert f"没有编号为 {stranger} 的账号。" in page.text and "No user" not in page.text
    page = admin.send(f"/users/{world.company_admin.id}/tokens/424242/revoke")
    assert page.status_code == 404
    assert "没有编号为 424242 的令牌。" in page.text and "No token" not in page.text
    answer = api.call("PATCH", f"/api/v1/users/{stranger}", world.company_admin,
                      json={"active": False})
    assert answer.json["error"] == {"code": "user_not_found", "message": f"No user {stranger}."}
    answer = api.delete("/api/v1/tokens/424242", world.company_admin)
    assert answer.json["error"]["message"] == "No token 424242."


def test_a_role_the_organisation_cannot_have_is_named_in_chinese(clean_app, world, api):
    answer = api.post("/api/v1/users", world.admin, json={
        "name": "typesetter", "org_id": world.orgs["printer"], "role": "driver",
        "password": "password-123"})
    assert answer.json["error"] == {"code": "role_not_for_org",
                                    "message": "A printer cannot have a driver user."}
    with pytest.raises(ValidationFailed) as refused_info:
        services.create_user(None, "typesetter", world.orgs["printer"], "driver")
    db.session.rollback()
    refused = refused_info.value
    # the Users form says its own words for this code; any other page says the service's
    for query, said in (("", "印刷企业不能设“送气工”账号。"),
                        ("?lang=en", "A printer cannot have a driver user.")):
        with clean_app.app_context(), clean_app.test_request_context(f"/{query}"):
            assert page_message(refused) == said


def test_a_page_for_another_role_is_refused_in_chinese(clean_app, world, api):
    """The access rule's refusal was an unmarked English sentence on every 403 page."""
    page = SignedIn(clean_app, world.driver.id).get("/company/areas")
    assert page.status_code == 403
    assert "您的角色无权执行此操作。" in page.text and "Your role" not in page.text
    answer = api.post("/api/v1/areas", world.driver, json={"name": "x", "polygon": []})
    assert answer.json["error"] == {"code": "role_forbidden",
                                    "message": "Your role may not do this."}
