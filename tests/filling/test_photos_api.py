"""The interlock by photo: real image bytes through the real endpoint and the real decoder."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.filling.models import Fill
from tests.filling.photos import qr_photo

# ../shared next to the main checkout; a worktree sits one level deeper
PHOTOS = next((p / "shared" / "qr-photos" for p in Path(__file__).resolve().parents
               if (p / "shared" / "qr-photos").is_dir()), None)
if PHOTOS is None:
    pytest.fail("../shared/qr-photos (beside the checkout) is missing", pytrace=False)
FOREIGN = [PHOTOS / "qrcode-1" / "1.png", PHOTOS / "qrcode-5" / "01.png"]


def post_photo(api, actor, data: bytes, name: str = "scale.jpg", **fields):
    form = {"image": (io.BytesIO(data), name), **{k: str(v) for k, v in fields.items()}}
    return api.post("/api/v1/fillings", actor, data=form, content_type="multipart/form-data")


def test_photo_of_an_own_cylinder_is_allowed_and_recorded(registry, api, world):
    cyl = registry.cylinder(owner="station_a")
    resp = post_photo(api, world.filler_a, qr_photo([cyl["payload"]]), net_mass_kg=14.2)
    assert resp.status_code == 201, resp.json
    assert resp.json["allowed"] is True
    [item] = resp.json["results"]
    assert (item["allowed"], item["code"], item["text"]) == (True, cyl["code"], cyl["payload"])
    assert item["event"]["type"] == "filled"
    assert item["fill"]["net_mass_kg"] == 14.2
    assert len(item["points"]) == 4
    assert all(0 <= x <= 1600 and 0 <= y <= 1200 for x, y in item["points"])


def test_every_code_in_the_photo_is_checked_and_listed(registry, api, world):
    own = registry.cylinder(owner="station_a")
    stranger = registry.cylinder(owner="station_b")
    photo = qr_photo([own["payload"], stranger["payload"]], seed=2)
    resp = post_photo(api, world.filler_a, photo)
    assert resp.status_code == 409, resp.json
    assert resp.json["allowed"] is False
    by_code = {item["code"]: item for item in resp.json["results"]}
    assert set(by_code) == {own["code"], stranger["code"]}
    assert by_code[own["code"]]["allowed"] is True
    assert by_code[own["code"]]["event"]["type"] == "filled"
    assert [r["code"] for r in by_code[stranger["code"]]["reasons"]] == ["not_owned"]
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 1


def test_a_cylinder_with_two_labels_is_checked_once(registry, api, world):
    cyl = registry.cylinder(owner="station_a")
    resp = post_photo(api, world.filler_a, qr_photo([cyl["payload"], cyl["display_code"]]))
    assert resp.status_code == 201, resp.json
    assert [item["code"] for item in resp.json["results"]] == [cyl["code"]]


@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_foreign_qr_photos_are_refused_as_foreign(api, world, path: Path):
    resp = post_photo(api, world.filler_a, path.read_bytes(), name=path.name)
    assert resp.status_code == 409, resp.json
    [item] = resp.json["results"]
    assert item["text"] == path.with_suffix(".txt").read_text(encoding="utf-8").rstrip()
    assert [r["code"] for r in item["reasons"]] == ["foreign_code"]
    assert item["reasons"][0]["message"] == "非本系统气瓶码"


def test_failed_precheck_sent_with_the_photo_refuses(registry, api, world):
    cyl = registry.cylinder(owner="station_a")
    resp = post_photo(api, world.filler_a, qr_photo([cyl["payload"]]), no_damage="false",
                      tare_known="true")
    assert resp.status_code == 409
    assert [r["code"] for r in resp.json["results"][0]["reasons"]] == ["precheck_damage"]


def test_same_event_id_with_a_photo_records_one_fill(registry, api, world):
    cyl = registry.cylinder(owner="station_a")
    photo = qr_photo([cyl["payload"]])
    event_id = str(uuid.uuid4())
    first = post_photo(api, world.filler_a, photo, event_id=event_id)
    second = post_photo(api, world.filler_a, photo, event_id=event_id)
    assert first.status_code == second.status_code == 201
    assert first.json["results"][0]["event"]["id"] == event_id
    assert second.json["results"][0]["replayed"] is True
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 1


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 200).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"", 400, "empty_image"),
    (b"this is not a picture at all" * 20, 415, "unsupported_image"),
    (_png((640, 480))[:200], 400, "corrupt_image"),
    (_png((9000, 6000)), 413, "image_dimensions_too_large"),
])
def test_unusable_uploads_are_4xx_and_write_nothing(api, world, data, status, code):
    resp = post_photo(api, world.filler_a, data, name="x.png")
    assert (resp.status_code, resp.json["error"]["code"]) == (status, code), resp.json
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 0


def test_a_photo_without_a_code_asks_for_another(api, world):
    resp = post_photo(api, world.filler_a, qr_photo([]))
    assert (resp.status_code, resp.json["error"]["code"]) == (422, "no_code_found")


def test_upload_larger_than_allowed_is_413(api, world, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    try:
        resp = post_photo(api, world.filler_a, qr_photo(["https://gas.example.cn/c/X"],
                                                        quality=95))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert (resp.status_code, resp.json["error"]["code"]) == (413, "payload_too_large")


def test_photo_form_refusals(registry, api, world):
    one, two = registry.cylinder(owner="station_a"), registry.cylinder(owner="station_a")
    photo = qr_photo([one["payload"], two["payload"]], seed=5)
    mass = post_photo(api, world.filler_a, photo, net_mass_kg=14.0)
    assert (mass.status_code, mass.json["error"]["code"]) == (400, "mass_needs_one_code")
    missing = api.post("/api/v1/fillings", world.filler_a, data={"net_mass_kg": "1"},
                       content_type="multipart/form-data")
    assert (missing.status_code, missing.json["error"]["code"]) == (400, "image_required")
    bad_field = post_photo(api, world.filler_a, photo, no_damage="perhaps")
    assert (bad_field.status_code, bad_field.json["error"]["code"]) == (400, "validation_error")
    driver = post_photo(api, world.driver, photo)
    assert driver.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Fill)) == 0
