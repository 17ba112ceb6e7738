"""Print shops: only assigned batches, every download recorded, reprints need a reason."""
from __future__ import annotations

import gc
import io
import warnings

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import update

from app.extensions import db
from app.scan import decode_image
from app.traceability.models import Code


@pytest.fixture
def batch(registry, api, world):
    codes = registry.codes(30)
    batch_id = api.get("/api/v1/code-batches", world.regulator).json[0]["id"]
    resp = api.post(f"/api/v1/code-batches/{batch_id}/assign", world.regulator,
                    json={"printer_org_id": world.orgs["printer"]})
    assert resp.status_code == 200 and resp.json["status"] == "assigned"
    return batch_id, sorted(c["code"] for c in codes)


def decode_pdf(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    found = []
    for page in pdf:
        image = page.render(scale=200 / 72).to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        hits = decode_image(buf.getvalue())
        found += [h.text for h in sorted(hits, key=lambda h: (round(h.points[0][1] / 50),
                                                               h.points[0][0]))]
    pdf.close()
    return found


def test_printer_downloads_its_batch_and_every_label_scans(batch, api, world):
    batch_id, codes = batch
    resp = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf?template=a4-3x8-70x37&skip=2",
                   world.printer)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    texts = decode_pdf(resp.data)
    assert texts == [f"https://gas.example.cn/c/{c}" for c in codes]
    jobs = api.get("/api/v1/print-jobs", world.printer).json
    assert jobs[0]["format"] == "pdf" and jobs[0]["codes"] == codes and not jobs[0]["reprint"]
    assert jobs[0]["skip"] == 2 and jobs[0]["template"] == "a4-3x8-70x37"


def test_second_download_is_a_reprint_and_needs_a_reason(batch, api, world):
    batch_id = batch[0]
    url = f"/api/v1/code-batches/{batch_id}/labels.pdf"
    assert api.get(url, world.printer).status_code == 200
    again = api.get(url, world.printer)
    assert (again.status_code, again.json["error"]["code"]) == (409, "reprint_reason_required")
    ok = api.get(url + "?reason=%E5%8D%B0%E5%88%B7%E6%9C%BA%E5%8D%A1%E7%BA%B8", world.printer)
    assert ok.status_code == 200
    seen = api.get("/api/v1/print-jobs", world.regulator).json
    assert [j["reprint"] for j in seen[:2]] == [True, False]
    assert seen[0]["reason"] == "印刷机卡纸"


def test_printers_see_only_their_batches(batch, api, world, ctx):
    from app.auth import services

    other_printer = services.create_org("别家印务", "printer")
    user = services.create_user(None, "printer2", other_printer.id, "printer")
    token = services.issue_token(user)
    from app.extensions import db

    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    batch_id, _ = batch
    assert api.get("/api/v1/code-batches", headers=headers).json == []
    resp = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf", headers=headers)
    assert resp.status_code == 404
    assert api.get("/api/v1/code-batches", world.printer).json[0]["id"] == batch_id
    reprint = api.post("/api/v1/labels/reprint", headers=headers,
                       json={"codes": [batch[1][0]], "reason": "x"})
    assert reprint.status_code == 404


def test_zpl_carries_each_code_once(batch, api, world):
    batch_id, codes = batch
    resp = api.get(f"/api/v1/code-batches/{batch_id}/labels.zpl?dpi=300", world.printer)
    assert resp.status_code == 200
    text = resp.data.decode()
    assert text.count("^XA") == len(codes)
    for code in codes:
        assert text.count(f"/c/{code}") == 1


def test_reprint_hand_picked_codes(batch, api, world):
    _, codes = batch
    refused = api.post("/api/v1/labels/reprint", world.printer, json={"codes": codes[:2]})
    assert refused.status_code == 400
    resp = api.post("/api/v1/labels/reprint", world.printer,
                    json={"codes": [codes[3], codes[1].lower()], "reason": "标签破损"})
    assert resp.status_code == 200
    assert decode_pdf(resp.data) == [f"https://gas.example.cn/c/{c}" for c in (codes[3], codes[1])]
    job = api.get("/api/v1/print-jobs", world.regulator).json[0]
    assert job["reprint"] and job["reason"] == "标签破损" and job["batch_id"] is None


