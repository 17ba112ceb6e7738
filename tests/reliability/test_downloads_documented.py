"""Every download says in the OpenAPI document what it really sends.

flask-smorest documents `application/json` unless told otherwise, so files were documented
as JSON (schemathesis found it). For every operation whose document names a media type other
than JSON, real requests here get each documented type and nothing undocumented; a new
download fails `test_every_download_is_exercised` until it gets a line in REQUESTS.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from app.downloads import BINARY
from tests.reliability.district import District

JSON = "application/json"
# (method, documented path, actor's role in the district, path values, query or JSON body)
REQUESTS: list[tuple[str, str, str, dict[str, str], dict[str, Any]]] = [
    ("GET", "/api/v1/code-batches/{batch_id}/labels.pdf", "printer", {}, {}),
    ("GET", "/api/v1/code-batches/{batch_id}/labels.zpl", "printer", {}, {}),
    ("GET", "/api/v1/code-batches/{batch_id}/preview.png", "printer", {}, {}),
    ("GET", "/api/v1/codes/{code}/label.{fmt}", "printer", {"fmt": "png"}, {}),
    ("GET", "/api/v1/codes/{code}/label.{fmt}", "printer", {"fmt": "svg"}, {}),
    ("POST", "/api/v1/labels/reprint", "printer", {}, {"format": "pdf"}),
    ("POST", "/api/v1/labels/reprint", "printer", {}, {"format": "zpl"}),
    ("GET", "/api/v1/hazards.xlsx", "regulator", {}, {}),
    ("GET", "/api/v1/cylinders/due.xlsx", "regulator", {}, {}),
    ("GET", "/api/v1/cylinders/{code}/epcis", "regulator", {}, {}),
    ("GET", "/api/v1/reports/monthly", "regulator", {}, {"month": "2026-06"}),
    ("GET", "/api/v1/reports/monthly", "regulator", {}, {"month": "2026-06", "format": "xlsx"}),
    ("GET", "/api/v1/reports/monthly", "regulator", {}, {"month": "2026-06", "format": "pdf"}),
    *[("GET", "/api/v1/photos/{photo_id}", "admin", {"photo_id": fmt}, {})
      for fmt in ("JPEG", "PNG", "WEBP", "GIF")],
]


def _documented(spec: dict) -> dict[tuple[str, str], set[str]]:
    """(method, path) -> the media types of its 2xx answers, for every non-JSON operation."""
    found = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            types = {media: body for status, answer in op.get("responses", {}).items()
                     if status.startswith("2") for media, body in answer.get("content", {}).items()}
            if set(types) - {JSON}:
                found[(method.upper(), path)] = types
    return found


def _data_url(fmt: str) -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def test_every_download_is_exercised(spec):
    documented = _documented(spec)
    assert len(documented) >= 9
    exercised = {(method, path) for method, path, *_ in REQUESTS}
    assert set(documented) == exercised, sorted(set(documented) ^ exercised)
    for (_method, path), types in documented.items():
        for media, body in types.items():  # a file is bytes, JSON-LD and JSON a document
            assert (body["schema"] == BINARY) == (not media.endswith("json")), (path, media)


def test_downloads_send_what_the_document_says(spec, world, registry):
    district = District(world, registry)
    objects = {name: make() for name, make in district.objects(fresh=False).items()}
    photos = {fmt: str(district.new_hazard(_data_url(fmt))[1])
              for fmt in ("JPEG", "PNG", "WEBP", "GIF")}
    users = {"printer": district.own["printer"], "regulator": world.regulator,
             "admin": world.company_admin}
    documented = _documented(spec)
    sent: dict[tuple[str, str], set[str]] = {key: set() for key in documented}
    for method, path, role, values, params in REQUESTS:
        fill = {**objects, "code": district.batch_codes[0] if "/codes/" in path
                else district.cylinder_code, **values}
        if "photo_id" in values:
            fill["photo_id"] = photos[values["photo_id"]]
        url = path.format(**fill)
        if method == "GET":
            resp = district.api.get(url, users[role], query_string={"reason": "doc", **params})
        else:
            resp = district.api.post(url, users[role], json={
                "codes": district.batch_codes, "reason": "doc", **params})
        assert resp.status_code == 200, (url, params, resp.status_code, resp.data[:300])
        media = resp.mimetype
        assert media in documented[(method, path)], (url, params, media, documented[(method, path)])
        assert resp.data, url
        sent[(method, path)].add(media)
    unsent = {key: set(types) - sent[key] for key, types in documented.items()
              if set(types) - sent[key]}
    assert not unsent, f"documented but never sent: {unsent}"
