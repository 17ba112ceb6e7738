"""Properties: any bytes give a result or ImageRejected; any fair crop or scale still reads."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.scan import ImageRejected, decode_image
from app.scan.synth import CROCKFORD, URL_PREFIX
from tests.scan.images import canvas, encode, qr_matrix

SEEDS = {fmt: encode(canvas([("0123456789ABCDEF", 30, 30)], size=(200, 160), module=4)[0], fmt)
         for fmt in ("JPEG", "PNG", "WEBP")}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(data: bytes) -> None:
    try:
        result = decode_image(data)
    except ImageRejected as exc:
        assert exc.code in ImageRejected.CODES
    else:
        assert isinstance(result, list)


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise_anything_else(data: bytes) -> None:
    survives(data)


@FAST
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_damaged_images_never_raise_anything_else(fmt: str, data: st.DataObject) -> None:
    blob = bytearray(SEEDS[fmt])
    cut = data.draw(st.integers(1, len(blob)), label="keep")
    blob = blob[:cut]
    for _ in range(data.draw(st.integers(0, 8), label="flips")):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    survives(bytes(blob))


payloads = st.builds(
    lambda code, url: URL_PREFIX + code if url else code,
    st.text(alphabet=CROCKFORD, min_size=16, max_size=16), st.booleans())


@settings(max_examples=40, deadline=None)
@given(payloads, st.integers(2, 9), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5),
       st.integers(1, 5), st.integers(0, 3), st.sampled_from(["PNG", "JPEG"]))
def test_crops_and_scales_of_a_label_still_read(text: str, module: int, left: int, top: int,
                                                right: int, bottom: int, turns: int,
                                                fmt: str) -> None:
    cells = qr_matrix(text)
    padded = np.pad(cells, ((top, bottom), (left, right)), constant_values=False)
    pixels = np.where(np.kron(padded, np.ones((module, module), bool)), 20, 235).astype(np.uint8)
    pixels = np.rot90(pixels, turns)
    data = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(data, fmt)
    assert text in [d.text for d in decode_image(data.getvalue())]


def test_the_crop_property_can_fail() -> None:
    cells = qr_matrix("0123456789ABCDEF")[:, :12]
    pixels = np.where(np.kron(np.pad(cells, 4), np.ones((4, 4), bool)), 20, 235)
    assert decode_image(encode(Image.fromarray(pixels.astype(np.uint8)), "PNG")) == []


def test_blank_canvas_reads_nothing() -> None:
    assert decode_image(encode(canvas([], size=(64, 64))[0], "PNG")) == []