def test_reprint_refuses_a_cell_off_the_sheet_and_retired_codes(batch, api, world):
    _, codes = batch
    for skip in (24, 2**63 - 1, -1):  # a4-3x8-70x37 has cells 0..23
        resp = api.post("/api/v1/labels/reprint", world.printer, json={
            "codes": codes[:1], "reason": "卡纸", "template": "a4-3x8-70x37", "skip": skip})
        assert resp.status_code == 400 and resp.json["error"]["code"] in (
            "invalid_skip", "validation_error"), (skip, resp.json)
    db.session.execute(update(Code).where(Code.code == codes[5]).values(status="retired"))
    db.session.commit()
    dead = api.post("/api/v1/labels/reprint", world.printer,
                    json={"codes": [codes[4], codes[5]], "reason": "标签破损"})
    assert (dead.status_code, dead.json["error"]["code"]) == (409, "code_retired")
    assert api.get("/api/v1/print-jobs", world.printer).json == []  # nothing was recorded


def test_preview_png_and_single_label(batch, api, world):
    batch_id, codes = batch
    preview = api.get(f"/api/v1/code-batches/{batch_id}/preview.png", world.printer)
    assert preview.status_code == 200
    assert Image.open(io.BytesIO(preview.data)).size[0] > 300
    png = api.get(f"/api/v1/codes/{codes[0]}/label.png?template=roll-60x40", world.printer)
    assert png.status_code == 200
    assert [h.text for h in decode_image(png.data)] == [f"https://gas.example.cn/c/{codes[0]}"]
    svg = api.get(f"/api/v1/codes/{codes[1]}/label.svg", world.printer)
    assert svg.status_code == 200 and b"<svg" in svg.data
    formats = [j["format"] for j in api.get("/api/v1/print-jobs", world.printer).json]
    assert formats == ["svg", "png", "preview"]


@pytest.mark.parametrize("template", ["a4-3x8-70x37", "roll-60x40"])
def test_a_preview_shows_the_sheet_but_prints_no_usable_label(batch, api, world, template):
    """The preview is recorded as a preview, not a print, yet its codes scanned (24 of 24 on
    an A4 3x8 sheet at 60 dpi): the first sheet could be printed from previews without a
    reason. Its QR codes now hold sample text of the same length (the same size on the
    sheet); the download still scans."""
    batch_id, codes = batch
    preview = api.get(f"/api/v1/code-batches/{batch_id}/preview.png", world.printer,
                      query_string={"template": template})
    assert preview.status_code == 200
    texts = [hit.text for hit in decode_image(preview.data)]
    assert texts and not [t for t in texts if any(code in t for code in codes)]
    assert {len(t) for t in texts} == {len(f"https://gas.example.cn/c/{codes[0]}")}
    sheets = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf", world.printer,
                     query_string={"template": template})
    assert sorted(t.rsplit("/", 1)[-1] for t in decode_pdf(sheets.data)) == codes


def test_label_artwork_of_a_printed_code_needs_a_reason(batch, api, world):
    """Single-label artwork went through the reprint path with the reason "single label
    artwork" made up: any code could be printed again and again without a word, and a first
    print was listed as a reprint. Now artwork is a print like a sheet."""
    code = batch[1][0]
    url = f"/api/v1/codes/{code}/label.svg"
    assert api.get(url, world.printer).status_code == 200
    again = api.get(f"/api/v1/codes/{code}/label.png", world.printer)
    assert (again.status_code, again.json["error"]["code"]) == (409, "reprint_reason_required")
    assert api.get(url, world.printer, query_string={"reason": "贴歪了"}).status_code == 200
    jobs = api.get("/api/v1/print-jobs", world.regulator).json
    assert [(j["format"], j["reprint"], j["reason"]) for j in jobs] == [
        ("svg", True, "贴歪了"), ("svg", False, None)]


def test_batch_status_flow(batch, api, world):
    batch_id, _ = batch
    url = f"/api/v1/code-batches/{batch_id}/status"
    early = api.post(url, world.printer, json={"status": "delivered"})
    assert early.json["error"]["code"] == "invalid_transition"
    assert api.post(url, world.regulator, json={"status": "printed"}).status_code == 403
    assert api.post(url, world.printer, json={"status": "printed"}).json["status"] == "printed"
    assert api.post(url, world.printer, json={"status": "delivered"}).json["status"] == "delivered"


def test_bad_template_and_skip(batch, api, world):
    batch_id = batch[0]
    bad = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf?template=nope", world.printer)
    assert bad.json["error"]["code"] == "unknown_template"
    skip = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf?skip=24", world.printer)
    assert skip.json["error"]["code"] == "invalid_skip"


