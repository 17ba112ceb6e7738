"""The code batches page: an admin orders codes for their own organisation and gives a batch to
a print shop, oversight for any owner; refusals come back in the form, nothing is written, and
another organisation's batches are neither listed nor assignable."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.traceability.models import Code, CodeBatch
from tests.delivery.test_pages import SignedIn, as_user  # noqa: F401 - the fixture

PAGE = "/printing/batches"


def _batches() -> list[tuple[int, int, int, str, int | None]]:
    db.session.rollback()  # see what the requests committed
    return [tuple(r) for r in db.session.execute(select(
        CodeBatch.id, CodeBatch.owner_org_id, CodeBatch.count, CodeBatch.status,
        CodeBatch.printer_org_id).order_by(CodeBatch.id))]


def _input_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)[1]


def _selected(html: str, name: str) -> str | None:
    select_html = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="(\d*)" selected>', select_html)
    return found[1] if found else None


def test_an_admin_orders_codes_for_their_own_organisation(as_user, world):  # noqa: F811
    admin = as_user("company_admin")
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert "二维码批次" in page.text and 'href="/printing/batches"' in page.text  # in the nav
    assert 'name="owner_org_id"' not in page.text and "莲池燃气公司" in page.text
    assert 'data-testid="no-batches"' in page.text
    # an owner sent anyway is not the admin's to choose: the batch is their organisation's
    done = admin.post(PAGE, data={"count": "12", "owner_org_id": str(world.orgs["station_b"])})
    assert 'data-testid="flash-ok"' in done.text and "12 个二维码" in done.text
    [(batch_id, owner, count, status, printer)] = _batches()
    assert (owner, count, status, printer) == (world.orgs["company"], 12, "issued", None)
    assert db.session.scalar(select(func.count()).where(Code.batch_id == batch_id)) == 12
    assert f'data-batch="{batch_id}"' in done.text
    assert f'data-testid="status-{batch_id}">已发放' in done.text


@pytest.mark.parametrize("name", ["regulator", "admin"])  # a regulator, a platform admin
def test_oversight_orders_codes_for_an_owner_it_chooses(as_user, world, name):  # noqa: F811
    page = as_user(name).get(PAGE)
    offered = set(re.findall(r'<option value="(\d+)"', page.text.split('name="count"')[0]))
    assert offered == {str(world.orgs[k]) for k in ("company", "station_a", "station_b")}
    done = as_user(name).post(PAGE, data={"count": "3", "owner_org_id": world.orgs["station_a"]})
    assert "为第一充装站生成 3 个二维码" in done.text
    assert [b[1:3] for b in _batches()] == [(world.orgs["station_a"], 3)]


@pytest.mark.parametrize("name", ["filler_a", "driver", "inspector", "printer"])
def test_other_roles_are_refused(as_user, name):  # noqa: F811
    user = as_user(name)
    assert user.get(PAGE).status_code == 403
    assert user.send(PAGE, data={"count": "5"}).status_code == 403
    assert user.send(f"{PAGE}/1/assign", data={"printer_org_id": "1"}).status_code == 403
    assert 'href="/printing/batches"' not in user.get("/").text
    assert _batches() == []


def test_signing_in_is_needed(client):
    resp = client.get(PAGE)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize(("count", "status"), [
    ("0", 400), ("100001", 400), ("abc", 400), ("", 400), ("-3", 400), ("2.5", 400),
    ("9" * 5000, 400), ("１２", 400),  # full-width digits are digits to Python, not to the form
])
def test_a_bad_count_is_refused_in_the_form(as_user, count, status):  # noqa: F811
    resp = as_user("company_admin").send(PAGE, data={"count": count})
    assert resp.status_code == status
    error = resp.text.split('data-testid="order-error">')[1].split("<")[0]
    assert error == "二维码数量须为 1 至 100000 之间的整数。"
    assert _input_value(resp.text, "count") == count
    assert _batches() == []


def test_oversight_must_choose_an_existing_owner(as_user, world):  # noqa: F811
    regulator = as_user("regulator")
    for owner in ("", "999999", "x", "9" * 30):
        resp = regulator.send(PAGE, data={"count": "7", "owner_org_id": owner})
        assert resp.status_code == 400, owner
        assert "请从列表中选择产权单位。" in resp.text
        assert _input_value(resp.text, "count") == "7"
    resp = regulator.send(PAGE, data={"count": "0", "owner_org_id": world.orgs["company"]})
    assert _selected(resp.text, "owner_org_id") == str(world.orgs["company"])
    assert _batches() == []


def test_refusals_speak_the_readers_language(clean_app, world):
    admin = SignedIn(clean_app, world.company_admin.id)
    with admin.client.session_transaction() as sess:
        sess["lang"] = "en"
    resp = admin.send(PAGE, data={"count": "0"})
    assert "The number of codes must be a whole number from 1 to 100000." in resp.text


def test_an_admin_gives_a_batch_to_a_print_shop_and_may_change_it(as_user, world, api):  # noqa: F811
    admin = as_user("company_admin")
    admin.post(PAGE, data={"count": "4"})
    [(batch_id, *_rest)] = _batches()
    done = admin.post(f"{PAGE}/{batch_id}/assign", data={"printer_org_id": world.orgs["printer"]})
    assert "已交给印务公司" in done.text
    assert f'data-testid="status-{batch_id}">已分配' in done.text
    assert f'data-testid="printer-{batch_id}">印务公司' in done.text
    assert _batches()[0][3:] == ("assigned", world.orgs["printer"])
    assert [b["id"] for b in api.get("/api/v1/code-batches", world.printer).json] == [batch_id]
    # not a print shop (a forged choice), or no choice: refused in the batch's form, which
    # still shows the print shop the batch has
    for choice in (world.orgs["station_b"], ""):
        resp = admin.send(f"{PAGE}/{batch_id}/assign", data={"printer_org_id": choice})
        assert resp.status_code == 400
        error = resp.text.split(f'data-testid="assign-error-{batch_id}">')[1].split("<")[0]
        assert error == "请从列表中选择印刷厂。"
        assert _selected(resp.text.split(f'data-batch="{batch_id}"')[1], "printer_org_id") == str(
            world.orgs["printer"])
    assert _batches()[0][3:] == ("assigned", world.orgs["printer"])
    # printed: it stays with its print shop
    printed = api.post(f"/api/v1/code-batches/{batch_id}/status", world.printer,
                       json={"status": "printed"})
    assert printed.status_code == 200
    page = admin.get(PAGE)
    assert f'data-testid="status-{batch_id}">已印制' in page.text
    assert f'data-testid="assign-form-{batch_id}"' not in page.text
    # a page opened before the print shop marked it printed: the refusal at the batch
    resp = admin.send(f"{PAGE}/{batch_id}/assign", data={"printer_org_id": world.orgs["printer"]})
    assert resp.status_code == 409
    error = resp.text.split(f'data-testid="assign-error-{batch_id}">')[1].split("<")[0]
    assert error == "该批次已印制，不能再更换印刷厂。"
    assert _batches()[0][3:] == ("printed", world.orgs["printer"])


def test_another_organisations_batch_is_neither_listed_nor_assignable(as_user, world,  # noqa: F811
                                                                      registry):
    registry.codes(2, owner="company")
    [(batch_id, *_rest)] = _batches()
    stranger = as_user("station_a_admin")
    assert f'data-batch="{batch_id}"' not in stranger.get(PAGE).text
    for printer in (world.orgs["printer"], ""):
        resp = stranger.send(f"{PAGE}/{batch_id}/assign", data={"printer_org_id": printer})
        missing = stranger.send(f"{PAGE}/2000000000/assign", data={"printer_org_id": printer})
        assert resp.status_code == missing.status_code == 404
    assert _batches()[0][3:] == ("issued", None)
    assert f'data-batch="{batch_id}"' in as_user("company_admin").get(PAGE).text
    assert f'data-batch="{batch_id}"' in as_user("regulator").get(PAGE).text
