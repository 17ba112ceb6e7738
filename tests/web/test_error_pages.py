"""Error pages speak the reader's language; the API's error bodies stay in English."""
from __future__ import annotations

import re

import pytest

HTML = {"Accept": "text/html"}


@pytest.fixture
def regulator(client, world):
    with client.session_transaction() as session:
        session["_user_id"] = str(world.users["regulator"].id)
        session["_fresh"] = True
    return client


def _message(html: str) -> str:
    main = re.search(r"<main[^>]*>(.*?)</main>", html, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.mark.parametrize("path, status, zh", [
    ("/no-such-page", 404, "没有这个页面"),
    ("/oversight/search?customer_id=99999999999999999999", 400, "数值超出范围"),
    ("/oversight/cylinders/NOT-OURS!", 400, "不是本系统的气瓶编码"),
    ("/oversight/cylinders/AAAAAAAAAAAAAAAA", 400, "编码校验不通过"),
    # a page of another role (typed or from an old link) said "Your role may not do this."
    ("/oversight/inspect", 403, "您的角色无权执行此操作"),
])
def test_error_pages_are_chinese(regulator, path, status, zh):
    resp = regulator.get(path, headers=HTML)
    assert resp.status_code == status
    text = _message(resp.get_data(as_text=True))
    assert zh in text, text
    assert not re.search(r"[A-Za-z]{4,} [a-z]{2,} [a-z]{2,}", text), text  # no English sentence


def test_wrong_method_page_is_chinese(regulator):
    resp = regulator.put("/oversight/search", headers=HTML)
    assert resp.status_code == 405 and "不支持" in _message(resp.get_data(as_text=True))


def test_the_api_keeps_english_messages(regulator):
    body = regulator.get("/api/v1/cylinders?customer_id=99999999999999999999").get_json()
    assert body["error"]["code"] in ("value_out_of_range", "validation_error")
    assert regulator.get("/api/v1/nope").get_json()["error"]["message"].startswith("The ")