def test_cli_render_with_progress(batch, clean_app, tmp_path, world):
    batch_id, codes = batch
    out = tmp_path / "sheet.pdf"
    result = clean_app.test_cli_runner().invoke(args=[
        "labels", "render", "--batch", str(batch_id), "--template", "a4-4x10-48x25",
        "--out", str(out), "--as-user", "printer"])
    assert result.exit_code == 0, result.output
    assert decode_pdf(out.read_bytes()) == [f"https://gas.example.cn/c/{c}" for c in codes]


@pytest.mark.parametrize("serial_no", ["SN😀01", "SN\x0702"])
def test_a_serial_number_the_label_cannot_print_is_a_clear_409(batch, api, registry, world,
                                                              serial_no):
    """A stored text with an emoji or a control character used to make every download a 500."""
    from app.traceability.models import Cylinder

    batch_id, codes = batch
    registry.cylinder(code=codes[3])
    # as an import or an older release may have stored it (the registry's input is not the
    # only way in): the label must refuse it by name, not crash
    db.session.execute(update(Cylinder).where(Cylinder.code == codes[3])
                       .values(serial_no=serial_no))
    db.session.commit()
    downloads = [
        api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf", world.printer),
        api.get(f"/api/v1/code-batches/{batch_id}/labels.zpl", world.printer),
        api.get(f"/api/v1/code-batches/{batch_id}/preview.png", world.printer),
        api.get(f"/api/v1/codes/{codes[3]}/label.png", world.printer),
        api.get(f"/api/v1/codes/{codes[3]}/label.svg", world.printer),
        api.post("/api/v1/labels/reprint", world.printer,
                 json={"codes": [codes[3]], "reason": "标签破损"}),
    ]
    for resp in downloads:
        assert resp.status_code == 409, (resp.status_code, resp.json)
        error = resp.json["error"]
        assert error["code"] == "label_text_unprintable"
        assert error["details"]["code"] == codes[3]
        assert error["details"]["field"] == "serial_no"
        assert codes[3] in error["message"]
    assert api.get("/api/v1/print-jobs", world.printer).json == []  # nothing was recorded
    # the other codes of the batch still print
    ok = api.post("/api/v1/labels/reprint", world.printer,
                  json={"codes": [codes[4]], "reason": "标签破损"})
    assert ok.status_code == 200 and ok.mimetype == "application/pdf"


def test_an_owner_name_the_label_cannot_print_is_a_clear_409(batch, api, world):
    from app.auth.models import Organisation

    batch_id, _ = batch
    db.session.execute(update(Organisation).where(Organisation.id == world.orgs["company"])
                       .values(name="燃气\U0001F525公司"))
    db.session.commit()
    resp = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf", world.printer)
    assert resp.status_code == 409, (resp.status_code, resp.json)
    assert resp.json["error"]["details"]["field"] == "owner_name"
    assert "U+1F525" in resp.json["error"]["message"]


def test_a_batch_download_leaves_out_codes_retired_with_their_scrapped_cylinder(batch, api,
                                                                               world):
    """The hand-picked reprint refused retired codes, but a batch download printed them."""
    batch_id, codes = batch
    db.session.execute(update(Code).where(Code.code.in_([codes[5], codes[9]]))
                       .values(status="retired"))
    db.session.commit()
    live = [c for c in codes if c not in (codes[5], codes[9])]
    resp = api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf", world.printer)
    assert resp.status_code == 200, resp.json
    assert decode_pdf(resp.data) == [f"https://gas.example.cn/c/{c}" for c in live]
    zpl = api.get(f"/api/v1/code-batches/{batch_id}/labels.zpl?reason=%E5%8D%A1%E7%BA%B8",
                  world.printer)
    assert zpl.status_code == 200 and zpl.data.decode().count("^XA") == len(live)
    assert f"/c/{codes[5]}".encode() not in zpl.data
    jobs = api.get("/api/v1/print-jobs", world.printer).json
    assert [j["codes"] for j in jobs] == [live, live]
    assert [j["code_count"] for j in jobs] == [len(live), len(live)]


def test_a_batch_whose_codes_are_all_retired_has_nothing_to_print(batch, api, world):
    batch_id, codes = batch
    db.session.execute(update(Code).where(Code.code.in_(codes)).values(status="retired"))
    db.session.commit()
    for fmt in ("labels.pdf", "labels.zpl", "preview.png"):
        resp = api.get(f"/api/v1/code-batches/{batch_id}/{fmt}", world.printer)
        assert (resp.status_code, resp.json["error"]["code"]) == (409, "no_codes_to_print"), fmt
    assert api.get("/api/v1/print-jobs", world.printer).json == []


