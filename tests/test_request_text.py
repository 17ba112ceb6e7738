"""A NUL in a form field or the query string is refused before any view, on every database."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.oversight.models import PublicReport

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize("path", [
    "/oversight/search?serial_no=SN%00", "/oversight/search?manu%00facturer=x",
    "/api/v1/cylinders?manufacturer=%E7%94%B2%00", "/api/v1/hazards?item=a%00"])
def test_a_nul_in_the_query_string_is_refused_alike(api, world, path):
    """SQLite searched for it (200, nothing found); PostgreSQL refused the bound value (400
    value_out_of_range). Now both answer 400 invalid_text naming the parameter."""
    resp = api.get(path, world.regulator, headers={"Accept": "application/json"})
    assert resp.status_code == 400, (path, resp.status_code)
    assert resp.json["error"]["code"] == "invalid_text"
    assert resp.json["error"]["details"]["parameter"] in ("serial_no", "manu\\0facturer",
                                                          "manufacturer", "item")
    if not path.startswith("/api/"):
        page = api.get(path, world.regulator, headers=HTML)
        assert page.status_code == 400 and "空字符" in page.get_data(as_text=True)


def test_a_nul_in_a_form_field_is_refused_alike_and_nothing_is_stored(api, world, ctx):
    """Closing a report with a NUL in the note: SQLite stored it and closed the report,
    PostgreSQL refused it at the final commit. Now both answer 400 invalid_text, open still."""
    from app.oversight.public import submit_report

    report_id = submit_report("ABC", "other", "m", None).id
    db.session.commit()
    for data, headers in (({"note": "a\x00b"}, HTML), ({"no\x00te": "ok"}, {})):
        resp = api.post(f"/oversight/public-reports/{report_id}/close", world.regulator,
                        data=data, headers=headers)
        assert resp.status_code == 400, resp.data
        assert b"invalid_text" in resp.data
    multipart = api.post("/api/v1/cylinders/import", world.regulator,
                         data={"owner_org_id": "1\x00"}, content_type="multipart/form-data")
    assert (multipart.status_code, multipart.json["error"]["code"]) == (400, "invalid_text")
    db.session.rollback()
    assert db.session.get(PublicReport, report_id).status == "open"


def test_the_public_report_form_answers_a_nul_itself(client, registry):
    """The public's form gives the form back with its own message (it opts out)."""
    code = registry.cylinder()["code"]
    resp = client.post(f"/c/{code}/report", headers=HTML,
                       data={"category": "leak", "message": "阀门\x00漏气"})
    assert resp.status_code == 400 and 'data-testid="report-form"' in resp.get_data(True)
