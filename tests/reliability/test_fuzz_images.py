"""Hostile uploads against the QR decoder: bounded time and memory, a clear rejection code.

`app.scan.decode_image` is fed bombs, lying headers, wrong types, polyglots and randomly
corrupted photos. Crafted files run in a child process with a hard address-space cap, so a
bomb that got through would kill the child instead of the test run; random corruption runs
in-process under hypothesis. Upload endpoints found in the OpenAPI document get the same files
over HTTP and must answer 4xx in the error shape.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability import hostile_images
from tests.reliability.test_fuzz_api import assert_error_shape

scan = pytest.importorskip("app.scan", reason="the decoder library app/scan is not in this build")

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP = 3 * 2**30  # address space of the child; the bombs would need far more
MAX_SECONDS = 15  # per file, on a loaded 2-core machine; typical is well under a second
MAX_RSS_MB = 1200
# Decoder bugs this test found, to be fixed in app/scan (another engineer's package): each is
# checked by test_known_decoder_bugs, which fails once the bug is fixed so the entry goes.
# Decoder bugs found by this file and not fixed yet (strict xfail below); fixed so far:
# png_100000x1_strip and png_1x1 (images narrower than a QR code now decode to nothing).
KNOWN_DECODER_BUGS: dict[str, str] = {}
QR_CASES = {"jpeg_then_zip_polyglot", "png_then_html_polyglot", "cmyk_jpeg", "progressive_jpeg",
            "png_16_bit", "png_transparent_background", "apng_31_frames", "webp", "jpeg_big_exif"}

CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from app.scan import ImageRejected, decode_image
from tests.reliability.hostile_images import CRAFTED
for name, (make, _allowed) in CRAFTED.items():
    print(json.dumps({{"start": name}}), flush=True)
    data = make()
    started = time.monotonic()
    try:
        found = decode_image(data)
        outcome, texts = "decoded", [d.text for d in found]
    except ImageRejected as exc:
        outcome, texts = exc.code, []
    except Exception as exc:
        outcome, texts = f"raised {{type(exc).__name__}}: {{exc}}", []
    print(json.dumps({{"name": name, "outcome": outcome, "texts": texts,
                      "seconds": time.monotonic() - started,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}),
          flush=True)
"""


def test_crafted_files_are_refused_or_read_within_bounds():
    child = subprocess.run([sys.executable, "-c", CHILD.format(cap=MEMORY_CAP)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    started = [line["start"] for line in lines if "start" in line]
    results = {line["name"]: line for line in lines if "name" in line}
    assert child.returncode == 0, (
        f"the decoder process died ({child.returncode}) on {started[-1] if started else '?'}:"
        f"\n{child.stderr[-3000:]}")
    problems = []
    for name, (_make, allowed) in hostile_images.CRAFTED.items():
        result = results[name]
        if name in KNOWN_DECODER_BUGS:
            continue
        if result["outcome"] not in allowed:
            problems.append(f"{name}: {result['outcome']} (expected one of {sorted(allowed)})")
        if result["seconds"] > MAX_SECONDS:
            problems.append(f"{name}: took {result['seconds']:.1f} s")
        if name in QR_CASES and hostile_images.PAYLOAD not in result["texts"]:
            problems.append(f"{name}: the label was not read ({result['texts']})")
    peak = max(r["rss_mb"] for r in results.values())
    assert not problems, "\n".join(problems)
    assert peak < MAX_RSS_MB, f"peak memory {peak:.0f} MB"


@pytest.mark.xfail(strict=True, reason="a decoder bug, reported; the fix belongs in app/scan")
@pytest.mark.parametrize("name", sorted(KNOWN_DECODER_BUGS))
def test_known_decoder_bugs(name):
    make, allowed = hostile_images.CRAFTED[name]
    try:
        scan.decode_image(make())
        outcome = "decoded"
    except scan.ImageRejected as exc:
        outcome = exc.code
    except Exception as exc:  # the bug: anything but a rejection would be a 500 upstream
        outcome = repr(exc)
    assert outcome in allowed, f"{KNOWN_DECODER_BUGS[name]}: got {outcome}"


BASES = {"png": hostile_images.qr_png(), "jpeg": hostile_images.qr_jpeg(),
         "webp": hostile_images.qr_webp()}


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    """A real label photo, then truncated, flipped, spliced or padded at random."""
    data = bytearray(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "truncate":
            del data[at:]
        elif action == "flip":
            for pos in draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=32)):
                if data:
                    data[pos] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(max_size=256))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 512))]
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 4096))] * draw(st.integers(1, 8))
    return bytes(data)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=corrupted())
def test_randomly_corrupted_photos_never_crash_the_decoder(data):
    started = time.monotonic()
    try:
        found = scan.decode_image(data)
    except scan.ImageRejected as exc:
        assert exc.code in scan.ImageRejected.CODES
    else:
        assert all(isinstance(d.text, str) for d in found)
    assert time.monotonic() - started < MAX_SECONDS


# --- the same files through every upload endpoint the API documents -------------------------

def _upload_operations(app) -> list[tuple[str, str, str, str]]:
    """(method, path, how, field) for each operation that takes an image file or data URL."""
    doc = app.test_client().get("/api/v1/openapi.json").json
    found = []
    for path, ops in doc["paths"].items():
        if "{" in path:
            continue
        for method, op in ops.items():
            content = (op.get("requestBody") or {}).get("content", {})
            for kind, media in content.items():
                props = _properties(doc, media.get("schema", {}))
                for field, spec in props.items():
                    if kind.startswith("multipart/") and spec.get("format") == "binary":
                        found.append((method.upper(), path, "multipart", field))
                    elif kind == "application/json" and field in ("photo", "image"):
                        found.append((method.upper(), path, "json", field))
    return found


def _properties(doc: dict, schema: dict) -> dict:
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("properties", {})


HOSTILE = ["empty", "png_header_claims_100k_square", "png_decompression_bomb_400mp", "gif",
           "svg_with_script", "pdf_with_jpeg_inside", "jpeg_soi_only", "text"]


def test_upload_endpoints_answer_hostile_images_with_4xx(clean_app, world, api, registry):
    operations = _upload_operations(clean_app)
    if not operations:
        pytest.skip("no operation in this build takes an image upload yet")
    problems = []
    for method, path, how, field in operations:
        for name in HOSTILE:
            data = hostile_images.CRAFTED[name][0]()
            for actor in world.users.values():
                if how == "multipart":
                    resp = api.call(method, path, actor, content_type="multipart/form-data",
                                    data={field: (io.BytesIO(data), f"{name}.jpg",
                                                  "image/jpeg")})
                else:
                    url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
                    resp = api.call(method, path, actor, json={field: url})
                if resp.status_code in (401, 403):
                    continue  # this role may not upload here
                if not 400 <= resp.status_code < 500:
                    problems.append(f"{method} {path} {name} as {actor.name}: {resp.status_code}")
                else:
                    assert_error_shape(resp.status_code, resp.content_type, resp.json)
                break
    assert not problems, "\n".join(problems)