def test_zpl_downloads_name_their_charset_once(batch, api, world):
    """The header read `text/plain; charset=utf-8; charset=utf-8` (a repeated parameter)."""
    batch_id, codes = batch
    sheet = api.get(f"/api/v1/code-batches/{batch_id}/labels.zpl", world.printer)
    picked = api.post("/api/v1/labels/reprint", world.printer,
                      json={"codes": codes[:1], "reason": "卡纸", "format": "zpl"})
    for resp in (sheet, picked):
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.slow
def test_a_batch_over_65535_codes_prints_on_every_database(api, world, ctx):
    """Batches may hold 100,000 codes, but printing looked codes up with one IN list: on
    PostgreSQL (at most 65,535 parameters a statement) the download failed with a 503
    "database busy, retry" that no retry could cure."""
    from app.auth.models import User
    from app.printing import services
    from app.traceability.services import issue_codes

    regulator = db.session.get(User, world.regulator.id)
    batch = issue_codes(regulator, world.orgs["company"], 66_000)  # just over the limit
    db.session.commit()
    assigned = api.post(f"/api/v1/code-batches/{batch.id}/assign", world.regulator,
                        json={"printer_org_id": world.orgs["printer"]})
    assert assigned.status_code == 200
    db.session.rollback()  # see the assignment the API committed
    printer = db.session.get(User, world.printer.id)
    first = services.print_batch(printer, batch.id, "a4-3x8-70x37", "zpl")
    assert len(first.labels) == 66_000 and not first.job.reprint
    assert {lb.owner_name for lb in first.labels} == {"莲池燃气公司"}
    db.session.commit()
    again = services.print_batch(printer, batch.id, "a4-3x8-70x37", "pdf", reason="卡纸")
    assert again.job.reprint and again.job.code_count == 66_000
    db.session.commit()


def test_printing_page_names_the_batch_status(batch, client, world):
    with client.session_transaction() as session:
        session["_user_id"] = str(world.users["printer"].id)
        session["_fresh"] = True
    with client.application.app_context():  # each request its own context, as in production
        zh = client.get("/printing").get_data(as_text=True)
    assert 'badge-warn">已分配</span>' in zh and ">assigned<" not in zh
    with client.application.app_context():
        en = client.get("/printing?lang=en").get_data(as_text=True)
    assert 'badge-warn">Assigned</span>' in en


@pytest.mark.parametrize("second", ["printed", "assign"])
def test_a_batch_step_taken_twice_at_once_is_taken_once(batch, api, world, clean_app, second):
    """Both read the batch 'assigned' before either wrote (PostgreSQL runs them side by side):
    it was marked printed twice, or re-assigned after its labels were printed (back to
    'assigned'). Now the second waits for the row and answers 409."""
    from app.auth import services
    from tests.db_helpers import race

    batch_id = batch[0]
    printed = ("/status", world.printer, {"status": "printed"})
    if second == "assign":  # to another shop: either order leaves one step standing
        shop = services.create_org("第二印务公司", "printer").id
        db.session.commit()
        other = ("/assign", world.regulator, {"printer_org_id": shop})
    else:
        other = printed
    answers = race(clean_app, [
        lambda client, step=step: client.post(f"/api/v1/code-batches/{batch_id}{step[0]}",
                                              json=step[2], headers=step[1].headers)
        for step in (printed, other)],
        lambda sql: sql.lstrip().upper().startswith("UPDATE CODE_BATCHES"))
    codes = sorted(a.status_code for a in answers)
    # printed first: the re-assignment finds it printed (409); re-assigned first: the first
    # shop no longer sees the batch (404)
    assert codes in ([200, 409], [200, 404]), [a.json for a in answers]
    done = next(a for a in answers if a.status_code == 200).json
    stored = next(b for b in api.get("/api/v1/code-batches", world.regulator).json
                  if b["id"] == batch_id)
    assert (stored["status"], stored["printer_org_id"]) == (done["status"],
                                                            done["printer_org_id"])


def test_a_reprint_reason_is_bounded_on_every_path(batch, api, world):
    """The POST reprint takes a reason of 1..500 characters; a download's `reason` query and
    the page's reprint form took any length and stored it on the print job. Now each refuses
    a longer one with 400 and records nothing."""
    batch_id, codes = batch
    long = "卡纸" * 251  # 502 characters
    before = len(api.get("/api/v1/print-jobs", world.regulator).json)
    for url in (f"/api/v1/code-batches/{batch_id}/labels.pdf",
                f"/api/v1/code-batches/{batch_id}/labels.zpl",
                f"/api/v1/codes/{codes[0]}/label.svg"):
        resp = api.get(url, world.printer, query_string={"reason": long})
        assert resp.status_code == 400, (url, resp.status_code)
        assert resp.json["error"]["code"] == "validation_error"
        assert "reason" in resp.json["error"]["details"]["query"]
    form = api.post("/printing/reprint", world.printer, headers={"Accept": "text/html"},
                    data={"codes": codes[0], "template": "a4-3x8-70x37", "reason": long})
    assert form.status_code == 400 and "原因最多 500 个字。" in form.get_data(as_text=True)
    assert f">{codes[0]}</textarea>" in form.get_data(as_text=True)  # what was typed is kept
    assert len(api.get("/api/v1/print-jobs", world.regulator).json) == before
    ok = api.get(f"/api/v1/codes/{codes[0]}/label.svg", world.printer,
                 query_string={"reason": long[:500]})
    assert ok.status_code == 200


def test_the_printing_page_shows_a_print_jobs_time_in_district_time(batch, api, client, world):
    """Stored in UTC; the print shop reads Beijing time (it showed UTC, 8 hours early)."""
    from app.clock import DISTRICT_TZ
    from app.printing.models import PrintJob

    batch_id, _codes = batch
    assert api.get(f"/api/v1/code-batches/{batch_id}/labels.pdf", world.printer).status_code == 200
    db.session.rollback()
    job = db.session.scalars(db.select(PrintJob).order_by(PrintJob.id.desc())).first()
    local = job.created_at.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")
    with client.session_transaction() as session:
        session["_user_id"] = str(world.users["printer"].id)
        session["_fresh"] = True
    with client.application.app_context():
        page = client.get("/printing").get_data(as_text=True)
    assert f'<td data-label="#">{job.id}</td><td data-label="时间">{local}</td>' in page


def test_the_pages_reprint_closes_its_spooled_sheets(batch, api, world):
    """The page's reprint read the sheets from a spooled temporary file and left it to the
    garbage collector to close (ResourceWarning: unclosed file); found by fuzzing the forms."""
    _batch_id, codes = batch
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        resp = api.post("/printing/reprint", world.regulator, data={
            "codes": codes[0], "template": "a4-3x8-70x37", "reason": "标签破损"})
        gc.collect()
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", resp.data[:300]
    assert [text.rsplit("/", 1)[-1] for text in decode_pdf(resp.data)] == [codes[0]]
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_the_pages_download_says_a_refusal_beside_the_batch_and_zpl_follows_the_form(
        batch, api, world):
    """The page's buttons opened the API's URLs: a second download without a reason showed
    the print shop a JSON document, and the ZPL link carried neither the chosen template nor
    a reason, so a ZPL reprint could not be had from the page at all. Now the page says the
    refusal beside the batch with the choices kept, and ZPL follows the form."""
    batch_id, codes = batch
    url, html = f"/printing/{batch_id}/labels", {"Accept": "text/html"}
    first = api.get(url, world.printer, headers=html,
                    query_string={"template": "a4-4x10-48x25", "skip": "3", "format": "pdf"})
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert sorted(t.rsplit("/", 1)[-1] for t in decode_pdf(first.data)) == codes
    again = api.get(url, world.printer, headers=html,
                    query_string={"template": "roll-50x30", "format": "zpl", "reason": ""})
    assert again.status_code == 409 and again.mimetype == "text/html"
    page = again.get_data(as_text=True)
    said = f"其中 {len(codes)} 个编码以前印过；补印须填写原因。"
    assert f'data-testid="error-{batch_id}">{said}' in page
    assert '<option value="roll-50x30" selected>' in page
    zpl = api.get(url, world.printer, headers=html,
                  query_string={"template": "roll-50x30", "format": "zpl", "reason": "色带断了"})
    assert zpl.status_code == 200 and zpl.mimetype == "text/plain"
    assert zpl.data.count(b"^XA") == len(codes) and b"^PW400" in zpl.data  # 50 mm at 203 dpi
    jobs = api.get("/api/v1/print-jobs", world.printer).json
    assert [(j["format"], j["template"], j["reprint"], j["reason"]) for j in jobs[:2]] == [
        ("zpl", "roll-50x30", True, "色带断了"), ("pdf", "a4-4x10-48x25", False, None)]

